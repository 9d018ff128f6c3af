"""End to end: the bot, the fake Bot API and a fake LibreTranslate server, all over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.workers import translation as translation_worker
from tests.conftest import RunningBot, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram

FRENCH = "Comment allez-vous protéger les journalistes dans les zones de conflit ?"
SPANISH = "¿Cómo van a proteger a los periodistas en las zonas de conflicto armado?"


@pytest.fixture
async def libre() -> AsyncIterator[FakeLibreTranslate]:
    async with FakeLibreTranslate() as server:
        yield server


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real pauses (seconds to half a minute) make sense against a real server; the
    # behaviour under test is the same with shorter ones.
    monkeypatch.setattr(translation_worker, "BASE_BACKOFF_S", 0.1)
    monkeypatch.setattr(translation_worker, "MAX_BACKOFF_S", 0.5)
    monkeypatch.setattr(translation_worker, "BREAKER_BASE_COOLDOWN_S", 0.3)
    monkeypatch.setattr(translation_worker, "BREAKER_MAX_COOLDOWN_S", 1.0)


def libre_env(libre: FakeLibreTranslate) -> dict[str, str]:
    return {
        "TOWNHALL_TRANSLATOR": "libre",
        "TOWNHALL_TRANSLATOR_URL": libre.url,
        "TOWNHALL_TRANSLATOR_TIMEOUT": "1",
    }


async def wait_translated(bot: RunningBot, count: int, timeout: float = 20) -> None:
    def done() -> bool:
        rows = bot.query("SELECT count(*) FROM submissions WHERE translation_status != 'pending'")
        return int(rows[0][0]) >= count

    await bot.fake.wait_for(done, timeout=timeout)


async def test_question_is_detected_and_translated(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        fake.push_message(1, FRENCH, language_code="fr")
        fake.push_message(2, "How will the ministry protect journalists in conflict zones?")
        fake.push_message(3, "12345678 ??? 2026")
        await wait_translated(bot, 3)
        french, english, numbers = bot.submissions()
        assert french["language"] == "fr" and 0 < french["language_confidence"] <= 1
        assert french["translation_status"] == "done"
        assert french["translation"] == f"[fr->en] {FRENCH}"
        assert french["translation_engine"] == "libre" and french["translated_at"].endswith("Z")
        assert english["language"] == "en" and english["translation_status"] == "not_needed"
        assert english["translation"] is None
        assert numbers["language"] == "und" and numbers["translation_status"] == "not_needed"
        assert [r["source"] for r in libre.requests] == ["fr"]  # no call for en or und


async def test_identical_text_is_translated_once(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        for user in (10, 11, 12):
            fake.push_message(user, SPANISH, language_code="es")
        await wait_translated(bot, 3)
        assert {r["translation"] for r in bot.submissions()} == {f"[es->en] {SPANISH}"}
        assert len(libre.requests) == 1


async def test_hanging_translator_delays_no_confirmation_and_loses_nothing(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    libre.mode = "hang"
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        users = list(range(100, 200))
        for user in users:
            fake.push_message(user, f"{FRENCH} ({user})", language_code="fr")
        await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=30)
        statuses = bot.values("SELECT translation_status, count(*) FROM submissions GROUP BY 1")
        assert statuses == [("pending", 100)]  # every one confirmed while the server hung
        # The languages are known even though the engine hangs (detection has its own thread).
        await bot.fake.wait_for(
            lambda: (
                bot.query("SELECT count(*) FROM submissions WHERE language = 'fr'")[0][0] == 100
            )
        )
        # The circuit breaker keeps a dead engine from being called for every question: once
        # each of the 100 has been through the worker (tried, or put off while the breaker is
        # open), the engine has been called only a few times.
        await bot.fake.wait_for(
            lambda: bot.values(
                "SELECT count(*) FROM submissions WHERE translation_error IS NULL"
            ) == [(0,)],
            timeout=20,
        )  # fmt: skip
        assert 0 < len(libre.requests) < 30
        paused = "SELECT count(*) FROM submissions WHERE translation_error = 'engine paused'"
        assert bot.values(paused)[0][0] > 0
        libre.mode = "ok"
        await wait_translated(bot, 100, timeout=60)
        rows = bot.submissions()
        assert all(r["translation"] == f"[fr->en] {r['text']}" for r in rows)


@pytest.mark.parametrize("outage", ["error503", "refused", "empty", "slow"])
async def test_translations_fill_in_after_an_outage(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path, outage: str
) -> None:
    if outage == "refused":
        await libre.stop()
    else:
        libre.mode = outage
        # "slow" is an outage only when slower than the engine's timeout (1 s, libre_env).
        libre.delay = 2.0
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        for user in range(300, 310):
            fake.push_message(user, f"{SPANISH} ({user})", language_code="es")
        await fake.wait_for(lambda: all(fake.messages_to(u) for u in range(300, 310)), 10)
        # Every question has been through the worker at least once: tried and failed (or
        # put off by the circuit breaker), or translated if the outage let one through.
        await fake.wait_for(
            lambda: bot.values(
                "SELECT count(*) FROM submissions"
                " WHERE translation_error IS NULL AND translation_status = 'pending'"
            ) == [(0,)],
            timeout=15,
        )  # fmt: skip
        # None got a translation during the outage, and nothing was given up on.
        assert bot.values("SELECT translation_status, count(*) FROM submissions GROUP BY 1") == [
            ("pending", 10)
        ]
        # The engine was really asked (a refused connection never reaches the server).
        assert (len(libre.requests) > 0) is (outage != "refused")
        if outage == "refused":
            await libre.restart()
        libre.mode = "ok"
        await wait_translated(bot, 10, timeout=30)
        rows = bot.submissions()
        assert all(r["translation_status"] == "done" for r in rows)
        assert all(r["translation"] == f"[es->en] {r['text']}" for r in rows)


async def test_pending_translations_survive_a_restart(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    libre.mode = "error503"
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        fake.push_message(400, FRENCH, language_code="fr")
        await fake.wait_for_messages(400, 1)
    libre.mode = "ok"
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        await wait_translated(bot, 1)
        [row] = bot.submissions()
        assert row["translation"] == f"[fr->en] {FRENCH}"


async def test_an_edit_is_translated_again(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, **libre_env(libre)) as bot:
        sent = fake.push_message(500, FRENCH, language_code="fr")
        await wait_translated(bot, 1)
        fake.push_edited_message(500, sent["message_id"], SPANISH, language_code="fr")
        await fake.wait_for_messages(500, 2)
        await wait_translated(bot, 1)
        [row] = bot.submissions()
        assert row["language"] == "es" and row["translation"] == f"[es->en] {SPANISH}"


async def test_translation_off_marks_not_needed_but_detects(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, TOWNHALL_TRANSLATOR="none") as bot:
        fake.push_message(600, FRENCH, language_code="fr")
        await wait_translated(bot, 1)
        [row] = bot.submissions()
        assert row["language"] == "fr" and row["translation_status"] == "not_needed"
