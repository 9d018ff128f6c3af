"""Durable long polling: an update is in SQLite before Telegram is told it was received.

python-telegram-bot's stock Updater confirms a batch on the next getUpdates call whether or
not its handlers finished, so a kill in between loses those updates. Here each batch is
committed to the inbox together with the next offset; only the *next* getUpdates (which
carries that offset) confirms it to Telegram. Handled updates leave the inbox; whatever is
still there at start is replayed. Handling is idempotent (see IntakeService), so a replay
after a crash in mid-handling changes nothing that was already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut
from telegram.ext import Application, ExtBot
from telegram.request import HTTPXRequest, RequestData

from bot.locks import KeyedLocks
from bot.workers.base import WorkerHealth, failure_backoff
from storage.inbox import InboxStore

_log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
POLL_TIMEOUT_S = 25
PROCESS_CONCURRENCY = 64
FINISH_BATCH = 200
FINISH_DELAY_S = 0.05
MAX_POLL_BACKOFF_S = 30.0
# Updates taken from Telegram and not yet handled, at most: beyond this the poller stops
# fetching (Telegram keeps what it has not confirmed), so a flood cannot grow memory.
MAX_IN_FLIGHT = 1000
GET_UPDATES_LIMIT = 100  # Telegram's own maximum per getUpdates
T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """The database is busy, locked, full or failing (an operator's shell, a backup tool, a
    full disk): the update is kept in the inbox and handled again once it recovers."""
    return isinstance(error, sqlite3.OperationalError)


class TransientFailures:
    """Updates whose handling hit a transient failure (set by the error handler); the
    poller hands them over again instead of recording them as done."""

    def __init__(self) -> None:
        self._ids: set[int] = set()

    def add(self, update_id: int) -> None:
        self._ids.add(update_id)

    def take(self, update_id: int) -> bool:
        """Whether `update_id` failed that way (and forget it)."""
        if update_id in self._ids:
            self._ids.discard(update_id)
            return True
        return False


class RawUpdatesRequest(HTTPXRequest):
    """The getUpdates connection, keeping the raw JSON of the last answer.

    The inbox stores each update as Telegram sent it; re-serialising PTB's parsed objects
    (to_dict) cost more CPU than everything else we do per update. `do_request` is PTB's
    documented extension point for custom networking.
    """

    last_body: bytes = b""

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, request_data, **timeouts)
        self.last_body = body
        return status, body

    def raw_updates(self) -> dict[int, str]:
        """update_id -> that update's JSON, from the last answer."""
        try:
            result = json.loads(self.last_body).get("result", [])
        except (ValueError, AttributeError):
            return {}
        return {
            int(item["update_id"]): json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            for item in result
            if isinstance(item, dict) and "update_id" in item
        }


