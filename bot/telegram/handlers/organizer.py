"""Organizers' commands: viewing parties, written answers, the team, statistics, exports,
announcements and the intake window. Each is checked again by its service."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot import render
from bot.context import BotContext
from bot.domain import Role
from bot.services.export import export_to_file
from bot.services.moderation import Staff
from bot.telegram.handlers.arguments import (
    command_rest,
    id_and_text,
    parse_export_request,
    split_command,
)
from bot.telegram.handlers.staff import Handler, answer_staff, for_role, one_id_command, usage

_log = logging.getLogger(__name__)


@for_role(Role.ORGANIZER)
async def party(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/party <place>, in the group to register as a viewing party."""
    place = command_rest(message.text or "")
    reply = await ctx.services.parties.register(staff, update.update_id, place)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def party_language(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/partylang <code>, in a viewing party's group."""
    reply = await ctx.services.parties.set_language(staff, command_rest(message.text or ""))
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def answer(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/answer <id> <text>: a written answer to the asker and everyone behind the question."""
    found = id_and_text(message.text or "")
    if found is None:
        await usage(update, ctx, staff, "answer")
        return
    reply = await ctx.services.curation.answer(staff, update.update_id, *found)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def invite(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    username = ctx.bot.username or ""
    await ctx.services.moderation.invite(staff, update.update_id, username)


@for_role(Role.ORGANIZER)
async def stats(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    figures = await ctx.services.statistics.figures(staff)
    await answer_staff(update, ctx, staff, figures.message)
    if figures.png is None:
        return
    # A file cannot travel through the JSON outbox; an organizer's own request, sent once.
    try:
        caption = render.base.escape(figures.caption)
        await ctx.bot.send_photo(staff.chat_id, figures.png, caption=caption)
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
        await usage(update, ctx, staff, "export")
        return
    fmt, where = request
    settings = ctx.services.settings
    tr = await ctx.services.moderation.catalog(staff)
    # The folder is 0700 (mkdtemp) and export_to_file creates the file 0600, whatever the
    # umask: other accounts on the machine never read the export while it waits to be sent.
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
            await answer_staff(update, ctx, staff, render.statistics.export_failed(tr))


@for_role(Role.ORGANIZER)
async def screen(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    """/screen: links to the on-air screen and the host's run order; /screen new: new ones."""
    words = split_command(message.text or "")
    if words not in ([], ["new"]):
        await usage(update, ctx, staff, "screen")
        return
    reply = await ctx.services.screen.links(staff, renew=words == ["new"])
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def open_intake(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    reply = await ctx.services.moderation.switch_intake(staff, update.update_id, True)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def close_intake(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    reply = await ctx.services.moderation.switch_intake(staff, update.update_id, False)
    await answer_staff(update, ctx, staff, reply)


@for_role(Role.ORGANIZER)
async def mods(update: Update, ctx: BotContext, staff: Staff, message: Message) -> None:
    await answer_staff(update, ctx, staff, await ctx.services.moderation.moderators(staff))


unmod = one_id_command(Role.ORGANIZER, "unmod", lambda m, staff, uid: m.unmod(staff, uid))


def register(app: Application, where: filters.BaseFilter) -> None:  # type: ignore[type-arg]
    commands: dict[str, Handler] = {
        "answer": answer,
        "invite": invite,
        "stats": stats,
        "export": export,
        "broadcast": broadcast,
        "screen": screen,
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
