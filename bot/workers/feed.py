"""The moderators' feed on its own loop, beside intake: a submission is confirmed to its
sender first, and this worker shows what moderators have not seen yet (state in the
database, so a restart resumes it)."""

from __future__ import annotations

from bot.services.feed import FeedService
from bot.workers.base import SupervisedWorker, WorkerHealth

TICK_S = 3.0  # one group message every 3 s is the pace Telegram allows


class FeedWorker(SupervisedWorker):
    name = "feed"
    GATHER_S = 0.2  # gather a burst into one tick

    def __init__(self, feed: FeedService, health: WorkerHealth | None = None) -> None:
        super().__init__(health)
        self._feed = feed

    async def tick(self) -> float:
        await self._feed.feed_once()
        return TICK_S
