"""Logs at DEBUG: no participant's words and no secret, raw or URL-encoded, in any line.

The bot runs in this process against the fake Bot API and a fake translator (LibreTranslate,
or MyMemory through deep-translator), with logging configured as `townhall-bot run` does it
(`bot.logs.configure_for`, TOWNHALL_LOG_LEVEL=DEBUG); every record any logger emits, ours or
a library's, is formatted with the project's formatter and searched.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from bot.config import load_settings
from bot.logs import QUIET_LOGGERS, TELEGRAM, RedactingFormatter, configure_for
from bot.workers import translation as translation_worker
from tests.conftest import TOKEN, bot_env, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram

KEY = "k3y+with/slash=="
EMAIL = "me+townhall@example.org"
MARKER = "Zorblax4471"
QUESTION = f"Comment allez-vous protéger les journalistes {MARKER} dans les zones de conflit ?"
REASON_MARKER = "Quibbix5582"
ORGANIZER, GROUP = 901, -1001234


def encoded(secret: str) -> set[str]:
    """The secret and every URL encoding the issue names, upper- and lower-case escapes."""
    forms = {
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        quote_plus(secret, safe=""),
    }
    return forms | {form.lower() for form in forms if "%" in form}


def leaks(lines: list[str], secrets: list[str], words: list[str]) -> list[str]:
    forbidden = {form for secret in secrets for form in encoded(secret)} | set(words)
    return [line for line in lines if any(item in line for item in forbidden)]


class Capture(logging.Handler):
    """Every record that reaches the root, formatted as the bot's own handler formats it."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def configure() -> Iterator[Callable[[dict[str, str]], Capture]]:
    """Configure logging from an environment as the CLI does; put everything back after."""
    root = logging.getLogger()
    level = root.level
    names = (*QUIET_LOGGERS, TELEGRAM)
    levels = {name: logging.getLogger(name).level for name in names}
    added: list[logging.Handler] = []

    def configure_from(env: dict[str, str]) -> Capture:
        configure_for(load_settings(env))
        [handler] = root.handlers
        assert isinstance(handler.formatter, RedactingFormatter)
        capture = Capture(handler.formatter)
        root.addHandler(capture)
        added.extend((handler, capture))
        return capture

    yield configure_from
    for handler in added:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translation_worker, "BASE_BACKOFF_S", 0.1)
    monkeypatch.setattr(translation_worker, "MAX_BACKOFF_S", 0.5)


# ---- a fake MyMemory: deep-translator's MyMemoryTranslator, pointed at loopback -------------


@dataclass
class FakeMyMemory:
    url: str
    requests: list[dict[str, str]]


