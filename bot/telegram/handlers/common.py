"""/start, /help, unknown commands and the one error handler."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import render
from bot.context import BotContext
from bot.domain import Role
from bot.i18n import Gettext
from bot.services.intake import Author, Received
from bot.telegram.menus import publish_staff_menu
from bot.telegram.polling import is_transient

_log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
# Telegram's user for anonymous group admins: it stands for anyone, so it cannot ask or act.
ANONYMOUS_ADMIN_ID = 1087968824
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
    author, user = author_of(update), update.effective_user
    if author is None or user is None:
        return
    token = ctx.args[0] if ctx.args else None
    if token is None:
        await ctx.services.intake.register(author)
        await ctx.services.intake.welcome(author, update.update_id)
        return
    # t.me/<bot>?start=<token>: an organizer's one-time invitation to moderate.
    joined = await ctx.services.moderation.redeem(author, user.full_name, token)
    answer = render.moderation.welcome_moderator if joined else render.moderation.invite_invalid
    await ctx.services.intake.reply(author, update.update_id, answer)
    if joined:
        await publish_staff_menu(
            ctx.bot, ctx.services.locales, ctx.services.settings.language, user.id, False
        )


async def show_help(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        rules = ctx.services.settings
        minutes = max(1, round(rules.rate_window_s / 60))
        staff = ctx.services.moderation.role(author.user_id) >= Role.MODERATOR

        def build(tr: Gettext) -> render.base.Reply:
            text = render.intake.help_text(tr, rules.rate_limit, minutes).text
            return render.base.Reply(
                f"{text}\n\n{render.moderation.moderator_help(tr)}" if staff else text
            )

        await ctx.services.intake.reply(author, update.update_id, build)


async def unknown_command(update: Update, ctx: BotContext) -> None:
    if author := author_of(update):
        await ctx.services.intake.reply(author, update.update_id, render.common.unknown_command)


async def on_error(update: object, ctx: BotContext) -> None:
    """Log the traceback; tell a participant, briefly and in their language, that we failed.

    A database that is busy, locked or full is not a failure to apologise for: the update
    stays in the inbox and is handled again when it recovers (see DurablePoller)."""
    if isinstance(update, Update) and ctx.error is not None and is_transient(ctx.error):
        ctx.services.transient.add(update.update_id)
        ctx.services.health.failed("handlers", ctx.error)
        return
    _log.error("error while handling an update", exc_info=ctx.error)
    if not isinstance(update, Update) or (author := author_of(update)) is None:
        return
    try:
        await ctx.services.intake.reply(author, update.update_id, render.common.internal_error)
    except Exception:  # the database itself may be what failed; the log has the cause
        _log.exception("could not queue the apology")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start, filters=PRIVATE_NEW))
    app.add_handler(CommandHandler("help", show_help, filters=PRIVATE_NEW))
    app.add_error_handler(on_error)


async def stale_button(update: Update, ctx: BotContext) -> None:
    """Buttons no handler claims (old versions, forgeries): answered, so nothing spins."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    author = Author(user.id, chat.id, user.language_code)
    tr = ctx.services.locales.get(await ctx.services.preferences.current_locale(author))
    try:
        await query.answer(render.common.stale_button(tr))
    except TelegramError as error:
        _log.info("callback answer not delivered: %s", error)


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last: anything the role modules did not take."""
    app.add_handler(MessageHandler(PRIVATE_NEW & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
