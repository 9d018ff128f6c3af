"""The translation worker's pieces: circuit breaker, backoff, daemon-thread calls."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.workers import translation as translation_worker
from bot.workers.translation import CircuitBreaker, retry_delay, run_in_daemon_thread


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_repeated_failures_and_lets_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock)
    for _ in range(translation_worker.BREAKER_THRESHOLD - 1):
        breaker.failure()
        assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    assert breaker.open_for == pytest.approx(translation_worker.BREAKER_BASE_COOLDOWN_S)
    clock.now += breaker.open_for
    assert breaker.allow()  # the trial call
    breaker.failure()  # the trial failed: open again, for twice as long
    assert breaker.open_for == pytest.approx(2 * translation_worker.BREAKER_BASE_COOLDOWN_S)
    clock.now += 1000
    breaker.success()
    assert breaker.allow() and breaker.open_for == 0


def test_breaker_cooldown_is_capped() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock)
    for _ in range(50):
        breaker.failure()
        clock.now += breaker.open_for
    breaker.failure()
    assert breaker.open_for <= translation_worker.BREAKER_MAX_COOLDOWN_S


def test_retry_delay_grows_with_jitter_and_is_capped() -> None:
    first = [retry_delay(0) for _ in range(50)]
    assert all(
        0.75 * translation_worker.BASE_BACKOFF_S <= d <= 1.25 * translation_worker.BASE_BACKOFF_S
        for d in first
    )
    assert len(set(first)) > 1  # jitter: retries of many questions do not arrive in lockstep
    assert max(retry_delay(30) for _ in range(50)) <= 1.25 * translation_worker.MAX_BACKOFF_S


async def test_daemon_thread_call_returns_result_error_and_does_not_block() -> None:
    assert await run_in_daemon_thread(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ValueError, match="bad"):
        await run_in_daemon_thread(lambda: (_ for _ in ()).throw(ValueError("bad")))
    release = threading.Event()
    stuck = run_in_daemon_thread(release.wait)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(stuck), 0.1)
    release.set()
    assert await stuck is True
