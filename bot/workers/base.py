"""One supervised loop for every background worker: start, wake, stop(timeout), and a tick
that may fail without ending the worker.

Before this base, three of four workers had no guard: one `database is locked` from a claim
ended sending for good while intake went on confirming nothing, and stop() swallowed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

_log = logging.getLogger(__name__)

BASE_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
# A worker is reported failing after this many ticks in a row have failed.
FAILING_AFTER = 3
_JITTER = random.Random()


def failure_backoff(failures: int) -> float:
    """0.5 s, 1 s, 2 s ... 30 s, with jitter so that workers do not retry in step."""
    base = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2.0 ** max(0, failures - 1))
    return base * (0.75 + 0.5 * _JITTER.random())


@dataclass(slots=True)
class WorkerState:
    failures: int = 0  # in a row; 0 once a tick succeeds
    total_failures: int = 0
    last_error: str | None = None  # the exception's type and message, never a traceback
    last_error_at: float | None = None
    last_ok_at: float | None = None


class WorkerHealth:
    """What each worker's last ticks did; read by /healthz and saved for `stats --ops`."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._states: dict[str, WorkerState] = {}
        self._clock = clock
        # Called with (name, state) when a worker starts or stops failing (not on every tick).
        self.on_change: Callable[[str, WorkerState], None] | None = None

    def state(self, name: str) -> WorkerState:
        return self._states.setdefault(name, WorkerState())

    def ok(self, name: str) -> None:
        state = self.state(name)
        state.last_ok_at = self._clock()
        if state.failures:
            state.failures = 0
            self._changed(name, state)

    def failed(self, name: str, error: BaseException) -> None:
        state = self.state(name)
        state.failures += 1
        state.total_failures += 1
        state.last_error = f"{type(error).__name__}: {error}"[:300]
        state.last_error_at = self._clock()
        if state.failures in (1, FAILING_AFTER):
            self._changed(name, state)

    def failing(self) -> list[str]:
        return sorted(n for n, s in self._states.items() if s.failures >= FAILING_AFTER)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: asdict(state) for name, state in sorted(self._states.items())}

    def _changed(self, name: str, state: WorkerState) -> None:
        if self.on_change is not None:
            self.on_change(name, state)


class SupervisedWorker(ABC):
    """Subclasses implement `tick()`: one pass of work, returning how long to wait at most
    before the next one (wake() cuts the wait short)."""

    name: ClassVar[str]
    # After a wait, gather a burst of wakes into one tick (0: none).
    GATHER_S: ClassVar[float] = 0.0

    def __init__(self, health: WorkerHealth | None = None) -> None:
        self._health = health or WorkerHealth()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"worker:{self.name}")

    async def stop(self, timeout: float) -> None:
        """Stop the loop, then let the worker finish what it has in hand within `timeout`."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=timeout)
            self._task = None
        await self.drain(timeout)

    async def drain(self, timeout: float) -> None:
        """Finish or abandon work in hand after the loop stopped (default: nothing)."""
        return None

    @abstractmethod
    async def tick(self) -> float: ...

    async def _run(self) -> None:
        while True:
            # Cleared before the tick: a wake() during it is not lost.
            self._wake.clear()
            wait = await self._supervised_tick()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                if self.GATHER_S:
                    await asyncio.sleep(self.GATHER_S)

    async def _supervised_tick(self) -> float:
        try:
            wait = await self.tick()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any failure: log, back off, go on
            self._health.failed(self.name, error)
            failures = self._health.state(self.name).failures
            delay = failure_backoff(failures)
            # The type says what went wrong (database locked, disk full...); the traceback
            # once per streak is enough to find where.
            _log.error(
                "%s worker: %s (failure %d in a row); retrying in %.1f s",
                self.name,
                type(error).__name__,
                failures,
                delay,
                exc_info=error if failures == 1 else None,
            )
            return delay
        self._health.ok(self.name)
        return wait
