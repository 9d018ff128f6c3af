"""/start, /help, unknown commands and the one error handler."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import render
from bot.context import BotContext
from bot.services.intake import Author, Received

_log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
# New messages only: edits have their own handler (an edit must never act as a new message).
PRIVATE_NEW = PRIVATE & filters.UpdateType.MESSAGE


def author_of(update: Update) -> Author | None:
    """The private-chat author of an update, or None for anything else."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return None
    return Author(user.id, chat.id, user.language_code)


def received(update: Update, message: Message, text: str | None) -> Received | None:
    author = author_of(update)
    if author is None:
        return None
    return Received(update.update_id, author, message.message_id, text)


async def start(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.intake.reply(author, update.update_id, render.welcome)


async def show_help(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        rules = ctx.services.settings
        minutes = max(1, round(rules.rate_window_s / 60))
        await ctx.services.intake.reply(
            author, update.update_id, lambda tr: render.help_text(tr, rules.rate_limit, minutes)
        )


async def unknown_command(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.intake.reply(author, update.update_id, render.unknown_command)


async def on_error(update: object, ctx: BotContext) -> None:
    """Log the traceback; tell a participant, briefly and in their language, that we failed."""
    _log.error("error while handling an update", exc_info=ctx.error)
    if not isinstance(update, Update) or (author := author_of(update)) is None:
        return
    try:
        await ctx.services.intake.reply(author, update.update_id, render.internal_error)
    except Exception:  # the database itself may be what failed; the log has the cause
        _log.exception("could not queue the apology")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("help", show_help, filters=PRIVATE_NEW))
    app.add_error_handler(on_error)


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last: anything the role modules did not take."""
    app.add_handler(MessageHandler(PRIVATE_NEW & filters.COMMAND, unknown_command))