@pytest.fixture
async def mymemory(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeMyMemory]:
    from deep_translator.constants import BASE_URLS

    seen: list[dict[str, str]] = []

    async def get(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        text = request.query.get("q", "")
        return web.json_response({"responseData": {"translatedText": f"[mm] {text}"}})

    app = web.Application()
    app.router.add_get("/get", get)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    # MyMemoryTranslator reads its URL from this dict when it is built (once per request).
    monkeypatch.setitem(BASE_URLS, "MYMEMORY", f"http://127.0.0.1:{port}/get")
    try:
        yield FakeMyMemory(f"http://127.0.0.1:{port}", seen)
    finally:
        await runner.cleanup()


# ---- end to end ------------------------------------------------------------------------------


async def _push_everything_through(
    fake: FakeTelegram, bot_query: Callable[[str], list[tuple[Any, ...]]]
) -> int:
    """A French question with the marker, its translation, the moderators' post, /show and a
    rejection with a reason; returns the submission's id."""
    fake.push_message(7, QUESTION, language_code="fr")
    await fake.wait_for_messages(7, 1)

    def translated() -> bool:
        rows = bot_query("SELECT translation_status FROM submissions")
        return bool(rows) and rows[0][0] != "pending"

    await fake.wait_for(translated, timeout=20)
    [(submission_id, status, translation)] = bot_query(
        "SELECT id, translation_status, translation FROM submissions"
    )
    assert status == "done" and MARKER in translation  # the text went through the engine
    before = len(fake.messages_to(ORGANIZER))
    fake.push_message(ORGANIZER, f"/show {submission_id}")
    shown = await fake.wait_for_messages(ORGANIZER, before + 1)
    assert MARKER in (shown[-1].text or "")
    fake.push_message(ORGANIZER, f"/reject {submission_id} Off topic {REASON_MARKER} sorry")
    await fake.wait_for_messages(7, 2)  # the participant is told, reason included
    return int(submission_id)


async def test_libre_at_debug_logs_no_words_and_no_secret(
    fake: FakeTelegram,
    tmp_path: Path,
    configure: Callable[[dict[str, str]], Capture],
) -> None:
    async with FakeLibreTranslate(api_key=KEY) as libre:  # refuses requests without the key
        extra = {
            "TOWNHALL_TRANSLATOR": "libre",
            "TOWNHALL_TRANSLATOR_URL": libre.url,
            "TOWNHALL_TRANSLATOR_KEY": KEY,
            "TOWNHALL_LOG_LEVEL": "DEBUG",
            "TOWNHALL_ORGANIZERS": str(ORGANIZER),
            "TOWNHALL_MODERATOR_CHAT": str(GROUP),
        }
        capture = configure(bot_env(fake, tmp_path / "townhall.db", **extra))
        async with running_bot(fake, tmp_path, **extra) as bot:
            await _push_everything_through(fake, bot.values)
        assert any(r.get("api_key") == KEY and MARKER in str(r.get("q")) for r in libre.requests)

    assert logging.getLogger().level == logging.DEBUG
    ours = [r for r in capture.records if r.name.startswith("bot.") and r.levelno == logging.DEBUG]
    assert ours, "no DEBUG record from the bot: the level was not DEBUG"
    assert capture.lines and not leaks(capture.lines, [TOKEN, KEY], [MARKER, REASON_MARKER])


async def test_mymemory_at_debug_logs_no_words_and_no_email(
    fake: FakeTelegram,
    tmp_path: Path,
    mymemory: FakeMyMemory,
    configure: Callable[[dict[str, str]], Capture],
) -> None:
    extra = {
        "TOWNHALL_TRANSLATOR": "mymemory",
        "TOWNHALL_TRANSLATOR_KEY": EMAIL,  # MyMemory's "de": the email raising the quota
        "TOWNHALL_LOG_LEVEL": "DEBUG",
        "TOWNHALL_ORGANIZERS": str(ORGANIZER),
        "TOWNHALL_MODERATOR_CHAT": str(GROUP),
    }
    capture = configure(bot_env(fake, tmp_path / "townhall.db", **extra))
    async with running_bot(fake, tmp_path, **extra) as bot:
        await _push_everything_through(fake, bot.values)
    assert any(r.get("de") == EMAIL and MARKER in r.get("q", "") for r in mymemory.requests)

    ours = [r for r in capture.records if r.name.startswith("bot.") and r.levelno == logging.DEBUG]
    assert ours, "no DEBUG record from the bot: the level was not DEBUG"
    assert capture.lines and not leaks(capture.lines, [TOKEN, EMAIL], [MARKER, REASON_MARKER])


async def test_failing_translator_at_debug_logs_no_words_and_no_secret(
    fake: FakeTelegram,
    tmp_path: Path,
    configure: Callable[[dict[str, str]], Capture],
) -> None:
    """requests' errors carry the whole URL (question and key): they must not reach a line."""
    libre = FakeLibreTranslate(api_key=KEY)
    await libre.start()
    url = libre.url
    await libre.stop()  # connection refused from here on
    extra = {
        "TOWNHALL_TRANSLATOR": "libre",
        "TOWNHALL_TRANSLATOR_URL": url,
        "TOWNHALL_TRANSLATOR_KEY": KEY,
        "TOWNHALL_LOG_LEVEL": "DEBUG",
    }
    capture = configure(bot_env(fake, tmp_path / "townhall.db", **extra))
    async with running_bot(fake, tmp_path, **extra):
        fake.push_message(7, QUESTION, language_code="fr")
        await fake.wait_for_messages(7, 1)
        await fake.wait_for(
            lambda: any("not translated" in line for line in capture.lines), timeout=20
        )
    assert any("connection failed" in line for line in capture.lines)
    assert not leaks(capture.lines, [TOKEN, KEY], [MARKER])


# ---- the guards one by one -------------------------------------------------------------------


def test_libraries_that_log_urls_stay_at_warning_when_the_root_is_debug(
    configure: Callable[[dict[str, str]], Capture],
) -> None:
    configure({"TELEGRAM_BOT_TOKEN": TOKEN, "TOWNHALL_LOG_LEVEL": "DEBUG"})
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("bot.runner").isEnabledFor(logging.DEBUG)
    for name in (
        "urllib3",
        "urllib3.connectionpool",
        "requests",
        "httpx",
        "httpcore",
        "httpcore.http11",
        "aiohttp.access",
        "aiohttp.client",
        "telegram.Bot",
        "telegram.ext.ExtBot",
        "telegram.request.BaseRequest",
        "telegram.request.HTTPXRequest",
        "telegram.ext.Updater",
        "aiosqlite",
    ):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
        assert logger.isEnabledFor(logging.WARNING), name
    # "Processing update <the update>" is DEBUG in PTB's Application.
    assert not logging.getLogger("telegram.ext.Application").isEnabledFor(logging.DEBUG)


def test_urllib3_line_with_the_key_percent_encoded_is_redacted(
    configure: Callable[[dict[str, str]], Capture],
) -> None:
    """The line urllib3 writes for deep-translator, were it let through (a library's own
    handler, an operator's override): the redaction alone still hides the key."""
    capture = configure(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TOWNHALL_TRANSLATOR": "libre",
            "TOWNHALL_TRANSLATOR_URL": "http://127.0.0.1:1",
            "TOWNHALL_TRANSLATOR_KEY": KEY,
            "TOWNHALL_LOG_LEVEL": "DEBUG",
        }
    )
    line = (
        'http://127.0.0.1:5000 "POST /translate?q=x&source=fr&target=en&format=text'
        f'&api_key={quote_plus(KEY)} HTTP/1.1" 200 42'
    )
    logging.getLogger("urllib3.connectionpool").warning(line)
    [written] = capture.lines
    assert "api_key=[redacted] HTTP/1.1" in written and not leaks([written], [KEY], [])


