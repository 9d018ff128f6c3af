"""Moderators and organizers: commands and buttons, in a private chat or the moderators' group.

Filters here only route; every command and press is checked again by ModerationService.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import render
from bot.context import BotContext
from bot.domain import Action, Role
from bot.services.export import export_to_file
from bot.services.moderation import ModerationService, Staff
from bot.telegram import callbacks
from bot.telegram.handlers.arguments import (
    command_rest,
    id_and_text,
    parse_export_request,
    parse_ids,
    parse_merge,
    parse_queue_filter,
    reason_after_id,
    split_command,
)
from bot.telegram.handlers.common import ANONYMOUS_ADMIN_ID
from storage.moderation import QueueFilter

_log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
Command = Callable[[Update, BotContext, Staff, Message], Awaitable[None]]


def staff_of(update: Update, ctx: BotContext) -> Staff | None:
    """Who is acting (None without a user). Anonymous admins come back as participants."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return ctx.services.moderation.staff(user.id, chat.id, user.full_name, user.language_code)


def is_anonymous(update: Update) -> bool:
    """An anonymous group admin: Telegram hides who it is, and the audit needs a name."""
    user, message = update.effective_user, update.effective_message
    if user is not None and user.id == ANONYMOUS_ADMIN_ID:
        return True
    return message is not None and message.sender_chat is not None


def for_role(
    role: Role,
) -> Callable[[Callable[[Update, BotContext, Staff, Message], Awaitable[None]]], Handler]:
    """Wrap a command: find the actor, refuse politely below `role`, then run it."""

    def wrap(run: Command) -> Handler:
        async def handler(update: Update, ctx: BotContext) -> None:
            message = update.effective_message
            staff = staff_of(update, ctx)
            if message is None or staff is None:
                return
            if is_anonymous(update):
                tr = await ctx.services.moderation.catalog(staff)
                await _answer(update, ctx, staff, render.common.anonymous_refused(tr))
                return
            if staff.role < role:
                await ctx.services.moderation.refuse(
                    staff, update.update_id, organizers=role is Role.ORGANIZER
                )
                return
            await run(update, ctx, staff, message)

        return handler

    return wrap


async def _answer(update: Update, ctx: BotContext, staff: Staff, reply: render.base.Reply) -> None:
    await ctx.services.replies.reply(staff.chat_id, update.update_id, reply)


async def _usage(update: Update, ctx: BotContext, staff: Staff, command: str) -> None:
    tr = await ctx.services.moderation.catalog(staff)
    await _answer(update, ctx, staff, render.common.usage(tr, command))


