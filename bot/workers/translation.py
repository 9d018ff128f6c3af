"""The translation worker: detects each submission's language and translates it, after intake.

Intake never waits for it: a submission is stored and confirmed first, with its translation
'pending'; this worker fills in language and translation later. Detection and translation
libraries are synchronous, so they run in thread pools with a hard timeout. A timed-out call
keeps its thread slot until the thread really returns (deep-translator's HTTP calls get a
default timeout, see install_http_timeout), so a dead server can never take more threads than
the pool has. While the engine keeps failing, a circuit breaker stops calling it; every
pending translation survives restarts and is retried with backoff until it is done.

The engine can be a chain (TOWNHALL_TRANSLATOR=libre,deepl): for each text the first engine
that supports the pair and succeeds wins, and its name is what is recorded and cached. Each
engine has its own breaker and its own thread slots, so one that fails or hangs is paused
alone and never holds up the next. Engines whose language list is read from their server
(LibreTranslate) re-read it in a thread before the worker decides which engines can help.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.locks import KeyedLocks
from bot.services.language import UNDETERMINED, Detection, Detector
from bot.services.translation import Engine, TranslationFailed
from bot.workers.base import SupervisedWorker, WorkerHealth
from storage.models import TranslationJob, TranslationStatus
from storage.translations import TranslationStore

_log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSLATION_THREADS = 2
IDLE_POLL_S = 5.0
GATHER_S = 0.1
BATCH = 200
MAX_DETACHED = 32  # translations for readers still running after the reader moved on
BASE_BACKOFF_S = 2.0
MAX_BACKOFF_S = 30.0  # short enough that everything is translated within a minute of recovery
BREAKER_THRESHOLD = 5
BREAKER_BASE_COOLDOWN_S = 5.0
BREAKER_MAX_COOLDOWN_S = 30.0
_JITTER = random.Random()


def retry_delay(attempts: int) -> float:
    base = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2.0 ** max(0, attempts))
    return float(base * (0.75 + 0.5 * _JITTER.random()))


class EnginePaused(Exception):
    """The circuit breaker is open: the engine is not called for now."""


# What translate_text may raise when no engine can help right now.
ENGINE_ERRORS = (TranslationFailed, TimeoutError, EnginePaused)


def run_in_daemon_thread(fn: Callable[..., T], *args: object) -> asyncio.Future[T]:
    """Run `fn` in a new daemon thread and return a future for its result.

    Not a ThreadPoolExecutor: Python joins pool threads at exit, so one call hanging on a dead
    server would hold up the shutdown. A daemon thread is simply left behind.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting coroutine, not swallowed
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop may be closed by now
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="translate", daemon=True).start()
    return future


class CircuitBreaker:
    """Stops calls to an engine that keeps failing; lets one trial call through per cool-down."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, name: str = "translation engine"
    ) -> None:
        self.name = name
        self._threshold = BREAKER_THRESHOLD
        self._base = BREAKER_BASE_COOLDOWN_S
        self._max = BREAKER_MAX_COOLDOWN_S
        self._clock = clock
        self._failures = 0
        self._opened = 0  # how many times in a row it opened: the cool-down doubles
        self._open_until = 0.0

    @property
    def open_for(self) -> float:
        """Seconds until calls are allowed again (0 when closed)."""
        return max(0.0, self._open_until - self._clock())

    def allow(self) -> bool:
        return self.open_for == 0.0

    def success(self) -> None:
        self._failures = 0
        self._opened = 0
        self._open_until = 0.0

    def failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            cooldown = min(self._max, self._base * 2.0**self._opened)
            self._opened += 1
            self._failures = self._threshold - 1  # after the cool-down, one trial decides
            self._open_until = self._clock() + cooldown
            _log.warning("%s keeps failing; pausing it for %.0f s", self.name, cooldown)


@dataclasses.dataclass(eq=False)
class _Member:
    """One engine of the chain with its own breaker and thread slots: a failing engine is
    paused alone, and its threads stuck on a dead server never take the next engine's."""

    engine: Engine
    breaker: CircuitBreaker
    slots: asyncio.Semaphore
    reading: asyncio.Future[None] | None = None  # its language list, being re-read