@pytest.mark.parametrize(
    "secret",
    [TOKEN, KEY, EMAIL, "tok:en/with?odd&chars=1 and space"],
    ids=["token", "key", "email", "odd"],
)
def test_formatter_redacts_every_encoded_form(secret: str) -> None:
    formatter = RedactingFormatter([TOKEN, KEY, EMAIL, "tok:en/with?odd&chars=1 and space"])
    forms = sorted(encoded(secret))
    assert len(forms) >= 3  # the encodings really differ from the raw text
    for form in forms:
        record = logging.LogRecord(
            "urllib3.connectionpool", logging.DEBUG, __file__, 1, "GET /x?k=%s&q=1", (form,), None
        )
        line = formatter.format(record)
        assert "GET /x?k=[redacted]&q=1" in line, (form, line)
        assert not leaks([line], [secret], []), form


def test_formatter_redacts_secrets_in_tracebacks() -> None:
    formatter = RedactingFormatter([KEY])
    try:
        raise RuntimeError(f"request to /translate?api_key={quote(KEY, safe='')} failed")
    except RuntimeError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    line = formatter.format(record)
    assert "Traceback" in line and "api_key=[redacted] failed" in line
    assert not leaks([line], [KEY], [])


def test_the_cli_redacts_the_token_key_and_webhook_secret() -> None:
    from bot.logs import secrets_of

    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TOWNHALL_TRANSLATOR": "mymemory",
            "TOWNHALL_TRANSLATOR_KEY": EMAIL,
            "TOWNHALL_WEBHOOK_URL": "https://example.org/hook",
            "TOWNHALL_WEBHOOK_SECRET": "s3cret_hook-value",
        }
    )
    assert set(secrets_of(settings)) == {TOKEN, EMAIL, "s3cret_hook-value"}
