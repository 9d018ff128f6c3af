"""The outbox serves chats in turn: one chat's backlog cannot delay everyone else's answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import Stores, open_database
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
FLOODER = 100
OTHERS = [201, 202, 203, 204, 205]
STEP = 0.04  # seconds between two claims: the sender at 25 messages/s


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Stores]:
    db = await open_database(tmp_path / "townhall.db")
    yield Stores.on(db)
    await db.close()


def reply(chat_id: int, n: int, priority: int = 0) -> OutboxMessage:
    return OutboxMessage(chat_id, "send_message", {"n": n}, f"{chat_id}:{n}", priority=priority)


async def drain(repo: Stores, start: float, per_claim: int = 1) -> list[tuple[int, int]]:
    """Claim and deliver everything as the sender would; (chat, n) in the order claimed."""
    order: list[tuple[int, int]] = []
    now = start
    while items := await repo.outbox.claim_due_messages(now, per_claim):
        for item in items:
            order.append((item.chat_id, item.params["n"]))
            await repo.outbox.mark_sent(item.id, len(order), NOW)
        now += STEP
    return order


@pytest.mark.parametrize("per_claim", [1, 3])
async def test_a_chat_with_80_queued_gets_one_turn_per_round_like_everyone_else(
    repo: Stores, per_claim: int
) -> None:
    await repo.outbox.queue_messages([reply(FLOODER, n) for n in range(80)], NOW)
    # Five people asked a moment after the flood's replies were all queued.
    later = NOW + timedelta(seconds=1)
    await repo.outbox.queue_messages([reply(chat, 0) for chat in OTHERS], later)

    order = await drain(repo, later.timestamp() + 1, per_claim)

    first_round = order[: len(OTHERS) + 1]
    assert {chat for chat, _ in first_round} == {FLOODER, *OTHERS}
    # The flooding chat's messages still leave in their order, all of them.
    assert [n for chat, n in order if chat == FLOODER] == list(range(80))
    assert len(order) == 80 + len(OTHERS)


async def test_each_chat_with_a_backlog_takes_its_turn_in_each_round(repo: Stores) -> None:
    for chat in (1, 2, 3):
        await repo.outbox.queue_messages([reply(chat, n) for n in range(3)], NOW)
    order = await drain(repo, NOW.timestamp() + 1)
    assert [chat for chat, _ in order] == [1, 2, 3] * 3
    assert [n for _, n in order] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


async def test_someone_asking_later_still_waits_behind_nobody_more_than_one_turn_each(
    repo: Stores,
) -> None:
    await repo.outbox.queue_messages([reply(FLOODER, n) for n in range(80)], NOW)
    start = NOW.timestamp() + 1
    order = await drain_some(repo, start, 30)
    # 30 of the flooder's went out; then someone asks.
    asked_at = start + 30 * STEP
    await repo.outbox.queue_messages([reply(OTHERS[0], 0)], datetime.fromtimestamp(asked_at, UTC))
    order = await drain(repo, asked_at + STEP / 2)
    assert order.index((OTHERS[0], 0)) <= 1  # at most the flooder's turn already due


async def drain_some(repo: Stores, start: float, count: int) -> list[tuple[int, int]]:
    order: list[tuple[int, int]] = []
    now = start
    while len(order) < count:
        [item] = await repo.outbox.claim_due_messages(now, 1)
        order.append((item.chat_id, item.params["n"]))
        await repo.outbox.mark_sent(item.id, len(order), NOW)
        now += STEP
    return order


async def test_priority_still_comes_first_and_turns_apply_within_it(repo: Stores) -> None:
    notices = [reply(chat, 0, priority=1) for chat in (301, 302)]
    await repo.outbox.queue_messages(notices, NOW)
    await repo.outbox.queue_messages([reply(FLOODER, n) for n in range(3)], NOW)
    later = NOW + timedelta(seconds=1)
    await repo.outbox.queue_messages([reply(OTHERS[0], 0)], later)

    order = await drain(repo, later.timestamp() + 1)

    assert order == [
        (FLOODER, 0), (OTHERS[0], 0), (FLOODER, 1), (FLOODER, 2), (301, 0), (302, 0)
    ]  # fmt: skip


async def test_a_retried_message_keeps_its_chats_order_and_waits_for_its_time(
    repo: Stores,
) -> None:
    await repo.outbox.queue_messages([reply(FLOODER, n) for n in range(3)], NOW)
    await repo.outbox.queue_messages([reply(OTHERS[0], 0)], NOW)
    now = NOW.timestamp() + 1
    [first, other] = await repo.outbox.claim_due_messages(now, 2)
    assert (first.chat_id, other.chat_id) == (FLOODER, OTHERS[0])
    await repo.outbox.retry_later(first.id, now + 30, "502")
    await repo.outbox.mark_sent(other.id, 1, NOW)
    assert await repo.outbox.claim_due_messages(now + 1, 5) == []  # the chat waits
    order = await drain(repo, now + 31)
    assert order == [(FLOODER, 0), (FLOODER, 1), (FLOODER, 2)]