class TranslationWorker(SupervisedWorker):
    name = "translation"
    # Intake wakes us once per question: in a burst, gather them into one batch.
    GATHER_S = GATHER_S

    def __init__(
        self,
        translations: TranslationStore,
        detector: Detector,
        engine: Engine | Sequence[Engine] | None,
        target: str,
        *,
        call_timeout: float = 20.0,
        threads: int = TRANSLATION_THREADS,
        wall_clock: Callable[[], float] = time.time,
        on_translated: Callable[[list[int]], Awaitable[None]] | None = None,
        health: WorkerHealth | None = None,
    ) -> None:
        super().__init__(health)
        self._translations = translations
        self._detector = detector
        engines = (
            () if engine is None else tuple(engine) if isinstance(engine, Sequence) else (engine,)
        )
        # In the order they are tried; empty: translation off.
        self._members = tuple(
            _Member(each, CircuitBreaker(name=each.name), asyncio.Semaphore(threads))
            for each in engines
        )
        self._target = target
        self._timeout = call_timeout
        self._threads = threads
        self._clock = wall_clock
        self._on_translated = on_translated
        # Detection gets its own thread, so languages still show while the engine hangs.
        self._detect_pool = ThreadPoolExecutor(1, thread_name_prefix="detect")
        self._jobs: dict[int, asyncio.Task[None]] = {}
        self._same_text: KeyedLocks[tuple[str, str]] = KeyedLocks()
        # Translations a reader stopped waiting for: they go on, and land in the cache.
        self._detached: dict[tuple[str, str, str], asyncio.Task[tuple[str, str] | None]] = {}

    @property
    def engines(self) -> tuple[Engine, ...]:
        return tuple(member.engine for member in self._members)

    def set_on_translated(self, callback: Callable[[list[int]], Awaitable[None]]) -> None:
        """Who hears that working-language texts are ready (curation, built after us)."""
        self._on_translated = callback

    async def drain(self, timeout: float) -> None:
        """Unfinished jobs stay pending in the database for the next start."""
        tasks: list[asyncio.Task[Any]] = [*self._jobs.values(), *self._detached.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        # Engine threads stuck in a call are daemons: not waited for, results dropped.
        self._detect_pool.shutdown(wait=False, cancel_futures=True)

    async def tick(self) -> float:
        # Settling (detection, no-engine outcomes) is cheap and batched: take many at once.
        # Engine calls wait for one of the few thread slots inside their own tasks.
        jobs = await self._translations.due_translations(self._clock(), BATCH, list(self._jobs))
        for job in await self._settle(jobs):
            task = asyncio.create_task(self._process(job))
            self._jobs[job.submission_id] = task
            task.add_done_callback(self._finished(job.submission_id))
        return await self._idle_timeout()

    async def _settle(self, jobs: list[TranslationJob]) -> list[TranslationJob]:
        """Detect a batch's languages in one thread call and record them, with the outcome of
        those that need no engine, in one transaction. Returns the ones to translate.

        A burst brings many at once: per-question database round trips would cost more than
        the detection itself.
        """
        new = [job for job in jobs if job.language is None]
        if new:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self._detect_pool, self._detect_all, new)
            by_id = {job.submission_id: job for job in jobs}
            for job, detection in zip(new, found, strict=True):
                by_id[job.submission_id] = dataclasses.replace(
                    job, language=detection.language, language_confidence=detection.confidence
                )
            jobs = list(by_id.values())
        outcomes = {job.submission_id: self._outcome_without_engine(job) for job in jobs}
        await self._translations.settle_translations(
            [(job, outcomes[job.submission_id]) for job in jobs],
            datetime.now(UTC),
        )
        ready = [
            job.submission_id
            for job in jobs
            if job.language == self._target and outcomes[job.submission_id] is not None
        ]
        if ready and self._on_translated is not None:
            # Written in the working language: its text is ready as it is (similar ones).
            await self._on_translated(ready)
        return [job for job in jobs if outcomes[job.submission_id] is None]

    def _detect_all(self, jobs: list[TranslationJob]) -> list[Detection]:
        return [self._detector.detect(job.text, job.hint) for job in jobs]

    def _outcome_without_engine(self, job: TranslationJob) -> TranslationStatus | None:
        """The final status when no engine call is needed, else None."""
        if job.language in (UNDETERMINED, self._target) or not self._members:
            return TranslationStatus.NOT_NEEDED
        if self._route(job.language or "", self._target) or not self._languages_settled():
            return None  # an engine for it, or a language list to read first (_process)
        self._log_unsupported(job)
        return TranslationStatus.FAILED

    def _route(self, source: str, target: str) -> list[_Member]:
        """The engines that support the pair, in the chain's order."""
        return [m for m in self._members if m.engine.supports_pair(source, target)]

    def _languages_settled(self) -> bool:
        """Whether every engine's language list is read and current: then an engine that
        does not list a language really lacks it."""
        return all(
            m.engine.languages_known() and not m.engine.languages_due() for m in self._members
        )

    def _log_unsupported(self, job: TranslationJob) -> None:
        names = ",".join(m.engine.name for m in self._members)
        _log.info("#%d: %s cannot translate from %r", job.submission_id, names, job.language)

    async def _read_languages(self) -> None:
        """Let each engine whose language list is due read it again, in a thread (a
        LibreTranslate server's GET /languages). Waited for only where no list was ever read:
        elsewhere the last one serves meanwhile, and a slow server holds up nobody."""
        first_reads: list[asyncio.Future[None]] = []
        for member in self._members:
            if member.reading is None and member.engine.languages_due():
                member.reading = run_in_daemon_thread(member.engine.refresh_languages)
                member.reading.add_done_callback(self._read_done(member))
            if member.reading is not None and not member.engine.languages_known():
                first_reads.append(member.reading)
        if first_reads:
            await asyncio.wait(first_reads, timeout=self._timeout)

    @staticmethod
    def _read_done(member: _Member) -> Callable[[asyncio.Future[None]], None]:
        def done(future: asyncio.Future[None]) -> None:
            member.reading = None
            if not future.cancelled() and (error := future.exception()) is not None:
                _log.warning("%s: reading its languages failed: %s", member.engine.name,
                             type(error).__name__)  # fmt: skip

        return done

    def _finished(self, submission_id: int) -> Callable[[asyncio.Task[None]], None]:
        def forget(task: asyncio.Task[None]) -> None:
            self._jobs.pop(submission_id, None)
            self._wake.set()
            if not task.cancelled() and (error := task.exception()) is not None:
                _log.error("translation of #%d crashed", submission_id, exc_info=error)

        return forget

    async def _idle_timeout(self) -> float:
        due = await self._translations.next_translation_due_at()
        if due is None:
            return IDLE_POLL_S
        return min(IDLE_POLL_S, max(0.05, due - self._clock()))

    async def _process(self, job: TranslationJob) -> None:
        assert self._members and job.language is not None  # settled otherwise
        await self._read_languages()
        route = self._route(job.language, self._target)
        if route:
            await self._translate(job, route, job.language)
        elif self._languages_settled():
            self._log_unsupported(job)
            await self._finish(job, TranslationStatus.FAILED)
        else:
            # A server whose list could not be read yet may well have it: ask again later.
            delay = retry_delay(job.attempts)
            await self._translations.postpone_translation(
                job.submission_id, self._clock() + delay, f"no engine lists {job.language} yet"
            )

    async def _translate(self, job: TranslationJob, route: list[_Member], source: str) -> None:
        # Identical texts arriving together wait for the first one, then find it cached.
        async with self._same_text.hold((source, job.text)):
            for member in route:
                name = member.engine.name
                cached = await self._translations.cached_translation(
                    name, source, self._target, job.text
                )
                if cached is not None:
                    await self._translations.link_cached(job.submission_id, job.text)
                    await self._finish(job, TranslationStatus.DONE, cached, name)
                    return
            await self._ask_engines(job, route, source)

    async def _ask_engines(self, job: TranslationJob, route: list[_Member], source: str) -> None:
        """The first engine of the route that succeeds translates; a failure of any kind
        (retryable or not, a timeout, a paused engine) passes the text on to the next."""
        failures: list[str] = []
        paused_for: list[float] = []
        for member in route:
            engine = member.engine
            try:
                translation = await self._call(
                    member, engine.translate, job.text, source, self._target
                )
            except EnginePaused:
                paused_for.append(member.breaker.open_for)
                continue
            except (TranslationFailed, TimeoutError) as error:
                member.breaker.failure()
                failures.append(
                    str(error) or f"{engine.name}: no answer within {self._timeout:.0f} s"
                )
                continue
            member.breaker.success()
            now = datetime.now(UTC)
            await self._translations.cache_translation(
                engine.name, source, self._target, job.text, translation, now, job.submission_id
            )
            await self._finish(job, TranslationStatus.DONE, translation, engine.name)
            return
        if not failures:
            # Not an attempt: no engine was asked. Come back when a breaker lets us.
            due = self._clock() + min(paused_for) + 0.1
            await self._translations.postpone_translation(
                job.submission_id, due, "engine paused", False
            )
            return
        reason = "; ".join(failures)
        delay = retry_delay(job.attempts)
        _log.info("#%d not translated (%s); retry in %.0f s", job.submission_id, reason, delay)
        await self._translations.postpone_translation(
            job.submission_id, self._clock() + delay, reason
        )

    async def translate_text(
        self, text: str, source: str, target: str, about: int | None = None
    ) -> tuple[str, str] | None:
        """Translate a text outside the submissions' flow (announcements): (translation,
        engine name), from the cache when it can. None when no engine can do it; raises
        TranslationFailed, TimeoutError or EnginePaused when every engine that could fails
        now (the last failure; EnginePaused when all of them are paused)."""
        if not self._members or source == target:
            return None
        await self._read_languages()
        route = self._route(source, target)
        for member in route:
            name = member.engine.name
            cached = await self._translations.cached_translation(name, source, target, text)
            if cached is not None:
                if about is not None:
                    await self._translations.link_cached(about, text)
                return cached, name
        failure: TranslationFailed | TimeoutError | None = None
        for member in route:
            try:
                translation = await self._call(
                    member, member.engine.translate, text, source, target
                )
            except EnginePaused:
                continue
            except (TranslationFailed, TimeoutError) as error:
                member.breaker.failure()
                failure = error
                continue
            member.breaker.success()
            name = member.engine.name
            await self._translations.cache_translation(
                name, source, target, text, translation, datetime.now(UTC), about
            )
            return translation, name
        if not route:
            return None
        if failure is not None:
            raise failure
        raise EnginePaused

    async def translate_within(
        self, text: str, source: str, target: str, wait: float, about: int | None = None
    ) -> tuple[str, str] | None:
        """`translate_text`, waited for at most `wait` seconds. One not done by then is not
        cancelled: it finishes on its own and is cached for the next reader (a slow engine
        used to be asked again for every page, and cached nothing). The same request made
        meanwhile shares it; at most MAX_DETACHED run at once. None when not done in time."""
        key = (source, target, text)
        task = self._detached.get(key)
        if task is None:
            if len(self._detached) >= MAX_DETACHED:
                return None
            task = asyncio.create_task(self.translate_text(text, source, target, about))
            self._detached[key] = task
            task.add_done_callback(self._forget_detached(key))
        done, _ = await asyncio.wait({task}, timeout=wait)
        return task.result() if done else None

    def _forget_detached(
        self, key: tuple[str, str, str]
    ) -> Callable[[asyncio.Task[tuple[str, str] | None]], None]:
        def forget(task: asyncio.Task[tuple[str, str] | None]) -> None:
            self._detached.pop(key, None)
            if not task.cancelled() and (error := task.exception()) is not None:
                _log.info("a detached translation failed: %s", type(error).__name__)

        return forget

    async def translate_many(
        self,
        text: str,
        source: str,
        targets: Iterable[str],
        deadline: float,
        about: int | None = None,
    ) -> dict[str, str]:
        """One text into several languages at once (each cached, one request per language).
        Whatever fails, or is not done within `deadline` seconds, is left out: announcements
        and answers go out in the original there rather than wait."""
        jobs = {
            target: asyncio.create_task(self._translate_or_none(text, source, target, about))
            for target in set(targets)
        }
        if jobs:
            await asyncio.wait(jobs.values(), timeout=deadline)
        made: dict[str, str] = {}
        for target, job in jobs.items():
            finished = job.done() and not job.cancelled() and job.exception() is None
            if finished and (translation := job.result()) is not None:
                made[target] = translation
            job.cancel()
        return made

    async def _translate_or_none(
        self, text: str, source: str, target: str, about: int | None
    ) -> str | None:
        try:
            found = await self.translate_text(text, source, target, about)
        except ENGINE_ERRORS as error:
            _log.warning("no %s translation: %s", target, error)
            return None
        return found[0] if found else None

    async def _call(self, member: _Member, fn: Callable[[str, str, str], T], *args: str) -> T:
        """Run a blocking engine call with a hard timeout; its slot frees when its thread does.

        The engine's breaker is asked once a slot is ours: many jobs may have queued for the
        slots while the engine was failing, and none of them should call it while it is paused.
        """
        await member.slots.acquire()
        if not member.breaker.allow():
            member.slots.release()
            raise EnginePaused
        future = run_in_daemon_thread(fn, *args)

        def release(done: asyncio.Future[T]) -> None:
            member.slots.release()
            if not done.cancelled():
                done.exception()  # a failure after we stopped waiting is nobody's error

        future.add_done_callback(release)
        return await asyncio.wait_for(asyncio.shield(future), self._timeout)

    async def _finish(
        self,
        job: TranslationJob,
        status: TranslationStatus,
        translation: str | None = None,
        engine: str | None = None,
    ) -> None:
        recorded = await self._translations.record_translation(
            job.submission_id, job.text, status, datetime.now(UTC), translation, engine
        )
        if recorded and translation is not None and self._on_translated is not None:
            await self._on_translated([job.submission_id])  # e.g. show it on the post
