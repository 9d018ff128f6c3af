"""Participants in a private chat: questions, ideas, /my, /language, edits, buttons."""

from __future__ import annotations

import contextlib
import logging

from telegram import Message, MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import render
from bot.context import BotContext
from bot.services.intake import Author, Received
from bot.telegram import callbacks
from bot.telegram.handlers.arguments import parse_ids, split_command
from bot.telegram.handlers.common import (
    ANONYMOUS_ADMIN_ID,
    PRIVATE,
    PRIVATE_NEW,
    author_of,
    received,
)
from storage.models import Kind

_log = logging.getLogger(__name__)

# Things with no text to take: anything that is not a text message and has no caption.
_NO_TEXT = PRIVATE_NEW & ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL


def command_argument(message: Message) -> str:
    """The text after a leading /command, newlines and spacing kept exactly as written."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # Entity offsets count UTF-16 units; a command is ASCII so both counts agree.
            return text[entity.length :].lstrip()
    return text


async def question_from_text(update: Update, ctx: BotContext) -> None:
    message = update.effective_message
    if message and (incoming := received(update, message, message.text or message.caption)):
        await ctx.services.intake.submit(incoming, Kind.QUESTION)


def chat_author(update: Update) -> Author | None:
    """Whoever wrote, in a private chat or a group (a viewing party)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Author(user.id, chat.id, user.language_code)


async def ask_in_group(update: Update, ctx: BotContext) -> None:
    """/ask in a group: a viewing party's question, or why this group cannot take one. Other
    group chatter has no handler: it is never read."""
    message, author = update.effective_message, chat_author(update)
    if message is None or author is None:
        return
    if author.user_id == ANONYMOUS_ADMIN_ID or message.sender_chat is not None:
        # Every anonymous sender is the same account to us: one quota, one "asker".
        await ctx.services.intake.reply(author, update.update_id, render.parties.ask_as_yourself)
        return
    incoming = Received(update.update_id, author, message.message_id, command_argument(message))
    await ctx.services.parties.ask(incoming)


async def when(update: Update, ctx: BotContext) -> None:
    """/when: the live show's date and time, for the reader (a party's language in its group)."""
    author = chat_author(update)
    if author is None:
        return
    locale = await ctx.services.parties.locale_in(author)
    await ctx.services.live.tell_when(author.chat_id, update.update_id, locale)


async def question_from_command(update: Update, ctx: BotContext) -> None:
    await _submit_command(update, ctx, Kind.QUESTION)


async def idea_from_command(update: Update, ctx: BotContext) -> None:
    await _submit_command(update, ctx, Kind.IDEA)


async def _submit_command(update: Update, ctx: BotContext, kind: Kind) -> None:
    message = update.effective_message
    if message and (incoming := received(update, message, command_argument(message))):
        await ctx.services.intake.submit(incoming, kind, from_command=True)


async def refuse_without_text(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.intake.refuse_media(author, update.update_id)


async def edited(update: Update, ctx: BotContext) -> None:
    message = update.edited_message
    text = command_argument(message) if message and message.text else None
    if message and (incoming := received(update, message, text or message.caption)):
        await ctx.services.intake.edit(incoming)


async def my_submissions(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.intake.list_own(author, update.update_id)


async def withdraw(update: Update, ctx: BotContext) -> None:
    message = update.effective_message
    if (author := author_of(update)) and message:
        ids = parse_ids(split_command(message.text or ""))
        target = ids[0] if len(ids) == 1 else None
        await ctx.services.moderation.withdraw(author, update.update_id, target)


async def browse(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.browse.show(author, update.update_id)


async def show_privacy(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.privacy.explain(author, update.update_id)


async def forget(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.privacy.ask_to_forget(author, update.update_id)


async def choose_language(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.preferences.show_language_menu(author, update.update_id)


async def button_pressed(update: Update, ctx: BotContext) -> None:
    query = update.callback_query
    author = author_of(update)
    if query is not None and author is None:  # a group's old button: just stop its spinner
        with contextlib.suppress(TelegramError):
            await query.answer()
        return
    if query is None or author is None or query.message is None:
        return
    message_id = query.message.message_id
    try:
        action = callbacks.decode(query.data)
    except callbacks.BadCallback:
        action = None
    if isinstance(action, callbacks.SwitchKind):
        toast = await ctx.services.intake.switch_kind(author, update.update_id, message_id, action)
    elif isinstance(action, callbacks.ChooseLanguage):
        toast = await ctx.services.preferences.choose_language(
            author, update.update_id, message_id, action.locale
        )
    elif isinstance(action, callbacks.ChooseTopic):
        toast = await ctx.services.intake.choose_topic(
            author, update.update_id, message_id, action
        )
    elif isinstance(action, callbacks.Upvote):
        toast = await ctx.services.browse.vote(author, update.update_id, message_id, action)
    elif isinstance(action, callbacks.BrowsePage):
        await ctx.services.browse.turn(author, update.update_id, message_id, action)
        toast = ""
    elif isinstance(action, callbacks.ConfirmForget):
        done = await ctx.services.privacy.forget(author)
        toast = render.base.plain(done.text)
        try:
            await query.edit_message_text(done.text, parse_mode=render.base.PARSE_MODE)
        except TelegramError as error:
            _log.info("erasure confirmation not shown: %s", error)
    else:
        toast = render.common.stale_button(await ctx.services.intake.catalog_for(author))
    try:
        # Answered directly, not through the outbox: the spinner on the button waits for it
        # and Telegram drops answers that come too late.
        await query.answer(toast)
    except TelegramError as error:
        _log.info("callback answer not delivered: %s", error)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("idea", idea_from_command, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("ask", question_from_command, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("my", my_submissions, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("language", choose_language, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("withdraw", withdraw, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("browse", browse, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("privacy", show_privacy, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("forget", forget, filters=PRIVATE_NEW))
    groups_new = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("ask", ask_in_group, filters=groups_new))
    app.add_handler(CommandHandler("when", when, filters=PRIVATE_NEW | groups_new))
    app.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, edited))
    app.add_handler(
        MessageHandler(
            PRIVATE_NEW & ((filters.TEXT & ~filters.COMMAND) | filters.CAPTION),
            question_from_text,
        )
    )
    app.add_handler(MessageHandler(_NO_TEXT, refuse_without_text))
    app.add_handler(CallbackQueryHandler(button_pressed, pattern=callbacks.PARTICIPANT_PATTERN))
