"""Logging set-up: one line per event; no secret and no participant's words at any level.

Two guards. Libraries that write URLs, headers or bodies (where a participant's question and an
API key travel: deep-translator sends both in the query string) are held at WARNING even when
the operator asks for DEBUG. And every formatted line, tracebacks included, has the bot token,
the translator key (or MyMemory email) and the webhook secret replaced, raw or URL-encoded.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# Loggers that write request URLs, headers or bodies (at DEBUG, some at INFO): never below
# WARNING. A parent's level covers its children ("urllib3" covers "urllib3.connectionpool").
QUIET_LOGGERS = (
    "urllib3",  # requests' transport: "POST /translate?q=<the question>&api_key=<key>"
    "requests",
    "httpx",  # "HTTP Request: POST https://api.telegram.org/bot<token>/sendMessage"
    "httpcore",
    "hpack",  # HTTP/2 headers, when h2 is installed
    "h2",
    "aiohttp.access",  # request lines (a webhook's secret path, a query string)
    "aiohttp.client",
    "aiohttp.server",
    "aiohttp.web",
    "telegram.Bot",  # "Calling Bot API endpoint `sendMessage` with parameters {text: ...}"
    "telegram.ext.ExtBot",
    "telegram.request",  # telegram.request.BaseRequest, telegram.request.HTTPXRequest
    "telegram.ext.Updater",  # "Webhook received data: <the update>"
    "aiosqlite",  # statements with their parameters
)
# The rest of python-telegram-bot (Application logs "Processing update <the update>" at DEBUG).
TELEGRAM = "telegram"


def secret_forms(secret: str) -> set[str]:
    """The secret as it may appear in a line: raw, and URL-encoded as `urllib.parse.quote`
    and `quote_plus` write it, with and without `safe=''` (requests' query strings, paths)."""
    forms = {secret}
    for encode in (quote, quote_plus):
        for safe in ("/", ""):
            forms.add(encode(secret, safe=safe))
    return forms


class RedactingFormatter(logging.Formatter):
    """Replaces secrets in the fully formatted line, tracebacks included.

    Raising the libraries' levels is the first guard; this one also catches exception texts
    and our own mistakes. Percent-escapes are matched in either case (`%2B` and `%2b`).
    """

    def __init__(self, secrets: Iterable[str | None], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        forms = {form for secret in secrets if secret for form in secret_forms(secret)}
        # Longest first, so that an encoded form is replaced whole, not a raw part of it.
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
        )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if self._pattern is not None:
            line = self._pattern.sub(REDACTED, line)
        return line.replace("\n", "\n    ")  # continuation lines stay visibly one event


def secrets_of(settings: Settings) -> list[str | None]:
    """Every setting that must never be logged: the bot token, every translation engine's
    key (with mymemory, its email) and the webhook secret."""
    return [settings.token, *settings.translator_secrets, settings.webhook_secret]


def configure_logging(level: str, secrets: Iterable[str | None]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    logging.getLogger(TELEGRAM).setLevel(max(logging.INFO, root.level))


def configure_for(settings: Settings) -> None:
    """What every `townhall-bot` command does first (TOWNHALL_LOG_LEVEL)."""
    configure_logging(settings.log_level, secrets_of(settings))
