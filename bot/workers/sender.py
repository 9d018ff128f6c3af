"""The outbox sender: delivers queued messages to the Bot API within Telegram's limits.

Limits honoured (Telegram's published guidance): about 30 messages a second overall, and about
20 a minute into one group. A 429 pauses all sending for its `retry_after` (flood control is
per bot), 5xx answers and network errors are retried with capped exponential backoff, and
answers that will never succeed (blocked by the user, chat gone) are marked failed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot
from telegram.request import RequestData

# What Bot._do_post builds RequestData from (not re-exported by telegram.request).
from telegram.request._requestparameter import RequestParameter

from bot.workers.base import SupervisedWorker, WorkerHealth
from storage.models import OutboxItem
from storage.outbox import BLOCKED, OutboxStore
from storage.participants import ParticipantStore

_log = logging.getLogger(__name__)

GROUP_INTERVAL_S = 3.0  # 20 messages a minute into one group
MAX_BACKOFF_S = 60.0
IDLE_POLL_S = 1.0
# How long a delivery's "sent" waits for others landing meanwhile, while requests are on the
# wire: only the bookkeeping waits (the message is out), and a chat's next message with it.
MARK_GATHER_S = 0.01
# Telegram answers an edit that changes nothing with 400; the message already says what we want.
_NOT_MODIFIED = "message is not modified"
_JITTER = random.Random()


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter: 0.5 s, 1 s, 2 s ... 60 s."""
    base: float = min(MAX_BACKOFF_S, 0.5 * 2.0 ** max(0, attempts - 1))
    jitter: float = (rng or _JITTER).random()
    return base * (0.75 + 0.5 * jitter)


def retry_after_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class RateLimiter:
    """Permits to start requests at `rate` per second, with a pause switch for 429 answers."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        # A stored burst of 1/20 s worth at most: Telegram counts over a rolling second, and a
        # bucket that let a full second's worth out at once would double the rate in some
        # windows. At 25/s that is one message; when the pace is lifted, batches.
        self._capacity = max(1.0, rate / 20)
        self._tokens = self._capacity
        self._clock = clock
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def take(self, most: int) -> int:
        """Wait for at least one permit; return how many (up to `most`) were taken."""
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    taken = min(most, int(self._tokens))
                    self._tokens -= taken
                    return taken
                await asyncio.sleep((1 - self._tokens) / self._rate)

    def give_back(self, unused: int) -> None:
        self._tokens = min(self._capacity, self._tokens + unused)


# The Bot API methods the outbox holds, by the name of PTB's method for each.
_ENDPOINTS = {"send_message": "sendMessage", "edit_message_text": "editMessageText"}


def _request_data(params: dict[str, Any]) -> RequestData:
    """An outbox row's parameters as PTB's Bot._do_post would pass them to its request
    object. They are plain JSON already: nothing to parse into PTB's objects and back."""
    return RequestData(
        [
            RequestParameter.from_input(key, value)
            for key, value in params.items()
            if value is not None
        ]
    )


def _direct(bot: object) -> Bot | None:
    """The bot, when its methods would add nothing to the request the outbox row already is:
    a real PTB bot with no rate limiter, no callback data cache and no defaults to insert."""
    if not isinstance(bot, Bot):
        return None
    if isinstance(bot, ExtBot) and (
        bot.rate_limiter is not None
        or bot.callback_data_cache is not None
        or bot.defaults is not None
    ):
        return None
    return bot


def _message_id(result: object) -> int | None:
    """The message_id of the message a call sent or edited (None for a bare True)."""
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, dict) and isinstance(found := result.get("message_id"), int):
        return found
    return None


class _Deliveries:
    """Deliveries waiting to be marked sent: those that end while one write is under way
    are marked together by the next (one statement, one commit, whatever their number)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int | None]] = []
        self.written = asyncio.Event()
        self.error: BaseException | None = None


def _to_api_objects(params: dict[str, Any]) -> dict[str, Any]:
    """Outbox payloads are plain JSON; PTB's typed methods want its objects for nested ones."""
    converted = dict(params)
    if isinstance(markup := converted.get("reply_markup"), dict):
        converted["reply_markup"] = InlineKeyboardMarkup.de_json(markup, None)
    if isinstance(reply := converted.get("reply_parameters"), dict):
        converted["reply_parameters"] = ReplyParameters.de_json(reply, None)
    return converted


