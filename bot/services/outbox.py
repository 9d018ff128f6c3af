"""Queuing messages that are not part of a state change (replies, menus)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.models import OutboxMessage
from storage.repository import Repository


class Replies:
    """Queues replies in the outbox and wakes the sender when something new was queued."""

    def __init__(
        self, repo: Repository, notify_outbox: Callable[[], None], clock: Callable[[], datetime]
    ) -> None:
        self._repo = repo
        self._notify = notify_outbox
        self._clock = clock

    def wake(self) -> None:
        """Something was queued elsewhere: have the sender look now."""
        self._notify()

    async def queue(self, message: OutboxMessage) -> None:
        # A replayed update finds its reply already queued (same dedup key): nothing new.
        if await self._repo.queue_messages([message], self._clock()):
            self._notify()
