"""The transactional outbox: every message the bot owes someone is a row, queued in the
same transaction as the change that caused it, claimed by the sender, marked when done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.models import (
    OutboxItem,
    OutboxMessage,
    OutboxState,
    format_timestamp,
)

# last_error of a broadcast message a crash caught on the wire (delivered or not: unknown).
UNCONFIRMED = "interrupted: delivery not confirmed"
# How last_error starts for a message refused because the person blocked the bot or their
# account is gone (Telegram's 403), as against one Telegram refused as it was (a 400).
BLOCKED = "blocked: "


async def queue_in_transaction(
    conn: aiosqlite.Connection, messages: Iterable[OutboxMessage], now: datetime
) -> int:
    """Queue messages on a connection inside the caller's transaction; returns how many new."""
    plain = [m for m in messages if m.coalesce_key is None]
    queued = 0
    if len(plain) == 1:
        inserted = await conn.execute_fetchall(
            "INSERT OR IGNORE INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
            " next_attempt_at, created_at, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            _outbox_row(plain[0], now),
        )
        queued += len(list(inserted))
    elif plain:
        before = conn.total_changes
        cursor = await conn.executemany(
            "INSERT OR IGNORE INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
            " next_attempt_at, created_at, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_outbox_row(m, now) for m in plain],
        )
        await cursor.close()
        queued += conn.total_changes - before
    for message in messages:
        if message.coalesce_key is not None:
            await conn.execute_fetchall(
                "INSERT INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
                " next_attempt_at, created_at, priority, coalesce_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (coalesce_key) WHERE state = 'queued'"
                " DO UPDATE SET payload = excluded.payload",
                (*_outbox_row(message, now), message.coalesce_key),
            )
            queued += 1
    return queued


def _outbox_row(m: OutboxMessage, now: datetime) -> tuple[object, ...]:
    return (
        m.chat_id,
        m.method,
        json.dumps(m.params, ensure_ascii=False, separators=(",", ":")),
        m.dedup_key,
        m.message_ref,
        now.timestamp(),
        format_timestamp(now),
        m.priority,
    )


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def queue_messages(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        """Queue messages not tied to a state change (replies). Returns how many were new."""
        async with self.db.transaction() as conn:
            return await queue_in_transaction(conn, messages, now)

    async def claim_due_messages(
        self, now: float, limit: int, exclude_chats: Sequence[int] = ()
    ) -> list[OutboxItem]:
        """Mark up to `limit` due messages 'sending' and return them, at most one per chat.

        Only a chat's oldest open message is eligible, so a chat's messages keep their order.
        Chats take turns: a claimed row's next_attempt_at becomes the claim's `now`, and the
        trigger outbox_next_in_chat_waits_its_turn passes it on to the chat's next message,
        which so lines up behind every chat already waiting: a chat with 80 replies queued
        gets one message per round, like every other chat with something waiting.
        The caller starts their requests at once: after a crash, rows still 'sending' are
        exactly those whose delivery is uncertain. One statement: atomic by itself.
        """
        rows = await self.db.fetchall(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?"
            " WHERE id IN ("
            " SELECT o.id FROM outbox AS o"
            " WHERE o.state = 'queued' AND o.next_attempt_at <= ?"
            " AND o.chat_id NOT IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.chat_id = o.chat_id"
            "   AND p.id < o.id AND p.state IN ('queued', 'sending'))"
            # A chat with anything urgent open goes first with its oldest message (its order
            # is kept): someone who asks during a flood of notices is answered at once.
            " ORDER BY (SELECT min(q.priority) FROM outbox AS q WHERE q.chat_id = o.chat_id"
            "   AND q.state IN ('queued', 'sending')), o.next_attempt_at, o.id LIMIT ?)"
            " RETURNING id, chat_id, method, payload, attempts, message_ref",
            (now, now, json.dumps(list(exclude_chats)), limit),
        )
        items = []
        for r in sorted(rows, key=lambda row: int(row["id"])):
            params = json.loads(r["payload"])
            if not params:  # emptied by an erasure: nothing left to send
                await self.mark_failed(r["id"], "erased")
                continue
            if r["message_ref"] is not None:
                message_id = await self._referenced_message_id(r["message_ref"])
                if message_id is None:
                    await self.mark_failed(r["id"], f"no sent message {r['message_ref']}")
                    continue
                params["message_id"] = message_id
            items.append(OutboxItem(r["id"], r["chat_id"], r["method"], params, r["attempts"]))
        return items

    async def _referenced_message_id(self, dedup_key: str) -> int | None:
        # Same chat, earlier row: the per-chat order guarantees that send is settled by now.
        row = await self.db.fetchone(
            "SELECT result_message_id FROM outbox WHERE dedup_key = ? AND state = 'sent'",
            (dedup_key,),
        )
        return int(row["result_message_id"]) if row and row["result_message_id"] else None

    async def next_due_at(self) -> float | None:
        row = await self.db.fetchone(
            "SELECT min(next_attempt_at) AS due FROM outbox WHERE state = 'queued'"
        )
        return float(row["due"]) if row and row["due"] is not None else None

    async def mark_sent(self, outbox_id: int, message_id: int | None, now: datetime) -> None:
        # A delivered message's text is not kept: moderators' posts and replies quote
        # participants, and nothing needs it once it is out (edits use result_message_id).
        await self.db.fetchall(
            "UPDATE outbox SET state = 'sent', result_message_id = ?, sent_at = ?,"
            " last_error = NULL, payload = '{}' WHERE id = ?",
            (message_id, format_timestamp(now), outbox_id),
        )

    async def retry_later(self, outbox_id: int, at: float, error: str) -> None:
        # Only a row still on the wire goes back: one an erasure emptied meanwhile stays done.
        await self.db.fetchall(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?"
            " WHERE id = ? AND state = 'sending' AND payload != '{}'",
            (at, error[:500], outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        # A failed message is never sent again: like a delivered one, it keeps no text (a
        # moderators' post that failed would otherwise keep a participant's words for good).
        await self.db.fetchall(
            "UPDATE outbox SET state = 'failed', last_error = ?, payload = '{}' WHERE id = ?",
            (error[:500], outbox_id),
        )

    async def requeue_interrupted(self) -> int:
        """Rows a crash left on the wire go back to the queue (at-least-once); returns how many.

        Telegram has no idempotency key: such a request may or may not have been delivered.
        Re-sending risks a duplicate; not re-sending risks a participant who is never
        answered. For answers and notices we choose the duplicate. Broadcasts are the
        exception: an announcement reaches thousands, and no one must get it twice, so theirs
        are recorded as sent-unconfirmed instead (counted as such in the progress).
        """
        await self.db.fetchall(
            "UPDATE outbox SET state = 'sent', payload = '{}', last_error = ?"
            " WHERE state = 'sending' AND broadcast_id IS NOT NULL",
            (UNCONFIRMED,),
        )
        rows = await self.db.fetchall(
            "UPDATE outbox SET state = 'queued' WHERE state = 'sending' RETURNING id"
        )
        return len(rows)

    async def outbox_counts(self) -> dict[OutboxState, int]:
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        counts = {state: 0 for state in OutboxState}
        counts.update({OutboxState(row["state"]): row["n"] for row in rows})
        return counts
