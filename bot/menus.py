"""Telegram's own menus in every language: the command list, the description, the profile line.

Published at start, once per shipped locale (Telegram shows a user the version for their app's
language, and the unqualified one otherwise, which we set to English). A failure here is
logged and does not stop the bot: the menus are a convenience, intake is not.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
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
                [BotCommand(name, text) for name, text in render.bot_commands(tr)],
                language_code=language_code,
            )
            await bot.set_my_description(render.bot_description(tr), language_code=language_code)
            await bot.set_my_short_description(
                render.bot_short_description(tr), language_code=language_code
            )
        except TelegramError as error:
            _log.warning("could not publish the %s menus: %s", locale, error)
            continue
        published += 1
    return published
