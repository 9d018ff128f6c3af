"""Which language to speak to someone in: the one place that combines a person's choice
(/language) with their Telegram app's language. Every service that talks to people uses it."""

from __future__ import annotations

from bot.i18n import Gettext, Locales
from storage.repository import Repository


async def locale_of(
    repo: Repository, locales: Locales, user_id: int, language_code: str | None
) -> str:
    choice = await repo.locale_choice(user_id)
    return locales.resolve(choice, language_code)


async def catalog_of(
    repo: Repository, locales: Locales, user_id: int, language_code: str | None
) -> Gettext:
    return locales.get(await locale_of(repo, locales, user_id, language_code))