class DurablePoller:
    """The write-ahead inbox and its dispatcher, fed by long polling (`run`) or a webhook
    (`receive`); either way an update is in SQLite before it is acknowledged."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbox: InboxStore,
        *,
        raw_request: RawUpdatesRequest | None = None,
        poll_timeout: int = POLL_TIMEOUT_S,
        concurrency: int = PROCESS_CONCURRENCY,
        transient: TransientFailures | None = None,
        health: WorkerHealth | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._app = application
        self._transient = transient or TransientFailures()
        self._health = health or WorkerHealth()
        self._max_in_flight = max_in_flight
        self._raw = raw_request
        self._inbox = inbox
        self._poll_timeout = poll_timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._chat_locks: KeyedLocks[int] = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: list[int] = []
        self._finish_task: asyncio.Task[None] | None = None
        self.processed = 0

    async def replay(self, stop: asyncio.Event | None = None) -> int:
        """Hand over updates that were stored but not handled when the process last stopped."""
        pending = await self._with_database(
            "reading the inbox", self._inbox.unprocessed_updates, stop or asyncio.Event()
        )
        for stored in pending or []:
            await self._room()
            self._dispatch(Update.de_json(stored.payload, self._app.bot))
        pending = pending or []
        if pending:
            _log.info("replaying %d updates stored before the last stop", len(pending))
        return len(pending)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set. The pending long poll is abandoned, not awaited."""
        offset = await self._with_database("reading the offset", self._inbox.telegram_offset, stop)
        failures = 0
        while not stop.is_set():
            await self._room()
            fetch = asyncio.ensure_future(self._fetch(offset, self._free()))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                break
            try:
                updates = fetch.result()
            except InvalidToken:
                raise
            except (NetworkError, TimedOut, Conflict) as error:
                failures += 1
                delay = min(MAX_POLL_BACKOFF_S, 0.5 * 2**failures)
                _log.warning("getUpdates failed (%s); retrying in %.1f s", error, delay)
                await _sleep_unless(stop, delay)
                continue
            failures = 0
            if not updates:
                continue
            try:
                offset = await self._store(updates)
            except Exception as error:
                # Not stored, so not confirmed: the next getUpdates, with the same offset,
                # brings the same updates again once the database answers.
                await self._back_off("storing updates", error, stop)
                continue
            self._health.ok("poller")

    async def _with_database(
        self, what: str, read: Callable[[], Awaitable[T]], stop: asyncio.Event
    ) -> T | None:
        """A database read the poller cannot go on without, retried while it is unavailable
        (None only if stopped meanwhile)."""
        while not stop.is_set():
            try:
                result = await read()
            except Exception as error:
                await self._back_off(what, error, stop)
                continue
            self._health.ok("poller")
            return result
        return None

    async def _back_off(self, what: str, error: Exception, stop: asyncio.Event) -> None:
        """A database failure under the poller: a transient one is logged (one line, with its
        type), shown in /healthz, and waited out with backoff; any other is raised."""
        if not is_transient(error):
            raise error
        self._health.failed("poller", error)
        delay = failure_backoff(self._health.state("poller").failures)
        _log.warning("%s failed (%s); retrying in %.1f s", what, type(error).__name__, delay)
        await _sleep_unless(stop, delay)

    def _free(self) -> int:
        return max(1, min(GET_UPDATES_LIMIT, self._max_in_flight - len(self._tasks)))

    async def _room(self) -> None:
        """Backpressure: wait until fewer than the bound are in hand."""
        while len(self._tasks) >= self._max_in_flight:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def _fetch(
        self, offset: int | None, limit: int = GET_UPDATES_LIMIT
    ) -> tuple[Update, ...]:
        bot: ExtBot[None] = self._app.bot
        return await bot.get_updates(
            offset=offset,
            limit=limit,
            timeout=self._poll_timeout,
            allowed_updates=list(ALLOWED_UPDATES),
            read_timeout=self._poll_timeout + 10,
        )

    async def _store(self, updates: tuple[Update, ...]) -> int:
        raw = self._raw.raw_updates() if self._raw else {}
        batch = [(u.update_id, raw.get(u.update_id) or _serialise(u)) for u in updates]
        fresh = set(await self._inbox.store_updates(batch))
        for update in updates:
            if update.update_id in fresh:
                self._dispatch(update)
        return max(u.update_id for u in updates) + 1

    async def receive(self, payload: dict[str, Any]) -> None:
        """One update from the webhook: stored before this returns (then the 200 may go out)."""
        update = Update.de_json(payload, self._app.bot)
        serialised = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        # Not the polling offset: webhook updates may arrive out of order.
        if await self._inbox.store_webhook_update(update.update_id, serialised, time.time()):
            self._dispatch(update)

    def _dispatch(self, update: Update) -> None:
        task = asyncio.create_task(self._process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, update: Update) -> None:
        chat_id = update.effective_chat.id if update.effective_chat else 0
        failures = 0
        while True:
            async with self._chat_locks.hold(chat_id), self._slots:
                # PTB routes handler exceptions to our error handler; nothing escapes here.
                await self._app.process_update(update)
            if not self._transient.take(update.update_id):
                break
            # The database failed under the handler: its transaction rolled back, the update
            # is still in the inbox, and handling is idempotent, so it simply goes again.
            failures += 1
            delay = failure_backoff(failures)
            _log.warning(
                "update %d: the database is unavailable; handling it again in %.1f s",
                update.update_id,
                delay,
            )
            await asyncio.sleep(delay)
        self.processed += 1
        _log.debug("update %d handled", update.update_id)
        self._mark_finished(update.update_id)

    def _mark_finished(self, update_id: int) -> None:
        # Deleting handled rows in batches spares a commit per update; a crash before the
        # flush only means a harmless replay of already-handled updates.
        self._finished.append(update_id)
        if self._finish_task is None or self._finish_task.done():
            self._finish_task = asyncio.create_task(self._flush_finished())

    async def _flush_finished(self) -> None:
        failures = 0
        while self._finished:
            if len(self._finished) < FINISH_BATCH:
                await asyncio.sleep(FINISH_DELAY_S)
            batch, self._finished = self._finished, []
            try:
                await self._inbox.finish_updates(batch)
            except Exception as error:
                if not is_transient(error):
                    raise
                # Kept for the next try; a crash meanwhile only replays handled updates.
                self._finished = batch + self._finished
                failures += 1
                await asyncio.sleep(failure_backoff(failures))

    async def drain(self, timeout: float) -> bool:
        """Wait for updates being handled, then record them as done. True if all finished."""
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()  # still in the inbox: replayed at the next start
            if pending:
                await asyncio.wait(pending)
        if self._finish_task is not None:
            await self._finish_task
        if self._finished:
            await self._flush_finished()
        return all(not t.cancelled() for t in tasks)


def _serialise(update: Update) -> str:
    return json.dumps(update.to_dict(), ensure_ascii=False, separators=(",", ":"))


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
