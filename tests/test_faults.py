"""Faults a live event meets: Telegram out of reach at start, a bad token, and the database
locked by another program while people write. The bot keeps serving and loses nothing."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from bot import runner
from bot.config import load_settings
from tests.conftest import TOKEN, RunningBot, bot_env, running_bot
from tests.fakes.telegram_api import FakeTelegram, Fault
from tests.process import run_cli

REF = re.compile(r"#(\d+)")


async def test_telegram_out_of_reach_at_start_is_retried(
    fake: FakeTelegram,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(runner, "START_RETRY_S", 0.05)
    fake.inject("getMe", Fault(status=502), Fault(drop=True), Fault(status=503))
    fake.inject("deleteWebhook", Fault(status=500))
    caplog.set_level(logging.WARNING, logger="bot.runner")
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(77, "Does the bot answer after a bumpy start?")
        assert REF.search(await bot.reply_to(77, 0, timeout=10))
    attempts = [r for r in caplog.records if "Telegram is unreachable" in r.getMessage()]
    assert [r.getMessage().split(":")[0] for r in attempts] == ["getMe"] * 3 + ["deleteWebhook"]
    assert all(r.exc_info is None for r in attempts)  # one line each, no traceback


async def test_an_invalid_token_stops_the_start_with_one_line(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.invalid_tokens.add(TOKEN)
    env = bot_env(fake, tmp_path / "t.db")
    code, _, err = await run_cli("run", env=env, timeout=30)
    assert code == 2
    assert err.strip().splitlines()[-1].endswith("check it with @BotFather")
    assert "Traceback" not in err and TOKEN not in err


def hold_write_lock(db: Path, seconds: float, locked: threading.Event) -> None:
    """Another program (an operator's sqlite3 shell) holding the write lock."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        threading.Event().wait(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_a_locked_database_delays_answers_but_loses_none(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(1, "Before the lock: is the bot alive?")
        await bot.reply_to(1, 0)
        locked = threading.Event()
        holder = asyncio.create_task(
            asyncio.to_thread(hold_write_lock, bot.settings.db_path, 8.0, locked)
        )
        await asyncio.to_thread(locked.wait, 5)
        writers = list(range(100, 140))
        for user in writers:  # 40 people write while another program holds the lock
            fake.push_message(user, f"Question {user} asked while the database was locked")
        await asyncio.sleep(1.0)
        assert not bot.task.done()
        await holder
        for user in writers:
            await fake.wait_for_messages(user, 1, timeout=60)
        assert not bot.task.done()
        await assert_handled_once(bot, writers)


async def assert_handled_once(bot: RunningBot, users: list[int]) -> None:
    # A later message answered proves everything before it was handled (per-chat order).
    bot.fake.push_message(users[-1], "A last word after the lock")
    await bot.fake.wait_for_messages(users[-1], 2, timeout=20)
    rows = bot.values("SELECT participant_id, count(*) FROM submissions GROUP BY participant_id")
    counts = dict(rows)
    assert all(counts[u] == 1 for u in users[:-1]) and counts[users[-1]] == 2
    for user in users[:-1]:
        confirmations = [m for m in bot.fake.messages_to(user) if REF.search(m.text or "")]
        assert len(confirmations) == 1, user
    # Handled updates leave the inbox (in small batches, a moment later).
    await bot.fake.wait_for(lambda: bot.values("SELECT count(*) FROM inbox") == [(0,)])


async def test_the_poller_keeps_updates_it_could_not_store(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox refuses writes for a while: the offset is not advanced, Telegram sends the
    same updates again, and each is handled once."""
    from storage.inbox import InboxStore

    failures = 3
    real_store = InboxStore.store_updates

    async def flaky(self: InboxStore, updates: object) -> list[int]:
        nonlocal failures
        if failures:
            failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return await real_store(self, updates)  # type: ignore[arg-type]

    monkeypatch.setattr(InboxStore, "store_updates", flaky)
    settings = load_settings(bot_env(fake, tmp_path / "townhall.db"))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_bot(settings, stop))
    bot = RunningBot(fake, settings, task, stop)
    try:
        users = [201, 202, 203]
        for user in users:
            fake.push_message(user, f"Question {user} while the inbox refuses writes")
        for user in users:
            await fake.wait_for_messages(user, 1, timeout=20)
        assert failures == 0
        await assert_handled_once(bot, users)
    finally:
        await bot.shutdown()


async def test_a_handler_meeting_a_locked_database_handles_the_update_again(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No apology for a busy database: the update stays in the inbox, is handled again once
    it answers, and the participant is confirmed once."""
    from storage.submissions import SubmissionStore

    failures = 2
    real_submit = SubmissionStore.submit

    async def flaky(self: SubmissionStore, *args: object, **kwargs: object) -> object:
        nonlocal failures
        if failures:
            failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return await real_submit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SubmissionStore, "submit", flaky)
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(301, "Will this survive a locked database under the handler?")
        answer = await bot.reply_to(301, 0, timeout=20)
        assert REF.search(answer) and failures == 0
        await assert_handled_once(bot, [301])
        sent = [REF.findall(m.text or "")[:1] for m in fake.messages_to(301)]
        assert sent == [["1"], ["2"]]  # confirmed once each, and no apology
