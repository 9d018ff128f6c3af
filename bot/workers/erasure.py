"""Erased words out of the -wal file too: the checkpoint retried until it truncates.

An erasure's transaction zeroes the text in the database pages, but the pages that held it
can stay in the WAL until a checkpoint copies the new ones over and truncates the file. A
reader's open snapshot (an export, an operator's sqlite3 shell) keeps the checkpoint from
completing; this worker tries again until it does. Until then /healthz and `townhall-bot
check` show the erasure as unflushed.
"""

from __future__ import annotations

import logging

from bot.workers.base import SupervisedWorker, WorkerHealth
from storage.participants import ParticipantStore

_log = logging.getLogger(__name__)

RETRY_S = 2.0
# An erasure flushes itself at once when it can; this catches the rest within seconds. The
# look is one indexed read.
IDLE_S = 2.0


class ErasureFlushWorker(SupervisedWorker):
    name = "erasure"

    def __init__(self, participants: ParticipantStore, health: WorkerHealth | None = None) -> None:
        super().__init__(health)
        self._participants = participants
        self._waiting = False  # said once per wait, not every retry

    async def tick(self) -> float:
        since = await self._participants.unflushed_since()
        if since is None:
            return IDLE_S
        if await self._participants.flush_erasures():
            _log.info("erased texts are gone from the -wal file too (erasure at %s)", since)
            self._waiting = False
            return IDLE_S
        if not self._waiting:
            _log.warning(
                "erased texts are still in the -wal file: a reader, or an update in hand,"
                " holds it back; trying again every %.0f s",
                RETRY_S,
            )
            self._waiting = True
        return RETRY_S