def status_command(action: Action, command: str, many: bool, reason: bool = False) -> Handler:
    role = Role.ORGANIZER if action is Action.REOPEN else Role.MODERATOR

    @for_role(role)
    async def run(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
        tokens = split_command(message.text or "")
        ids = parse_ids(tokens if many else tokens[:1])
        if not ids or (not many and not reason and len(tokens) > 1):
            await _usage(update, ctx, staff, command)
            return
        why = reason_after_id(message.text or "") if reason else None
        lines = await ctx.services.moderation.act(staff, action, ids, why)
        await _answer(update, ctx, staff, render.base.Reply("\n".join(lines)))

    return run


@for_role(Role.MODERATOR)
async def queue(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    event = ctx.services.settings.event
    topics = event.topic_ids if event else frozenset()
    where = parse_queue_filter(split_command(message.text or ""), topics)
    if where is None:
        await _usage(update, ctx, staff, "queue")
        return
    await _answer(update, ctx, staff, await ctx.services.moderation.queue_page(staff, where, 0))


def one_id_command(
    role: Role,
    command: str,
    run: Callable[[ModerationService, Staff, int], Awaitable[render.base.Reply]],
) -> Handler:
    """A command taking exactly one id (/show 12, /unmod 4567)."""

    @for_role(role)
    async def handler(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
        ids = parse_ids(split_command(message.text or ""))
        if len(ids) != 1:
            await _usage(update, ctx, staff, command)
            return
        await _answer(update, ctx, staff, await run(ctx.services.moderation, staff, ids[0]))

    return handler


show = one_id_command(Role.MODERATOR, "show", lambda m, staff, sid: m.show(staff, sid))
unmod = one_id_command(Role.ORGANIZER, "unmod", lambda m, staff, uid: m.unmod(staff, uid))


@for_role(Role.MODERATOR)
async def live(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/live <id>: on air now; /live alone shows what is on air and next."""
    tokens = split_command(message.text or "")
    if not tokens:
        await _answer(update, ctx, staff, await ctx.services.live.board(staff))
        return
    ids = parse_ids(tokens)
    if len(ids) != 1:
        await _usage(update, ctx, staff, "live")
        return
    reply = await ctx.services.live.go_live(staff, update.update_id, ids[0])
    await _answer(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def next_question(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/next: the next approved question in the run order goes on air."""
    reply = await ctx.services.live.go_live(staff, update.update_id, None)
    await _answer(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def parties(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await _answer(update, ctx, staff, await ctx.services.parties.listing(staff))


@for_role(Role.ORGANIZER)
async def party(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/party <place>, in the group to register as a viewing party."""
    reply = await ctx.services.parties.register(staff, command_rest(message.text or ""))
    await _answer(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def party_language(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/partylang <code>, in a viewing party's group."""
    reply = await ctx.services.parties.set_language(staff, command_rest(message.text or ""))
    await _answer(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def merge(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/merge <id> into <id>: the first joins the second, votes and askers included."""
    pair = parse_merge(split_command(message.text or ""))
    if pair is None:
        await _usage(update, ctx, staff, "merge")
        return
    await _answer(update, ctx, staff, await ctx.services.curation.merge(staff, *pair))


@for_role(Role.MODERATOR)
async def fixtr(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/fixtr <id> <text>: a person's translation replaces the machine's."""
    found = id_and_text(message.text or "")
    if found is None:
        await _usage(update, ctx, staff, "fixtr")
        return
    reply = await ctx.services.curation.fix_translation(staff, *found)
    await _answer(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def answer(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/answer <id> <text>: a written answer to the asker and everyone behind the question."""
    found = id_and_text(message.text or "")
    if found is None:
        await _usage(update, ctx, staff, "answer")
        return
    reply = await ctx.services.curation.answer(staff, update.update_id, *found)
    await _answer(update, ctx, staff, reply)


@for_role(Role.MODERATOR)
async def order(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await _answer(update, ctx, staff, await ctx.services.moderation.order(staff))


@for_role(Role.MODERATOR)
async def move(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    tokens = split_command(message.text or "")
    numbers = parse_ids(tokens)
    if len(tokens) != 2 or len(numbers) != 2:
        await _usage(update, ctx, staff, "move")
        return
    await _answer(update, ctx, staff, await ctx.services.moderation.move(staff, *numbers))


@for_role(Role.MODERATOR)
async def review(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    if staff.chat_id != staff.user_id:  # cards are personal: a private chat only
        await _usage(update, ctx, staff, "review")
        return
    await _answer(update, ctx, staff, await ctx.services.moderation.next_card(staff))


@for_role(Role.ORGANIZER)
async def invite(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    username = ctx.bot.username or ""
    await _answer(update, ctx, staff, await ctx.services.moderation.invite(staff, username))


@for_role(Role.ORGANIZER)
async def stats(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    text, png, caption = await ctx.services.moderation.statistics(staff)
    await _answer(update, ctx, staff, text)
    # A file cannot travel through the JSON outbox; an organizer's own request, sent once.
    try:
        await ctx.bot.send_photo(staff.chat_id, png, caption=render.base.escape(caption))
    except TelegramError as error:
        _log.warning("statistics chart not sent: %s", error)


@for_role(Role.ORGANIZER)
async def broadcast(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    body = command_rest(message.text or "")
    await ctx.services.broadcasts.prepare(staff, update.update_id, body)


@for_role(Role.ORGANIZER)
async def export(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/export [csv|xlsx|json] [status ...] [question|idea]: the file, as a document."""
    request = parse_export_request(split_command(message.text or ""))
    if request is None or staff.chat_id != staff.user_id:  # a private chat only
        await _usage(update, ctx, staff, "export")
        return
    fmt, where = request
    settings = ctx.services.settings
    tr = await ctx.services.moderation.catalog(staff)
    with tempfile.TemporaryDirectory(prefix="townhall-export-") as folder:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        path = Path(folder) / f"townhall-{stamp}.{fmt}"
        count = await asyncio.to_thread(export_to_file, settings.db_path, fmt, where, path)
        caption = render.statistics.export_caption(tr, count, where.statuses, where.kind)
        # A file cannot travel through the JSON outbox: an organizer's own request, sent now.
        try:
            with path.open("rb") as document:
                await ctx.bot.send_document(
                    staff.chat_id,
                    document,
                    filename=path.name,
                    caption=caption.text,
                    parse_mode=render.base.PARSE_MODE,
                )
        except TelegramError as error:
            _log.warning("export not sent: %s", error)
            await _answer(update, ctx, staff, render.statistics.export_failed(tr))


@for_role(Role.ORGANIZER)
async def open_intake(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await _answer(update, ctx, staff, await ctx.services.moderation.switch_intake(staff, True))


@for_role(Role.ORGANIZER)
async def close_intake(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await _answer(update, ctx, staff, await ctx.services.moderation.switch_intake(staff, False))


@for_role(Role.ORGANIZER)
async def mods(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await _answer(update, ctx, staff, await ctx.services.moderation.moderators(staff))


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
        "answer": answer,
        "move": move,
        "review": review,
        "invite": invite,
        "stats": stats,
        "export": export,
        "broadcast": broadcast,
        "open": open_intake,
        "close": close_intake,
        "mods": mods,
        "unmod": unmod,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, handler, filters=where))
    # Viewing parties are registered from their own group, wherever that is.
    anywhere = (filters.ChatType.PRIVATE | filters.ChatType.GROUPS) & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("party", party, filters=anywhere))
    app.add_handler(CommandHandler("partylang", party_language, filters=anywhere))
    app.add_handler(CallbackQueryHandler(pressed, pattern=callbacks.MODERATOR_PATTERN))
