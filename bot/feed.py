"""The moderators' group feed: a post per new submission while the group's budget allows,
one digest edited in place when it does not.

Telegram lets a bot send about 20 messages a minute into a group. The feed runs beside intake,
not inside it: a submission is confirmed to its sender first, and this worker picks up what
has not been shown to moderators yet (state in the database, so a restart resumes it). The
outbox sender enforces the group's pace in any case; the budget here keeps the queue for the
group short, so posts arrive while they matter and never a backlog of hundreds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import render
from bot.services.moderation import ModerationService
from storage.models import OutboxMessage, Submission
from storage.moderation import ModerationStore

_log = logging.getLogger(__name__)

# Posts only while the group has had fewer messages than this in the last minute; the rest of
# the budget stays free for post edits, digests and replies to moderators' commands.
POST_BUDGET = 8
DIGEST_LIFETIME = timedelta(minutes=10)  # after this a new digest starts, at the bottom
TICK_S = 3.0  # one group message every 3 s is the pace Telegram allows
LANGUAGE_WAIT = timedelta(seconds=10)  # posts wait this long at most for the language


@dataclass
class Digest:
    key: str
    started: datetime
    ids: list[int] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)


class FeedWorker:
    def __init__(
        self,
        store: ModerationStore,
        moderation: ModerationService,
        chat_id: int,
        notify_outbox: Callable[[], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._moderation = moderation
        self._chat = chat_id
        self._notify = notify_outbox
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._digest: Digest | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.feed_once()
            except Exception:  # a bad tick must not end the feed; the next one retries
                _log.exception("moderators' feed failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            await asyncio.sleep(0.2)  # gather a burst into one tick

    async def feed_once(self) -> None:
        now = self._clock()
        new = await self._store.unfed_submissions(500, now - LANGUAGE_WAIT)
        if not new:
            return
        recent = await self._store.recent_group_messages(self._chat, now - timedelta(minutes=1))
        if recent + len(new) <= POST_BUDGET:
            await self._post(new, now)
        else:
            await self._add_to_digest(new, now)
        self._notify()

    async def _post(self, new: list[Submission], now: datetime) -> None:
        group = self._moderation.group_catalog()
        posts = [
            render.moderation.moderator_post(group, sub).send(self._chat, f"post:{sub.id}")
            for sub in new
        ]
        await self._store.mark_fed([s.id for s in new], "post", posts, now)

    async def _add_to_digest(self, new: list[Submission], now: datetime) -> None:
        digest = self._digest
        fresh = digest is None or now - digest.started > DIGEST_LIFETIME
        if fresh:
            digest = self._digest = Digest(f"digest:{int(now.timestamp())}", now)
        assert digest is not None
        digest.ids += [s.id for s in new]
        digest.languages.update(s.language or "?" for s in new)
        reply = render.moderation.digest(
            self._moderation.group_catalog(),
            digest.ids,
            dict(digest.languages),
            digest.started.strftime("%H:%M UTC"),
        )
        if fresh:
            message = reply.send(self._chat, digest.key)
        else:
            edit = reply.edit(self._chat, 0, None)
            message = OutboxMessage(
                self._chat,
                edit.method,
                edit.params,
                coalesce_key=f"edit:{digest.key}",
                message_ref=digest.key,
            )
        await self._store.mark_fed([s.id for s in new], "digest", [message], now)
