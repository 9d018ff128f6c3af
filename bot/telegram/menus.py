"""Telegram's own menus in every language: the command list, the description, the profile line.

Published at start, once per shipped locale (Telegram shows a user the version for their app's
language, and the unqualified one otherwise, which we set to English). A failure here is
logged and does not stop the bot: the menus are a convenience, intake is not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot import render
from bot.i18n import Locales

_log = logging.getLogger(__name__)


async def publish_menus(bot: Bot, locales: Locales) -> int:
    """Set commands, description and short description per locale; returns how many locales."""
    published = 0
    targets: list[tuple[str | None, str]] = [(None, locales.default)]
    targets += [(locale, locale) for locale in locales.available if len(locale) == 2]
    for language_code, locale in targets:
        tr = locales.get(locale)
        try:
            await bot.set_my_commands(
                [BotCommand(name, text) for name, text in render.language.bot_commands(tr)],
                language_code=language_code,
            )
            await bot.set_my_description(
                render.language.bot_description(tr), language_code=language_code
            )
            await bot.set_my_short_description(
                render.language.bot_short_description(tr), language_code=language_code
            )
        except TelegramError as error:
            _log.warning("could not publish the %s menus: %s", locale, error)
            continue
        published += 1
    return published


async def publish_staff_menu(bot: Bot, locales: Locales, language: str, chat_id: int,
                             organizer: bool, participant: bool = True) -> bool:  # fmt: skip
    """One chat's menu: a moderator's private chat (participants' commands too) or the
    moderators' group. In the working language: moderators work in it."""
    tr = locales.get(locales.resolve(None, language))
    commands = render.language.bot_commands(tr) if participant else []
    commands += render.language.moderator_commands(tr, organizer)
    try:
        await bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands],
            scope=BotCommandScopeChat(chat_id),
        )
    except TelegramError as error:
        _log.warning("could not publish the moderators' menu in %s: %s", chat_id, error)
        return False
    return True


async def publish_staff_menus(
    bot: Bot,
    locales: Locales,
    language: str,
    moderators: Iterable[int],
    organizers: Iterable[int],
    group: int | None,
) -> None:
    """At start: every moderator's and organizer's private chat, and the moderators' group."""
    chiefs = set(organizers)
    for user_id in sorted(set(moderators) | chiefs):
        await publish_staff_menu(bot, locales, language, user_id, user_id in chiefs)
    if group is not None:
        await publish_staff_menu(bot, locales, language, group, False, participant=False)
