"""The outbox claim costs the rows it claims, not the rows queued, and claims what it did before.

The claim reads outbox_heads (storage/schema/013_outbox_heads.sql), which triggers keep in
step with the outbox. Here: the plan (an index in the claim's order, no sort, no scan of the
outbox); the work SQLite does (virtual machine steps, counted by a progress handler: no
timing) at 200 and at 20,000 queued; and randomized runs of every operation on the outbox
checked against a plain model of the rules and against the claim as it was before.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Stores, open_database
from storage.db import migrations
from storage.models import OutboxMessage
from storage.outbox import CLAIM_SQL, HEADS_OF_NEW_ROWS

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
T0 = NOW.timestamp()
OPEN = ("queued", "sending")

# The claim's selection before outbox_heads: the reference the new one must agree with.
OLD_SELECTION = (
    "SELECT o.id FROM outbox AS o"
    " WHERE o.state = 'queued' AND o.next_attempt_at <= ?"
    " AND o.chat_id NOT IN (SELECT value FROM json_each(?))"
    " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.chat_id = o.chat_id"
    "   AND p.id < o.id AND p.state IN ('queued', 'sending'))"
    " ORDER BY (SELECT min(q.priority) FROM outbox AS q WHERE q.chat_id = o.chat_id"
    "   AND q.state IN ('queued', 'sending')), o.next_attempt_at, o.id LIMIT ?"
)
# outbox_heads as it must be: what the migration's back-fill computes from the outbox.
HEADS_FROM_SCRATCH = (
    "SELECT o.chat_id, o.id, o.state = 'queued', c.priority, o.next_attempt_at"
    " FROM (SELECT chat_id, min(id) AS head_id, min(priority) AS priority FROM outbox"
    "       WHERE state IN ('queued', 'sending') GROUP BY chat_id) AS c"
    " JOIN outbox AS o ON o.id = c.head_id ORDER BY o.chat_id"
)
HEADS = (
    "SELECT chat_id, head_id, waiting, priority, next_attempt_at FROM outbox_heads"
    " ORDER BY chat_id"
)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Stores]:
    db = await open_database(tmp_path / "townhall.db")
    yield Stores.on(db)
    await db.close()


def message(chat_id: int, n: int, priority: int = 0, key: str | None = None) -> OutboxMessage:
    return OutboxMessage(
        chat_id, "send_message", {"n": n}, f"{chat_id}:{n}", priority=priority, coalesce_key=key
    )


def seed(path: Path, queued: int) -> None:
    """`queued` notices, one per chat (priority 1), and a few replies (priority 0) in chats of
    their own and behind some of the notices; some chats with a message on the wire."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO outbox (chat_id, method, payload, next_attempt_at, created_at, priority)"
            " VALUES (?, 'send_message', '{\"n\":1}', ?, 'x', ?)",
            [(10_000 + i, T0 - 60 + i % 7, 1) for i in range(queued)]
            + [(10_000 + i, T0 - 1, 0) for i in range(0, queued, 50)]
            + [(900 + i, T0 - 30, 0) for i in range(5)],
        )
        conn.execute(HEADS_OF_NEW_ROWS, (0,))  # as queue_in_transaction does
        conn.execute(
            "UPDATE outbox SET state = 'sending' WHERE id IN"
            " (SELECT id FROM outbox WHERE priority = 1 ORDER BY id LIMIT 3)"
        )
    conn.close()


