"""Flood control: a budget per account over every kind of update, before any handler runs.

Each account (and each viewing party, for the `/ask` of its members) has a token bucket:
`burst` updates at once, refilled at one update every `refill_s` seconds. An update within
the budget goes on to the handlers. The first one over it gets ONE polite "please wait N
seconds" in the sender's language; every further one is dropped in silence until the
bucket has refilled completely. Dropped updates are handled as far as the inbox is
concerned: they leave it like any other.

Why 20 at once and one every 3 s (TOWNHALL_FLOOD_BURST, TOWNHALL_FLOOD_REFILL): a person
taking part in earnest sends a handful of updates in a minute (/start, /language and its
button, a question, a topic button, /my, /browse with a few pages and votes: about 15 at
the most eager), so 20 at once never holds them up. 20 a minute after that is still more
than anyone types and presses for long, and no more than the bot may post into one group
(20 a minute), which a viewing party's budget then matches. A script sending 80 updates in
3 s gets 20 answers and one "please wait" instead of 80 answers, so it cannot queue a
backlog that delays everyone else's confirmations.

Moderators and organizers are never limited (they may work through a queue quickly). The
buckets live in memory, least recently used first: a bucket that has refilled completely
is the same as no bucket and is dropped, so memory holds only the accounts active in the
last `burst * refill_s` seconds (one minute by default), and never more than `max_keys`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from bot import render
from bot.i18n import Locales
from bot.services.intake import Author
from bot.services.replies import ReplyWriter, reply_key

_log = logging.getLogger(__name__)

MAX_KEYS = 100_000  # buckets kept at most, whatever happens (about 150 bytes each)
# Update ids let through, remembered for retries: more than the poller ever has in flight.
PAID_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class FloodKey:
    """Whose budget an update counts against: an account, or a viewing party's group."""

    scope: str
    id: int

    @classmethod
    def account(cls, user_id: int) -> FloodKey:
        return cls("account", user_id)

    @classmethod
    def party(cls, chat_id: int) -> FloodKey:
        return cls("party", chat_id)


class Verdict(Enum):
    PASS = "pass"  # within the budget: handle it
    WARN = "warn"  # the first over it: say "please wait", handle nothing
    DROP = "drop"  # over it and already told: silence


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    wait_s: int = 0  # for WARN: whole seconds until the next update would pass

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


_PASS = Admission(Verdict.PASS)


class _Bucket:
    __slots__ = ("stamp", "tokens", "warned")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp
        self.warned = False


class FloodGate:
    """The buckets (in memory, pure: no I/O). `is_exempt(user_id)`: staff are never limited."""

    def __init__(
        self,
        burst: int,
        refill_s: float,
        is_exempt: Callable[[int], bool],
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._burst = float(burst)
        self._refill_s = refill_s
        self._is_exempt = is_exempt
        self.enabled = enabled
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[FloodKey, _Bucket] = OrderedDict()
        # Updates already let through: the same update handled again (the database failed
        # under its handler, so the poller hands it over again) is not charged twice.
        self._paid: OrderedDict[int, None] = OrderedDict()
        self.warned = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def admit(self, key: FloodKey, user_id: int, update_id: int | None = None) -> Admission:
        """Count one update from `user_id` against `key`'s budget (once per `update_id`)."""
        if not self.enabled or self._is_exempt(user_id):
            return _PASS
        if update_id is not None and update_id in self._paid:
            return _PASS
        now = self._clock()
        self._evict(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        else:
            self._buckets.move_to_end(key)
            self._refill(bucket, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self._remember_paid(update_id)
            return _PASS
        if bucket.warned:
            self.dropped += 1
            return Admission(Verdict.DROP)
        bucket.warned = True
        self.warned += 1
        wait = max(1, math.ceil((1.0 - bucket.tokens) * self._refill_s - 1e-6))
        _log.info("flood control: one %s over its budget, told to wait %d s", key.scope, wait)
        return Admission(Verdict.WARN, wait)

    def _remember_paid(self, update_id: int | None) -> None:
        if update_id is None:
            return
        self._paid[update_id] = None
        if len(self._paid) > PAID_REMEMBERED:  # only retries of updates in flight matter
            self._paid.popitem(last=False)

    def _refill(self, bucket: _Bucket, now: float) -> None:
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.stamp) / self._refill_s)
        bucket.stamp = now
        if bucket.tokens >= self._burst:
            bucket.warned = False  # refilled: a new flood gets a new "please wait"

    def _evict(self, now: float) -> None:
        """Drop buckets that have refilled completely (no different from a fresh one), oldest
        first; and the least recently used beyond `max_keys`."""
        buckets = self._buckets
        while buckets:
            key, oldest = next(iter(buckets.items()))
            full_at = oldest.stamp + (self._burst - oldest.tokens) * self._refill_s
            if full_at > now and len(buckets) < self._max_keys:
                break
            del buckets[key]


class FloodService:
    """The gate, and its one answer in the sender's language (a party's in its group)."""

    def __init__(
        self,
        gate: FloodGate,
        locales: Locales,
        replies: ReplyWriter,
        locale_in: Callable[[Author], Awaitable[str]],
    ) -> None:
        self.gate = gate
        self._locales = locales
        self._replies = replies
        self._locale_in = locale_in

    def admit(self, key: FloodKey, user_id: int, update_id: int | None = None) -> Admission:
        return self.gate.admit(key, user_id, update_id)

    async def warning(self, author: Author, wait_s: int) -> render.base.Reply:
        tr = self._locales.get(await self._locale_in(author))
        return render.common.please_wait(tr, wait_s)

    async def warn(
        self, author: Author, update_id: int, reply_to: int | None, wait_s: int
    ) -> None:
        """Queue the "please wait" as the answer to update `update_id` (quoting `reply_to`)."""
        reply = await self.warning(author, wait_s)
        await self._replies.queue(reply.send(author.chat_id, reply_key(update_id), reply_to))

    async def warning_text(self, author: Author, wait_s: int) -> str:
        """The "please wait" as a button's toast (plain text)."""
        return render.base.plain((await self.warning(author, wait_s)).text)