class OutboxSender(SupervisedWorker):
    """Claims due outbox rows and delivers them; one row per chat at a time keeps order.

    A row is claimed only when a rate permit for it is in hand, and its request starts at
    once: so the rows marked 'sending' are exactly the requests on the wire.
    """

    name = "sender"

    def __init__(
        self,
        outbox: OutboxStore,
        participants: ParticipantStore,
        bot: Bot,
        rate: float = 30.0,
        concurrency: int = 16,
        wall_clock: Callable[[], float] = time.time,
        health: WorkerHealth | None = None,
    ) -> None:
        super().__init__(health)
        self._outbox = outbox
        self._participants = participants
        self._bot = bot
        self._limiter = RateLimiter(rate)
        self._concurrency = concurrency
        self._clock = wall_clock
        self._in_flight: set[asyncio.Task[None]] = set()
        self._group_next: dict[int, float] = {}
        self._delivered = _Deliveries()
        self._marking: asyncio.Task[None] | None = None

    async def drain(self, timeout: float) -> None:
        """Let requests already on the wire finish (their rows stay consistent); a claim cut
        short by the stop leaves rows 'sending', requeued at the next start."""
        if self._in_flight:
            _, pending = await asyncio.wait(self._in_flight, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def tick(self) -> float:
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return IDLE_POLL_S  # the end of a delivery wakes us
        permits = await self._limiter.take(free)
        items: list[OutboxItem] = []
        try:
            items = await self._outbox.claim_due_messages(
                self._clock(), permits, exclude_chats=self._groups_waiting()
            )
        finally:
            self._limiter.give_back(permits - len(items))
        for item in items:
            task = asyncio.create_task(self._deliver(item))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        if len(items) < permits:  # nothing more is due now
            return await self._idle_timeout()
        return 0.0

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free and this chat's next message may be due
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.error("outbox delivery crashed", exc_info=error)

    async def _idle_timeout(self) -> float:
        # With deliveries in flight, their ends wake us; an idle sender needs to know when
        # the next retry, or the next slot of a group, falls due.
        timeout = IDLE_POLL_S
        if self._group_next:
            timeout = min(timeout, max(0.0, min(self._group_next.values()) - time.monotonic()))
        if self._in_flight:
            return timeout
        due = await self._outbox.next_due_at()
        now = self._clock()
        if due is not None and due > now:
            timeout = min(timeout, due - now)
        return timeout

    def _groups_waiting(self) -> list[int]:
        """Groups that had a message less than GROUP_INTERVAL_S ago (20 a minute per group)."""
        now = time.monotonic()
        for chat_id in [c for c, at in self._group_next.items() if at <= now]:
            del self._group_next[chat_id]
        return list(self._group_next)

    async def _deliver(self, item: OutboxItem) -> None:
        if item.chat_id < 0:  # groups; private chats tolerate short bursts
            self._group_next[item.chat_id] = time.monotonic() + GROUP_INTERVAL_S
        try:
            result = await self._call(item.method, item.params)
        except RetryAfter as error:
            wait = retry_after_seconds(error)
            self._limiter.pause(wait)
            _log.warning("Telegram asks to slow down: retry after %.0f s", wait)
            await self._outbox.retry_later(item.id, self._clock() + wait, str(error))
        except BadRequest as error:
            if _NOT_MODIFIED in str(error).lower():
                await self._outbox.mark_sent(item.id, None, datetime.now(UTC))
            else:
                # Our message was malformed ("message is too long"...), or its chat/message
                # is gone: retrying cannot help. It failed; the person did not block anyone,
                # so they are not marked unreachable, and announcements count it apart.
                _log.error("outbox %s (%s) refused: %s", item.id, item.method, error)
                await self._outbox.mark_failed(item.id, str(error))
        except ChatMigrated as error:
            _log.warning("outbox %s undeliverable: %s", item.id, error)
            await self._outbox.mark_failed(item.id, str(error))
        except Forbidden as error:
            _log.warning("outbox %s undeliverable: %s", item.id, error)
            await self._outbox.mark_failed(item.id, f"{BLOCKED}{error}")
            if item.chat_id > 0:
                # A private chat: the person blocked the bot or is gone. Announcements skip
                # them until they write again.
                await self._participants.mark_unreachable(item.chat_id, datetime.now(UTC))
        except (NetworkError, InvalidToken, TelegramError) as error:
            # NetworkError covers timeouts and 5xx answers; the message stays queued.
            delay = backoff_seconds(item.attempts)
            _log.info("outbox %s: %s; retry in %.1f s", item.id, error, delay)
            await self._outbox.retry_later(item.id, self._clock() + delay, str(error))
        else:
            await self._mark_sent(item.id, _message_id(result))

    async def _call(self, method: str, params: dict[str, Any]) -> object:
        """One Bot API call. A send or an edit goes straight through the bot's own request
        object (its connection pool, base URL, timeouts, and its mapping of Telegram's answers
        to RetryAfter, Forbidden, BadRequest...), and only the answer's JSON is read: building
        PTB's Message for it cost more CPU than anything else in sending."""
        endpoint, bot = _ENDPOINTS.get(method), _direct(self._bot)
        if endpoint is None or bot is None:
            return await getattr(self._bot, method)(**_to_api_objects(params))
        return await bot.request.post(f"{bot.base_url}/{endpoint}", _request_data(params))

    async def _mark_sent(self, outbox_id: int, message_id: int | None) -> None:
        """Mark a row sent, returning once it is written (the chat's next message waits for
        that). Rows delivered while a write is under way go together in the next one."""
        batch = self._delivered
        batch.rows.append((outbox_id, message_id))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_delivered())
        await batch.written.wait()
        if batch.error is not None:
            raise batch.error

    async def _write_delivered(self) -> None:
        batch = self._delivered
        try:
            while self._delivered.rows:
                if len(self._in_flight) > len(self._delivered.rows):
                    # Requests still on the wire: those that land in the next moment are
                    # marked in the same statement (a commit saved each), and the sender
                    # then claims for all their slots at once.
                    await asyncio.sleep(MARK_GATHER_S)
                batch, self._delivered = self._delivered, _Deliveries()
                try:
                    await self._outbox.mark_sent_many(batch.rows, datetime.now(UTC))
                except Exception as error:  # each delivery that waits for it reports it
                    batch.error = error
                batch.written.set()
        except BaseException as error:  # cancelled: no delivery is left waiting
            for waiting in (batch, self._delivered):
                waiting.error = error
                waiting.written.set()
            raise
