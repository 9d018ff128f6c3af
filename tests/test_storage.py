"""Storage against a real SQLite file: migrations, idempotent intake, quota, outbox order."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import Stores, open_database
from storage.db import open_reader, schema_version
from storage.export import SUBMISSION_COLUMNS, ExportFilter, iter_export_rows
from storage.models import Kind, OutboxMessage, Status, Submission
from storage.submissions import NewSubmission, Quota, QuotaExceeded

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Stores]:
    db = await open_database(tmp_path / "townhall.db")
    yield Stores.on(db)
    await db.close()


def new(
    message_id: int, user: int = 1, text: str = "How will you fund the NGOs?", at: datetime = NOW
) -> NewSubmission:
    return NewSubmission(user, "fr", user, message_id, Kind.QUESTION, text, "fr", at)


def confirm(sub: Submission) -> OutboxMessage:
    return OutboxMessage(sub.chat_id, "send_message", {"text": f"#{sub.id}"}, f"confirm:{sub.id}")


async def test_migrations_set_wal_and_user_version(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "a.db")
    await db.close()
    db = await open_database(tmp_path / "a.db")  # a second open migrates nothing
    await db.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version() >= 1
    conn.close()


async def test_submit_is_idempotent_per_chat_and_message(repo: Stores) -> None:
    first = await repo.submissions.submit(new(10), None, confirm)
    again = await repo.submissions.submit(new(10, text="something else"), None, confirm)
    assert first.created and not again.created
    assert again.submission.id == first.submission.id
    assert again.submission.text == "How will you fund the NGOs?"
    counts = await repo.outbox.outbox_counts()
    assert sum(counts.values()) == 1  # one confirmation, however often the update is replayed


async def test_text_is_stored_exactly_as_sent(repo: Stores) -> None:
    text = "  <b>Q&A</b>\n\tمرحبا 👋🏽 \u200b end  "
    result = await repo.submissions.submit(new(11, text=text), None, confirm)
    stored = await repo.submissions.submission(result.submission.id)
    assert stored.text == text
    assert stored.status is Status.PENDING and stored.kind is Kind.QUESTION
    assert stored.created_at == NOW


async def test_quota_counts_only_the_window(repo: Stores) -> None:
    for i in range(3):
        await repo.submissions.submit(new(i + 1, at=NOW - timedelta(minutes=9 - i)), None, confirm)
    quota = Quota(limit=3, since=NOW - timedelta(minutes=10))
    with pytest.raises(QuotaExceeded) as exceeded:
        await repo.submissions.submit(new(99), quota, confirm)
    assert exceeded.value.oldest_in_window == NOW - timedelta(minutes=9)
    assert await repo.submissions.submission_by_message(1, 99) is None
    # Another participant is not affected; an older window lets the first one in again.
    assert (await repo.submissions.submit(new(5, user=2), quota, confirm)).created
    later = Quota(limit=3, since=NOW - timedelta(minutes=8, seconds=30))
    assert (await repo.submissions.submit(new(100), later, confirm)).created


async def test_pending_edit_is_compare_and_set(repo: Stores) -> None:
    sub = (await repo.submissions.submit(new(12), None, confirm)).submission
    note = lambda s: OutboxMessage(s.chat_id, "send_message", {"text": "edited"}, None)  # noqa: E731
    edited = await repo.submissions.edit_pending_text(sub.id, 1, "New text here", NOW, note)
    assert edited is not None and edited.text == "New text here"
    assert await repo.submissions.edit_pending_text(sub.id, 2, "not the owner", NOW, note) is None
    await repo.db.fetchall("UPDATE submissions SET status = 'approved' WHERE id = ?", (sub.id,))
    assert await repo.submissions.edit_pending_text(sub.id, 1, "too late now", NOW, note) is None
    assert (await repo.submissions.submission(sub.id)).text == "New text here"


async def test_outbox_claims_one_message_per_chat_in_order(repo: Stores) -> None:
    msgs = [
        OutboxMessage(100, "send_message", {"n": 1}, "a"),
        OutboxMessage(100, "send_message", {"n": 2}, "b"),
        OutboxMessage(200, "send_message", {"n": 3}, "c"),
        OutboxMessage(100, "send_message", {"n": 4}, "a"),  # duplicate key: ignored
    ]
    assert await repo.outbox.queue_messages(msgs, NOW) == 3
    now = NOW.timestamp()
    first = await repo.outbox.claim_due_messages(now, 10)
    assert [(i.chat_id, i.params["n"]) for i in first] == [(100, 1), (200, 3)]
    assert (  # chat 100 waits
        await repo.outbox.claim_due_messages(now, 10) == []
    )  # chat 100's next waits for its first
    await repo.outbox.mark_sent(first[0].id, 55, NOW)
    second = await repo.outbox.claim_due_messages(now, 10)
    assert [(i.chat_id, i.params["n"]) for i in second] == [(100, 2)]
    await repo.outbox.retry_later(second[0].id, now + 30, "502")
    assert await repo.outbox.claim_due_messages(now, 10) == []
    assert [i.params["n"] for i in await repo.outbox.claim_due_messages(now + 31, 10)] == [2]


async def test_interrupted_sends_are_requeued(repo: Stores) -> None:
    await repo.outbox.queue_messages([OutboxMessage(1, "send_message", {"text": "x"}, "x")], NOW)
    await repo.outbox.queue_messages([OutboxMessage(-5, "send_message", {"text": "y"}, "y")], NOW)
    claimed = await repo.outbox.claim_due_messages(NOW.timestamp(), 5, exclude_chats=[-5])
    assert [i.chat_id for i in claimed] == [1]  # the group waits for its next slot
    assert await repo.outbox.requeue_interrupted() == 1
    again = await repo.outbox.claim_due_messages(NOW.timestamp(), 5)
    assert [i.chat_id for i in again] == [1, -5] and again[0].attempts == 2


async def test_inbox_skips_updates_below_the_stored_offset(repo: Stores) -> None:
    assert await repo.inbox.store_updates([(5, "{}"), (6, '{"a":1}')]) == [5, 6]
    assert await repo.inbox.telegram_offset() == 7
    # Telegram re-sends 6 (its confirmation was lost in a crash) along with a new 7.
    assert await repo.inbox.store_updates([(6, '{"a":1}'), (7, "{}")]) == [7]
    assert [u.update_id for u in await repo.inbox.unprocessed_updates()] == [5, 6, 7]
    await repo.inbox.finish_updates([5, 7])
    assert [u.update_id for u in await repo.inbox.unprocessed_updates()] == [6]


async def test_export_rows_stream_with_pseudonyms(repo: Stores, tmp_path: Path) -> None:
    for i in range(5):
        await repo.submissions.submit(new(i + 1, user=1 + i % 2), None, confirm)
    await repo.db.fetchall(
        "UPDATE submissions SET status = 'approved', kind = 'idea' WHERE id = 2"
    )
    conn = open_reader(repo.db.path)
    rows = list(iter_export_rows(conn, chunk=2))
    approved = list(iter_export_rows(conn, ExportFilter(statuses=("approved",))))
    ideas = list(iter_export_rows(conn, ExportFilter(kind="idea")))
    identified = list(iter_export_rows(conn, ExportFilter(with_identities=True)))
    conn.close()
    column = list(SUBMISSION_COLUMNS).index
    at, who = column("submitted_at"), column("participant")
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][at] == "2026-11-26T12:00:00Z"
    assert rows[0][who] == rows[2][who] != rows[1][who]
    assert all(str(r[who]).startswith("P-") for r in rows)
    assert [r[0] for r in approved] == [2] == [r[0] for r in ideas]
    assert [r[who] for r in identified] == ["1", "2", "1", "2", "1"]


async def test_locale_choice_is_read_once_per_participant(repo: Stores) -> None:
    await repo.submissions.submit(new(1), None, confirm)
    await repo.db.fetchall("UPDATE participants SET locale = 'ar' WHERE user_id = 1")
    assert await repo.participants.locale_choice(1) == "ar"
    assert await repo.participants.locale_choice(99) is None
    await repo.db.fetchall("UPDATE participants SET locale = 'fr'")  # not through the repo
    assert (
        await repo.participants.locale_choice(1) == "ar"
    )  # the cache answers; the bot is the one writer


async def _approved(repo: Stores, count: int) -> list[int]:
    ids = []
    for n in range(count):
        sub = (await repo.submissions.submit(new(100 + n, user=10 + n), None, confirm)).submission
        await repo.db.fetchall(
            "UPDATE submissions SET status = 'approved', position = ? WHERE id = ?",
            (n + 1, sub.id),
        )
        ids.append(sub.id)
    return ids


async def test_the_show_moves_once_per_command_and_never_under_another_moderator(
    repo: Stores,
) -> None:
    from storage.live import LiveOutcome, LiveStore
    from storage.moderation import Actor

    store, moe, ana = LiveStore(repo.db), Actor(1, "Moe"), Actor(2, "Ana")
    first, second, third = await _approved(repo, 3)
    owed: list[int] = []

    def notices(show):  # type: ignore[no-untyped-def]
        owed.append(show.airing)
        return []

    async def step(
        key: str, expected: int | None, sid: int | None = None, who: Actor = moe, at: int = 0
    ) -> LiveOutcome:
        when = NOW + timedelta(seconds=at)
        change = await store.go_live(sid, expected, key, who, when, notices)
        return change.outcome

    assert await step("update:1", None) is LiveOutcome.LIVE  # /next: the first
    assert await store.live_now() == first
    # The same update replayed after a crash: the show does not move again.
    assert await step("update:1", first) is LiveOutcome.REPLAYED
    assert await store.live_now() == first
    # Ana's /next a few seconds after Moe's crossed it: refused, not a skipped question.
    assert await step("update:2", first, who=ana, at=3) is LiveOutcome.MOVED_ON
    # ... and that refusal, replayed, still changes nothing.
    assert await step("update:2", first, who=ana, at=30) is LiveOutcome.REPLAYED
    assert await store.live_now() == first
    # Moe puts the third on air; a command made when the first was on air is refused.
    assert await step("update:3", first, third, at=20) is LiveOutcome.LIVE
    assert await step("update:4", first, second, who=ana, at=40) is LiveOutcome.MOVED_ON
    assert await store.live_now() == third
    # Later, Ana's /next goes through: the second, the last one left.
    assert await step("update:5", third, who=ana, at=60) is LiveOutcome.LIVE
    assert await store.live_now() == second
    statuses = await repo.db.fetchall("SELECT id, status FROM submissions ORDER BY id")
    assert [(r["id"], r["status"]) for r in statuses] == [
        (first, "answered"), (second, "approved"), (third, "answered")
    ]  # fmt: skip
    assert len(owed) == 3 and len(set(owed)) == 3  # one airing each, numbered apart


async def test_a_chat_with_an_urgent_message_goes_ahead_of_bulk_notices(
    repo: Stores,
) -> None:
    bulk = [
        OutboxMessage(chat, "send_message", {"text": "on air"}, f"live:1:{chat}", priority=1)
        for chat in range(1, 101)
    ]
    await repo.outbox.queue_messages(bulk, NOW)
    # Chat 90 asks meanwhile: its confirmation is behind its own notice (a chat's order holds),
    # but that chat goes first; chat 200 has nothing queued before it.
    urgent = [
        OutboxMessage(90, "send_message", {"text": "#7"}, "confirm:7"),
        OutboxMessage(200, "send_message", {"text": "#8"}, "confirm:8"),
    ]
    await repo.outbox.queue_messages(urgent, NOW)
    claimed = await repo.outbox.claim_due_messages(NOW.timestamp() + 1, 5)
    chats = [item.chat_id for item in claimed]
    assert 90 in chats and 200 in chats
    assert next(i for i in claimed if i.chat_id == 90).params == {"text": "on air"}
