"""Handlers by role: thin, each reads the update, calls one service, and answers through
the one reply writer. Registration order matters: fallbacks last."""

from __future__ import annotations

from telegram.ext import Application

from bot.telegram.handlers import common, flood, moderator, participant


def register(app: Application, moderator_chat: int | None) -> None:  # type: ignore[type-arg]
    flood.register(app)  # group -1: before every other handler
    common.register(app)
    participant.register(app)
    moderator.register(app, moderator_chat)
    common.register_fallbacks(app)
