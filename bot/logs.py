"""Logging set-up: one line per event, and the bot token never written at any level."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Replaces secrets in the fully formatted line, tracebacks included.

    httpx logs request URLs, and Bot API URLs contain the token; raising httpx's level is the
    first guard, this is the one that also catches exception texts and our own mistakes.
    """

    def __init__(self, secrets: list[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "[redacted]")
        return line.replace("\n", "\n    ")  # continuation lines stay visibly one event


def configure_logging(level: str, secrets: list[str | None]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter([s for s in secrets if s]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # These log request bodies and SQL parameters at DEBUG: participants' words stay out of
    # the logs even when an operator turns DEBUG on to chase a problem.
    for verbose in (
        "telegram.ext.ExtBot",
        "telegram.Bot",
        "telegram.ext.Application",
        "aiosqlite",
    ):
        logging.getLogger(verbose).setLevel(max(logging.INFO, root.level))
