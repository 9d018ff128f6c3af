"""Flood control, before every other handler (group -1): an update over its sender's budget
stops here (ApplicationHandlerStop), so no handler, database write or translation runs for
it. The budget, the buckets and the one "please wait" are bot/services/flood.py's."""

from __future__ import annotations

import logging

from telegram import Chat, Message, MessageEntity, Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.services.flood import FloodKey, Verdict
from bot.services.intake import Author

_log = logging.getLogger(__name__)


def command_of(message: Message, bot_username: str | None) -> str | None:
    """The /command a message starts with (lower case), None if none or for another bot."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            name, _, addressee = text[1 : entity.length].partition("@")
            if addressee and (bot_username is None or addressee.lower() != bot_username.lower()):
                return None
            return name.lower()
    return None


def budget_of(update: Update, bot_username: str | None) -> tuple[FloodKey, Author] | None:
    """Whose budget an update counts against, and who sent it (where); None: not counted.

    In a private chat, everything counts: messages, edits, commands, button presses. In a
    group, only what a handler acts on (commands to this bot, button presses): chatter no
    handler reads is never answered, so it costs nothing and must not draw a "please wait".
    A viewing party's /ask counts against the party (the group), not the member.
    """
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type == Chat.CHANNEL:
        return None
    author = Author(user.id, chat.id, user.language_code)
    if chat.type == Chat.PRIVATE or update.callback_query is not None:
        return FloodKey.account(user.id), author
    command = command_of(update.message, bot_username) if update.message else None
    if command is None:
        return None
    if command == "ask":
        return FloodKey.party(chat.id), author
    return FloodKey.account(user.id), author


async def gate(update: Update, ctx: BotContext) -> None:
    budget = budget_of(update, ctx.bot.username)
    if budget is None:
        return
    key, author = budget
    flood = ctx.services.flood
    admission = flood.admit(key, author.user_id, update.update_id)
    if admission.passed:
        return
    if admission.verdict is Verdict.WARN:
        try:
            if (query := update.callback_query) is not None:
                await query.answer(await flood.warning_text(author, admission.wait_s))
            else:
                message = update.effective_message
                await flood.warn(
                    author,
                    update.update_id,
                    message.message_id if message else None,
                    admission.wait_s,
                )
        except Exception as error:  # the warning is a courtesy: the update stops anyway
            _log.warning("flood control: the 'please wait' was not sent: %s", type(error).__name__)
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, gate), group=-1)
