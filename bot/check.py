"""`townhall-bot check`: the preflight an organizer runs before the day.

Each check is a small function returning a `Check`; none prints a secret. The token is tried
with getMe, the moderators' group with getChat/getChatMember, each translation engine of the
chain with one real translation (and the languages it translates: a LibreTranslate server's
own list), the database by opening it (migrations) and a write, the catalogs against the
template.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po
from telegram import Bot
from telegram.error import TelegramError

from bot.app import configured_engine
from bot.config import Settings
from bot.i18n import DOMAIN, catalog_path
from bot.services.translation import Engine, LibreEngine, TranslationFailed
from bot.workers.retention import retention_status
from storage.db import open_database, schema_version
from storage.erasure import UNFLUSHED_KEY

# A sentence to translate into the working language, in another language: by target.
_ENGLISH_SAMPLE = ("en", "Hello, how are you?")
_SAMPLES = {"en": ("fr", "Bonjour, comment allez-vous ?")}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


async def run_checks(settings: Settings) -> list[Check]:
    results = await check_telegram(settings)
    results.extend(await check_translator(settings))
    results.append(await check_database(settings.db_path))
    results.append(check_locales(settings.locales_dir))
    ok, detail = retention_status(settings)
    results.append(Check("retention", ok, detail))
    if settings.webhook_url:
        results.append(Check("webhook", True, f"{settings.webhook_url} (https)"))
    return results


async def check_telegram(settings: Settings) -> list[Check]:
    bot = Bot(settings.require_token(), base_url=settings.api_url)
    try:
        async with bot:
            me = bot.bot
            results = [Check("Telegram", True, f"the token works: @{me.username} (id {me.id})")]
            if settings.moderator_chat is not None:
                results.append(await check_group(bot, settings.moderator_chat))
            else:
                results.append(
                    Check("moderators' group", True, "not set (TOWNHALL_MODERATOR_CHAT)")
                )
            return results
    except TelegramError as error:
        return [Check("Telegram", False, f"getMe failed: {type(error).__name__}")]


async def check_group(bot: Bot, chat_id: int) -> Check:
    name = "moderators' group"
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as error:
        return Check(name, False, f"{chat_id} cannot be reached ({error}); add the bot to it")
    title = chat.title or str(chat_id)
    if member.status in ("administrator", "creator"):
        return Check(name, True, f"“{title}”: the bot is an administrator")
    if member.status == "member":
        return Check(name, True, f"“{title}”: the bot is a member (make it an admin to see all)")
    return Check(name, False, f"“{title}”: the bot is {member.status}, not a member")


async def check_translator(settings: Settings) -> list[Check]:
    """One line per engine of the chain, in the order they are tried: the languages it
    translates (a LibreTranslate server's own list) and one real translation."""
    engines = configured_engine(settings)
    if not engines:
        off = "off (TOWNHALL_TRANSLATOR=none): languages are still detected"
        return [Check("translator", True, off)]
    count = len(engines)
    return [
        await check_engine(settings, engine, f" ({number} of {count})" if count > 1 else "")
        for number, engine in enumerate(engines, 1)
    ]


async def check_engine(settings: Settings, engine: Engine, position: str = "") -> Check:
    name, label, wait = "translator", f"{engine.name}{position}", settings.translator_timeout * 2
    # Timed out: the engine keeps what it knew, and the line says which list that is.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.to_thread(engine.refresh_languages), wait)
    codes = engine.languages()
    # A LibreTranslate server's own list; a fixed one for the other engines.
    unread = isinstance(engine, LibreEngine) and not engine.languages_known()
    where = "server" if isinstance(engine, LibreEngine) else "built-in list"
    if unread:
        where = "built-in list: the server's /languages could not be read"
    languages = f"{len(codes)} languages ({where}): {' '.join(codes)}"
    source, sample = _SAMPLES.get(settings.language, _ENGLISH_SAMPLE)
    if not engine.supports_pair(source, settings.language):
        into = [code for code in codes if engine.supports_pair(code, settings.language)]
        if not into:
            return Check(name, False, f"{label}: nothing into {settings.language}; {languages}")
        return Check(name, True, f"{label}: not tried (no {source}); {languages}")
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(
            asyncio.to_thread(engine.translate, sample, source, settings.language), wait
        )
    except (TranslationFailed, TimeoutError) as error:
        return Check(name, False, f"{label}: {error or 'no answer'}; {languages}")
    seconds = time.perf_counter() - started
    return Check(name, not unread, f"{label}: “{result}” in {seconds:.1f} s; {languages}")


async def check_database(path: Path) -> Check:
    name = "database"
    try:
        db = await open_database(path)  # creates it and runs the migrations if needed
        await db.close()
        conn = sqlite3.connect(path)
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            unflushed = conn.execute(
                "SELECT value FROM settings WHERE key = ?", (UNFLUSHED_KEY,)
            ).fetchone()
            conn.execute("BEGIN IMMEDIATE")  # proves we can write, changes nothing
            conn.rollback()
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as error:
        return Check(name, False, f"{path}: {error}")
    current = version == schema_version()
    detail = f"{path}: writable, journal {mode}, schema {version}/{schema_version()}"
    if unflushed is not None:
        # The running bot retries; an open reader (a sqlite3 shell, an export) holds it back.
        detail += f"; erased texts still in the -wal file since {unflushed[0]}"
    return Check(name, current and mode == "wal" and unflushed is None, detail)


def check_locales(locales_dir: Path) -> Check:
    name = "languages"
    template = locales_dir / f"{DOMAIN}.pot"
    if not template.exists():
        return Check(name, False, f"no template at {template}")
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    incomplete = []
    locales = sorted(
        p.name for p in locales_dir.iterdir() if catalog_path(locales_dir, p.name).exists()
    )
    for locale in locales:
        with catalog_path(locales_dir, locale).open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        done = {m.id for m in catalog if m.id and m.string and not m.fuzzy and all(m.string)}
        if wanted - done:
            incomplete.append(f"{locale} ({len(wanted - done)} missing)")
    if incomplete:
        return Check(name, False, "incomplete: " + ", ".join(incomplete))
    return Check(name, True, f"{len(locales)} complete: {' '.join(locales)}")
