"""Every text the bot sends, one module per capability (mirroring `bot/services/`).

Callers write `render.intake.confirmation(...)`: the module says whose text it is.
"""

from bot.render import (
    base,
    broadcast,
    browse,
    common,
    curation,
    intake,
    language,
    live,
    moderation,
    parties,
    privacy,
    screen,
    statistics,
)

__all__ = [
    "base",
    "broadcast",
    "browse",
    "common",
    "curation",
    "intake",
    "language",
    "live",
    "moderation",
    "parties",
    "privacy",
    "screen",
    "statistics",
]