def vm_steps(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> int:
    """Virtual machine steps (in hundreds) SQLite takes for a statement, its triggers included:
    a measure of the work, steady from run to run, unlike a timing."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 100)
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.set_progress_handler(None, 0)
    return steps


async def test_the_claim_reads_an_index_in_its_own_order_and_scans_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "townhall.db"
    await (await open_database(path)).close()
    seed(path, 2_000)
    conn = sqlite3.connect(path)
    try:
        for analyzed in (False, True):  # with the planner's statistics too
            if analyzed:
                conn.execute("ANALYZE")
            plan = [
                str(row[3])
                for row in conn.execute(f"EXPLAIN QUERY PLAN {CLAIM_SQL}", (T0, T0, "[5]", 16))
            ]
            # A scan of the index in order, or a skip-scan of it (one range per priority).
            reads = [step for step in plan if step.split(" USING")[0] in ("SCAN h", "SEARCH h")]
            assert len(reads) == 1 and "USING INDEX outbox_heads_due" in reads[0], plan
            assert "SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
            assert not any("TEMP B-TREE" in step for step in plan), plan
            assert not any(step.startswith("SCAN outbox") for step in plan), plan
            assert not any(step.startswith(("SCAN o", "SCAN q", "SCAN p")) for step in plan)
    finally:
        conn.close()


def test_only_the_outbox_store_inserts_into_the_outbox() -> None:
    """outbox_heads learns of new rows from queue_in_transaction (no trigger: it would triple
    the time to queue a notice to 100,000 people), so every insert must go through it. A row
    inserted elsewhere would never be claimed."""
    root = Path(__file__).resolve().parent.parent
    inserting = re.compile(r"\bINTO\s+outbox\b", re.IGNORECASE)
    found = {
        str(path.relative_to(root))
        for folder in ("bot", "storage")
        for path in (root / folder).rglob("*")
        if path.suffix in (".py", ".sql") and inserting.search(path.read_text(encoding="utf-8"))
    }
    assert found == {"storage/outbox.py"}


async def test_the_claim_and_the_sends_cost_the_same_at_200_and_at_20000_queued(
    tmp_path: Path,
) -> None:
    """The claim and the marks that follow it, triggers and all, take as many steps with
    20,000 rows queued as with 200 (the claim before took a hundred times more)."""
    steps: dict[tuple[str, int], int] = {}
    for queued in (200, 20_000):
        path = tmp_path / f"q{queued}.db"
        await (await open_database(path)).close()
        seed(path, queued)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            for name, sql in (("old", OLD_SELECTION), ("new", CLAIM_SQL)):
                conn.execute("BEGIN")
                params = (T0, "[]", 16) if name == "old" else (T0, T0, "[]", 16)
                steps[name, queued] = vm_steps(conn, sql, params)
                if name == "new":
                    claimed = [
                        r[0]
                        for r in conn.execute(
                            "SELECT id FROM outbox WHERE state = 'sending' AND attempts = 1"
                        )
                    ]
                    assert len(claimed) == 16
                    marks = vm_steps(
                        conn,
                        "UPDATE outbox SET state = 'sent', payload = '{}'"
                        " WHERE id IN (SELECT value FROM json_each(?))",
                        (json.dumps(claimed),),
                    )
                    steps["marks", queued] = marks
                conn.execute("ROLLBACK")
        finally:
            conn.close()
    assert steps["new", 20_000] <= 2 * steps["new", 200] + 5, steps
    assert steps["marks", 20_000] <= 2 * steps["marks", 200] + 5, steps
    assert steps["old", 20_000] > 50 * steps["old", 200], steps  # the measure does tell


async def test_a_chat_with_an_urgent_message_behind_a_notice_goes_first_with_its_notice(
    repo: Stores,
) -> None:
    # Notices to many (priority 1); then one of those people asks, and is confirmed (0).
    await repo.outbox.queue_messages([message(chat, 0, priority=1) for chat in (1, 2, 3)], NOW)
    await repo.outbox.queue_messages([message(3, 1)], NOW)
    first = await repo.outbox.claim_due_messages(T0 + 1, 1)
    assert [(i.chat_id, i.params["n"]) for i in first] == [(3, 0)]  # its order is kept
    await repo.outbox.mark_sent(first[0].id, 1, NOW)
    second = await repo.outbox.claim_due_messages(T0 + 2, 1)
    assert [(i.chat_id, i.params["n"]) for i in second] == [(3, 1)]


async def test_the_migration_fills_the_heads_from_the_messages_already_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "townhall.db"
    conn = sqlite3.connect(path)
    for number, sql in migrations()[:12]:
        conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.executemany(
        "INSERT INTO outbox (chat_id, method, payload, next_attempt_at, created_at, priority,"
        " state) VALUES (?, 'send_message', '{\"n\":1}', ?, 'x', ?, ?)",
        [
            (1, T0 - 5, 1, "sent"),
            (1, T0 - 4, 1, "queued"),
            (1, T0 - 3, 0, "queued"),
            (2, T0 - 9, 0, "sending"),
            (2, T0 - 9, 0, "queued"),
            (3, T0 - 2, 1, "failed"),
            (4, T0 - 1, 1, "queued"),
        ],
    )
    conn.commit()
    expected = conn.execute(OLD_SELECTION, (T0, "[]", 10)).fetchall()
    conn.close()

    db = await open_database(path)
    try:
        assert [tuple(r) for r in await db.fetchall(HEADS)] == [
            (1, 2, 1, 0, T0 - 4),
            (2, 4, 0, 0, T0 - 9),
            (4, 7, 1, 1, T0 - 1),
        ]
        items = await Stores.on(db).outbox.claim_due_messages(T0, 10)
        assert [i.id for i in items] == sorted(r[0] for r in expected) == [2, 7]
    finally:
        await db.close()


# ------------------------------------------------------------ randomized: model and reference


@dataclass
class Row:
    id: int
    chat: int
    priority: int
    at: float
    state: str = "queued"
    erased: bool = False
    broadcast: bool = False
    key: str | None = None


class Model:
    """The rules, as plainly as they can be said."""

    def __init__(self) -> None:
        self.rows: dict[int, Row] = {}

    def open_in(self, chat: int) -> list[Row]:
        return sorted(
            (r for r in self.rows.values() if r.chat == chat and r.state in OPEN),
            key=lambda r: r.id,
        )

    def superseded(self, row: Row) -> bool:
        """An edit on the wire with a newer edit of the same message waiting."""
        return row.key is not None and any(
            r.key == row.key and r.state == "queued" for r in self.rows.values()
        )

    def claim(self, now: float, limit: int, exclude: set[int]) -> list[int]:
        candidates = []
        for chat in {r.chat for r in self.rows.values()} - exclude:
            rows = self.open_in(chat)
            if rows and rows[0].state == "queued" and rows[0].at <= now:
                urgency = min(r.priority for r in rows)  # the chat's most urgent open message
                candidates.append((urgency, rows[0].at, rows[0].id))
        chosen = [row_id for *_, row_id in sorted(candidates)[:limit]]
        for row_id in chosen:
            row = self.rows[row_id]
            row.state, row.at = "sending", now
            later = [r for r in self.open_in(row.chat) if r.id > row.id]
            if later:  # the chat's next message waits its turn behind the others
                later[0].at = max(later[0].at, now)
        return sorted(chosen)


async def heads_agree(repo: Stores) -> None:
    kept = [tuple(r) for r in await repo.db.fetchall(HEADS)]
    assert kept == [tuple(r) for r in await repo.db.fetchall(HEADS_FROM_SCRATCH)]


@pytest.mark.parametrize("seed_", range(12))
async def test_random_operations_claim_as_the_rules_say_and_as_the_old_claim_did(
    repo: Stores, seed_: int
) -> None:
    rng = random.Random(seed_)
    model = Model()
    chats = list(range(1, 9))
    now = T0
    n = 0
    for _ in range(160):
        now += rng.choice([0.0, 0.01, 0.5])
        op = rng.choices(
            ["queue", "claim", "settle", "erase", "forget", "crash", "broadcast"],
            weights=[30, 30, 25, 4, 2, 2, 3],
        )[0]
        sending = [r for r in model.rows.values() if r.state == "sending"]
        if op == "queue":
            batch = []
            for _ in range(rng.randint(1, 3)):
                n += 1
                chat, priority = rng.choice(chats), rng.choice([0, 0, 1])
                key = f"edit:{chat}" if rng.random() < 0.2 else None
                batch.append(message(chat, n, priority, key))
            at = datetime.fromtimestamp(now, UTC)
            await repo.outbox.queue_messages(batch, at)
            for m in batch:
                found = await repo.db.fetchone(
                    "SELECT id FROM outbox WHERE dedup_key = ?", (m.dedup_key,)
                )
                waiting_edit = [
                    r
                    for r in model.rows.values()
                    if m.coalesce_key and r.key == m.coalesce_key and r.state == "queued"
                ]
                if waiting_edit:  # an edit still waiting takes the new text, keeps its place
                    assert found is None
                    continue
                assert found is not None
                row_id = int(found["id"])
                row = Row(row_id, m.chat_id, m.priority, at.timestamp(), key=m.coalesce_key)
                model.rows[row_id] = row
        elif op == "claim":
            limit = rng.randint(1, 4)
            exclude = set(rng.sample(chats, rng.choice([0, 0, 1, 2])))
            reference = await repo.db.fetchall(
                OLD_SELECTION, (now, json.dumps(sorted(exclude)), limit)
            )
            items = await repo.outbox.claim_due_messages(now, limit, sorted(exclude))
            expected = model.claim(now, limit, exclude)
            assert [i.id for i in items] == expected
            assert sorted(int(r["id"]) for r in reference) == expected
        elif op == "settle" and sending:
            row = rng.choice(sending)
            outcome = rng.choice(["sent", "sent", "failed", "retry"])
            if outcome == "sent":
                await repo.outbox.mark_sent(row.id, 1, NOW)
                row.state = "sent"
            elif outcome == "failed":
                await repo.outbox.mark_failed(row.id, "400")
                row.state = "failed"
            else:
                later = now + rng.choice([0.0, 0.3, 2.0])
                await repo.outbox.retry_later(row.id, later, "502")
                if model.superseded(row):
                    row.state = "failed"
                elif not row.erased:
                    row.state, row.at = "queued", later
        elif op == "erase":
            # As storage/erasure.py does it: text gone, an open message is not sent.
            doomed = rng.sample(sorted(model.rows), min(2, len(model.rows)))
            async with repo.db.transaction() as conn:
                await conn.execute_fetchall(
                    "UPDATE outbox SET payload = '{}', state = CASE WHEN state = 'sent'"
                    " THEN 'sent' ELSE 'failed' END, last_error = 'erased'"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(doomed),),
                )
            for row_id in doomed:
                row = model.rows[row_id]
                row.erased, row.state = True, "sent" if row.state == "sent" else "failed"
        elif op == "forget":
            chat = rng.choice(chats)
            async with repo.db.transaction() as conn:
                await conn.execute_fetchall("DELETE FROM outbox WHERE chat_id = ?", (chat,))
            model.rows = {i: r for i, r in model.rows.items() if r.chat != chat}
        elif op == "crash":
            await repo.outbox.requeue_interrupted()
            for row in sending:
                if row.broadcast:
                    row.state = "sent"
                else:
                    row.state = "failed" if model.superseded(row) else "queued"
        elif op == "broadcast" and model.rows:
            row = model.rows[max(model.rows)]
            await repo.db.fetchall("UPDATE outbox SET broadcast_id = 1 WHERE id = ?", (row.id,))
            row.broadcast = True
        await heads_agree(repo)


@pytest.mark.parametrize("interruption", ["retry", "restart"])
async def test_an_edit_on_the_wire_gives_way_to_a_newer_edit_queued_meanwhile(
    repo: Stores, interruption: str
) -> None:
    """Only one edit of a message may wait: one that cannot go through (a 502, a restart)
    while a newer edit of the same message is queued is dropped, not put back (putting it
    back broke the unique index: the sender's task crashed, and the next start failed)."""
    await repo.outbox.queue_messages([message(7, 1, key="progress:1")], NOW)
    [on_the_wire] = await repo.outbox.claim_due_messages(T0 + 1, 1)
    await repo.outbox.queue_messages([message(7, 2, key="progress:1")], NOW)
    if interruption == "retry":
        await repo.outbox.retry_later(on_the_wire.id, T0 + 2, "502 Bad Gateway")
    else:
        assert await repo.outbox.requeue_interrupted() == 0
    [row] = await repo.db.fetchall(
        "SELECT state, last_error, payload FROM outbox WHERE id = ?", (on_the_wire.id,)
    )
    assert tuple(row) == ("failed", "superseded by a newer edit", "{}")
    [newer] = await repo.outbox.claim_due_messages(T0 + 3, 5)
    assert newer.params == {"n": 2}
