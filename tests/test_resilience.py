"""Bursts, kills, throttling and outages: no question lost or stored twice, everyone answered."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.conftest import TOKEN, bot_env, running_bot, wait_idle
from tests.fakes.telegram_api import FakeTelegram, Storm
from tests.process import BotProcess, db_rows

REF = re.compile(r"#(\d+)")


def push_burst(fake: FakeTelegram, first_user: int, count: int) -> list[int]:
    users = list(range(first_user, first_user + count))
    for user in users:
        fake.push_message(
            user,
            f"Question from participant {user}: what comes next?",
            language_code=("en", "fr", "es", "ar", "ru", "zh", "pt")[user % 7],
        )
    return users


def confirmations(fake: FakeTelegram, user: int) -> list[int]:
    """The #ids in the messages the bot sent to a participant (one per confirmation)."""
    return [int(m) for msg in fake.messages_to(user) for m in REF.findall(msg.text or "")[:1]]


def assert_each_stored_once(db: Path, users: list[int]) -> dict[int, int]:
    rows = db_rows(db, "SELECT participant_id, id FROM submissions")
    by_user = {int(str(p)): int(str(i)) for p, i in rows}
    assert len(rows) == len(users) == len(by_user), "a question was lost or stored twice"
    assert set(by_user) == set(users)
    return by_user


async def assert_everyone_confirmed_once(
    fake: FakeTelegram, db: Path, users: list[int], timeout: float
) -> None:
    await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=timeout)
    # Every update handled and nothing left to send: a second confirmation would be in by now.
    await wait_idle(fake, db, timeout=timeout)
    by_user = assert_each_stored_once(db, users)
    for user in users:
        assert confirmations(fake, user) == [by_user[user]]


async def test_burst_of_300_participants(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        users = push_burst(fake, 1000, 300)
        await assert_everyone_confirmed_once(fake, bot.settings.db_path, users, timeout=60)


async def test_default_pace_stays_inside_telegrams_limits(tmp_path: Path) -> None:
    # An empty TOWNHALL_SEND_RATE means the default pace, which is what is under test.
    async with (
        FakeTelegram(enforce_rate_limits=True) as fake,
        running_bot(fake, tmp_path, TOWNHALL_SEND_RATE="") as bot,
    ):
        users = push_burst(fake, 3000, 90)
        await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=30)
        assert fake.rate_limited == 0
        assert_each_stored_once(bot.settings.db_path, users)


async def test_storm_of_429_and_502_delivers_every_confirmation(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        fake.storm = Storm(
            p429=0.1, retry_after=1, p502=0.3, seed=7, methods=frozenset({"sendMessage"})
        )
        async with running_bot(fake, tmp_path) as bot:
            users = push_burst(fake, 4000, 40)
            await assert_everyone_confirmed_once(fake, bot.settings.db_path, users, timeout=90)
            outcomes = [c.outcome for c in fake.calls("sendMessage")]
            assert any("429" in o for o in outcomes) and any("502" in o for o in outcomes)
            states = db_rows(
                bot.settings.db_path, "SELECT state, count(*) FROM outbox GROUP BY state"
            )
            assert states == [("sent", 40)]


@pytest.mark.parametrize("kill_after", [1, 60], ids=["during-intake", "during-sending"])
async def test_sigkill_mid_burst_then_restart_loses_nothing(
    fake: FakeTelegram, tmp_path: Path, kill_after: int
) -> None:
    db = tmp_path / "townhall.db"
    env = bot_env(fake, db, TOWNHALL_SEND_RATE="100")
    fake.latency = 0.005
    first = BotProcess(env, tmp_path / "first.log")
    await first.start()
    await fake.wait_for(lambda: fake.active_polls > 0, timeout=20)
    users = push_burst(fake, 5000, 300)
    await fake.wait_for(lambda: len(fake.sent) >= kill_after, timeout=30)
    first.kill()
    assert await first.wait() != 0
    delivered_before = len(fake.sent)
    assert delivered_before < 300, "the kill came too late to test anything"
    # Requests on the wire at the kill are the only ones whose fate the bot cannot know.
    uncertain = db_rows(db, "SELECT count(*) FROM outbox WHERE state = 'sending'")[0][0]

    second = BotProcess(env, tmp_path / "second.log")
    await second.start()
    await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=60)
    await wait_idle(fake, db, timeout=30)  # the replayed updates handled, everything sent
    assert await second.terminate() == 0

    by_user = assert_each_stored_once(db, users)
    extra = 0
    for user in users:
        got = confirmations(fake, user)
        assert got and set(got) == {by_user[user]}, f"participant {user} got {got}"
        extra += len(got) - 1
    assert extra <= int(str(uncertain)), f"{extra} duplicates, {uncertain} uncertain sends"
    assert db_rows(db, "SELECT count(*) FROM inbox") == [(0,)]
    assert db_rows(db, "SELECT state, count(*) FROM outbox GROUP BY state") == [("sent", 300)]


async def test_sigterm_finishes_in_flight_work_and_exits_zero(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "townhall.db"
    env = bot_env(fake, db, TOWNHALL_SEND_RATE="50")
    proc = BotProcess(env, tmp_path / "bot.log")
    await proc.start()
    await fake.wait_for(lambda: fake.active_polls > 0, timeout=20)
    users = push_burst(fake, 6000, 100)
    await fake.wait_for(lambda: len(fake.sent) >= 10, timeout=20)
    started = time.monotonic()
    assert await proc.terminate() == 0
    assert time.monotonic() - started <= 10
    # Whatever was not confirmed yet is still owed, and goes out at the next start.
    again = BotProcess(env, tmp_path / "bot2.log")
    await again.start()
    await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=30)
    assert await again.terminate() == 0
    assert_each_stored_once(db, users)
    assert all(len(fake.messages_to(u)) == 1 for u in users)
    log = proc.log_text() + again.log_text()
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


async def test_blocked_participant_does_not_hold_up_others(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.blocked_users.add(7001)
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(7001, "A question from someone who then blocked the bot")
        fake.push_message(7002, "A question from someone still listening")
        await fake.wait_for_messages(7002, 1)
        await fake.wait_for(
            lambda: bot.query("SELECT state FROM outbox WHERE chat_id = 7001")[0][0] == "failed"
        )
        assert len(bot.submissions()) == 2  # the question itself is kept
        assert fake.messages_to(7001) == []
