"""What every staff handler needs: who acts, the role gate, and answering them.

Filters and this gate only route and refuse politely; every service checks the role again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Message, Update

from bot import render
from bot.context import BotContext
from bot.domain import Role
from bot.services.moderation import ModerationService, Staff
from bot.telegram.handlers.arguments import parse_ids, split_command
from bot.telegram.handlers.common import ANONYMOUS_ADMIN_ID

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
                await answer_staff(update, ctx, staff, render.common.anonymous_refused(tr))
                return
            if staff.role < role:
                await ctx.services.moderation.refuse(
                    staff, update.update_id, organizers=role is Role.ORGANIZER
                )
                return
            await run(update, ctx, staff, message)

        return handler

    return wrap


async def answer_staff(
    update: Update, ctx: BotContext, staff: Staff, reply: render.base.Reply
) -> None:
    await ctx.services.replies.reply(staff.chat_id, update.update_id, reply)


async def usage(update: Update, ctx: BotContext, staff: Staff, command: str) -> None:
    tr = await ctx.services.moderation.catalog(staff)
    await answer_staff(update, ctx, staff, render.common.usage(tr, command))


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
            await usage(update, ctx, staff, command)
            return
        await answer_staff(update, ctx, staff, await run(ctx.services.moderation, staff, ids[0]))

    return handler
