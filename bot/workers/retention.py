"""Retention: the texts erased by themselves, `retention_days` after the event closes.

The erasure moment is the event file's `closes_at` plus `TOWNHALL_RETENTION_DAYS` (or the
file's `[privacy] retention_days`). Once it has passed, every submission received before it is
erased exactly as `townhall-bot purge` does (`ParticipantStore.purge_older_than`), and again
every hour after, for anything that reached the database late. Without a closing time there is
nothing to count from, and no worker. Logs carry counts only, never a text or an id.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.config import RETENTION_VARIABLE, Settings
from bot.event import erasure_moment
from bot.services.intake import Clock, utc_now
from bot.workers.base import SupervisedWorker, WorkerHealth
from storage.erasure import PostEdits
from storage.participants import ParticipantStore

_log = logging.getLogger(__name__)

# The longest wait between two looks at the clock, and between two purges once due.
MAX_WAIT_S = 3600.0


class RetentionWorker(SupervisedWorker):
    name = "retention"

    def __init__(
        self,
        participants: ParticipantStore,
        erase_at: datetime,
        clock: Clock = utc_now,
        health: WorkerHealth | None = None,
        post_edits: PostEdits | None = None,
    ) -> None:
        super().__init__(health)
        self._participants = participants
        self._erase_at = erase_at
        # The moderators' posts of purged submissions show them erased (queued with it).
        self._post_edits = post_edits
        self._clock = clock
        self._purges = 0

    @property
    def erase_at(self) -> datetime:
        return self._erase_at

    async def tick(self) -> float:
        now = self._clock()
        if now < self._erase_at:
            return min(MAX_WAIT_S, (self._erase_at - now).total_seconds())
        erased = await self._participants.purge_older_than(self._erase_at, now, self._post_edits)
        self._purges += 1
        # The first purge is always reported; the hourly ones only when they erased something.
        if erased or self._purges == 1:
            _log.info("retention: erased the texts of %d submission(s)", erased)
        return MAX_WAIT_S


def retention_status(settings: Settings) -> tuple[bool, str]:
    """For `townhall-bot check`: (fine?, what retention will do). Not fine: days are set but
    the event file has no closing time, so nothing would ever be erased by itself."""
    days = settings.retention_days
    if days is None:
        return True, f"off ({RETENTION_VARIABLE} and [privacy] retention_days not set)"
    erase_at = erasure_moment(settings.event, days)
    if erase_at is None:
        return False, (
            f"{days} days after the event closes, but the event file (TOWNHALL_CONFIG) has no "
            "event.closes_at: nothing will be erased by itself"
        )
    return True, (
        f"texts received before {erase_at:%Y-%m-%dT%H:%M:%SZ} are erased at that moment "
        f"({days} days after event.closes_at)"
    )


def build_retention_worker(
    settings: Settings,
    participants: ParticipantStore,
    clock: Clock = utc_now,
    health: WorkerHealth | None = None,
    post_edits: PostEdits | None = None,
) -> RetentionWorker | None:
    """The worker, when retention applies (days set and a closing time); None otherwise,
    with a warning when days are set but cannot apply."""
    erase_at = erasure_moment(settings.event, settings.retention_days)
    if erase_at is None:
        if settings.retention_days is not None:
            _log.warning("retention: %s", retention_status(settings)[1])
        return None
    return RetentionWorker(participants, erase_at, clock, health, post_edits)
