"""Moderators: commands and buttons, in a private chat or the moderators' group.

Filters here only route; every command and press is checked again by ModerationService.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import render
from bot.context import BotContext
from bot.domain import Action, Role
from bot.services.moderation import Staff
from bot.telegram import callbacks
from bot.telegram.handlers import organizer
from bot.telegram.handlers.arguments import (
    id_and_text,
    parse_ids,
    parse_merge,
    parse_queue_filter,
    reason_after_id,
    split_command,
)
from bot.telegram.handlers.staff import (
    Handler,
    answer_staff,
    for_role,
    is_anonymous,
    one_id_command,
    staff_of,
    usage,
)
from storage.moderation import QueueFilter

_log = logging.getLogger(__name__)


def status_command(action: Action, command: str, many: bool, reason: bool = False) -> Handler:
    role = Role.ORGANIZER if action is Action.REOPEN else Role.MODERATOR

    @for_role(role)
    async def run(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
        tokens = split_command(message.text or "")
        ids = parse_ids(tokens if many else tokens[:1])
        if not ids or (not many and not reason and len(tokens) > 1):
            await usage(update, ctx, staff, command)
            return
        why = reason_after_id(message.text or "") if reason else None
        lines = await ctx.services.moderation.act(staff, action, ids, why)
        await answer_staff(update, ctx, staff, render.base.Reply("\n".join(lines)))

    return run


@for_role(Role.MODERATOR)
async def queue(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    event = ctx.services.settings.event
    topics = event.topic_ids if event else frozenset()
    where = parse_queue_filter(split_command(message.text or ""), topics)
    if where is None:
        await usage(update, ctx, staff, "queue")
        return
    await answer_staff(
        update, ctx, staff, await ctx.services.moderation.queue_page(staff, where, 0)
    )


show = one_id_command(Role.MODERATOR, "show", lambda m, staff, sid: m.show(staff, sid))


@for_role(Role.MODERATOR)
async def live(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/live <id>: on air now; /live alone shows what is on air and next."""
    tokens = split_command(message.text or "")
    if not tokens:
        await answer_staff(update, ctx, staff, await ctx.services.live.board(staff))
        return
    ids = parse_ids(tokens)
    if len(ids) != 1:
        await usage(update, ctx, staff, "live")
        return
    reply = await ctx.services.live.go_live(staff, update.update_id, ids[0])
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def next_question(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/next: the next approved question in the run order goes on air."""
    reply = await ctx.services.live.go_live(staff, update.update_id, None)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def parties(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await answer_staff(update, ctx, staff, await ctx.services.parties.listing(staff))


@for_role(Role.MODERATOR)
async def merge(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/merge <id> into <id>: the first joins the second, votes and askers included."""
    pair = parse_merge(split_command(message.text or ""))
    if pair is None:
        await usage(update, ctx, staff, "merge")
        return
    await answer_staff(update, ctx, staff, await ctx.services.curation.merge(staff, *pair))


@for_role(Role.MODERATOR)
async def fixtr(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/fixtr <id> <text>: a person's translation replaces the machine's."""
    found = id_and_text(message.text or "")
    if found is None:
        await usage(update, ctx, staff, "fixtr")
        return
    reply = await ctx.services.curation.fix_translation(staff, update.update_id, *found)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def order(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await answer_staff(update, ctx, staff, await ctx.services.moderation.order(staff))


@for_role(Role.MODERATOR)
async def move(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    tokens = split_command(message.text or "")
    numbers = parse_ids(tokens)
    if len(tokens) != 2 or len(numbers) != 2:
        await usage(update, ctx, staff, "move")
        return
    reply = await ctx.services.moderation.move(staff, update.update_id, *numbers)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def review(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    if staff.chat_id != staff.user_id:  # cards are personal: a private chat only
        await usage(update, ctx, staff, "review")
        return
    await answer_staff(update, ctx, staff, await ctx.services.moderation.next_card(staff))


async def pressed(update: Update, ctx: BotContext) -> None:
    """A moderator's button. Every press is answered, so no button keeps spinning."""
    query = update.callback_query
    if query is None:
        return
    toast = await _press(update, ctx)
    try:
        await query.answer(toast)
    except TelegramError as error:
        _log.info("callback answer not delivered: %s", error)


async def _press(update: Update, ctx: BotContext) -> str:
    query, staff = update.callback_query, staff_of(update, ctx)
    moderation, replies = ctx.services.moderation, ctx.services.replies
    if query is None or query.message is None or staff is None:
        return ""
    tr = await moderation.catalog(staff)
    if is_anonymous(update):
        return render.base.plain(render.common.anonymous_refused(tr).text)
    in_place = staff.chat_id in (staff.user_id, ctx.services.settings.moderator_chat)
    if staff.role < Role.MODERATOR or not in_place:
        return render.base.plain(render.common.staff_only(tr).text)
    try:
        action = callbacks.decode(query.data)
    except callbacks.BadCallback:
        return render.common.stale_button(tr)
    message_id, key = query.message.message_id, update.update_id
    toast = ""
    match action:
        case callbacks.Moderate(card=False):
            toast = await moderation.press(staff, action)
        case callbacks.Moderate(card=True):
            toast = await moderation.press(staff, action)
            await replies.edit(staff.chat_id, message_id, key, await moderation.next_card(staff))
        case callbacks.SkipCard():
            await moderation.skip_card(staff, action.submission_id)
            await replies.edit(staff.chat_id, message_id, key, await moderation.next_card(staff))
        case callbacks.ConfirmBroadcast():
            toast = await ctx.services.broadcasts.decide(
                staff, action.broadcast_id, action.send, message_id
            )
        case callbacks.QueuePage():
            kind = action.kind.value if action.kind else None
            where = QueueFilter(action.status, kind, action.language, action.topic, action.party)
            page = await moderation.queue_page(staff, where, action.offset)
            await replies.edit(staff.chat_id, message_id, key, page)
        case _:
            toast = render.common.stale_button(tr)
    return toast


def register(app: Application, moderator_chat: int | None) -> None:  # type: ignore[type-arg]
    chats: filters.BaseFilter = filters.ChatType.PRIVATE
    if moderator_chat is not None:
        chats = chats | filters.Chat(chat_id=moderator_chat)
    # New messages only: an edited command message never acts again.
    where = chats & filters.UpdateType.MESSAGE
    commands: dict[str, Handler] = {
        "shortlist": status_command(Action.SHORTLIST, "shortlist", many=True),
        "approve": status_command(Action.APPROVE, "approve", many=True),
        "reject": status_command(Action.REJECT, "reject", many=False, reason=True),
        "answered": status_command(Action.ANSWERED, "answered", many=False),
        "reopen": status_command(Action.REOPEN, "reopen", many=False),
        "queue": queue,
        "show": show,
        "order": order,
        "merge": merge,
        "live": live,
        "next": next_question,
        "parties": parties,
        "fixtr": fixtr,
        "move": move,
        "review": review,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, handler, filters=where))
    organizer.register(app, where)
    app.add_handler(CallbackQueryHandler(pressed, pattern=callbacks.MODERATOR_PATTERN))
