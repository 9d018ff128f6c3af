"""The transactional outbox: every message the bot owes someone is a row, queued in the
same transaction as the change that caused it, claimed by the sender, marked when done.
"""

from __future__ import annotations

import json
import re
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

_REFERENCE = re.compile(r"(?<!&)#(\d{1,18})(?!\d)")  # not &#39; (a character reference)

# The claim: the first `limit` due heads of waiting chats, in (most urgent open priority of
# the chat, next_attempt_at, id) order, read in that order from outbox_heads_due.
CLAIM_SQL = (
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?"
    " WHERE id IN ("
    " SELECT h.head_id FROM outbox_heads AS h"
    " WHERE h.waiting AND h.next_attempt_at <= ?"
    " AND h.chat_id NOT IN (SELECT value FROM json_each(?))"
    " ORDER BY h.priority, h.next_attempt_at, h.head_id LIMIT ?)"
    " RETURNING id, chat_id, method, payload, attempts, message_ref"
)
# An edit on the wire that cannot go back to the queue: a newer edit of the same message
# (same coalesce key) was queued meanwhile, and only one may wait. The newer one says what
# the message must say; this one is done (the unique index would refuse it anyway).
_SUPERSEDED = (
    "UPDATE outbox SET state = 'failed', payload = '{}',"
    " last_error = 'superseded by a newer edit'"
    " WHERE state = 'sending' AND coalesce_key IS NOT NULL AND EXISTS (SELECT 1 FROM outbox"
    " AS newer WHERE newer.coalesce_key = outbox.coalesce_key AND newer.state = 'queued')"
)

# outbox_heads for the rows inserted after the id given (new rows only: their chat gets a
# head, or its head their priority if more urgent; ids only grow, so a new row is never an
# existing chat's head). Triggers keep outbox_heads on every update and delete; inserts are
# counted here, in one statement however many: a trigger per row tripled the time it takes
# to queue a notice to 100,000 people. Whatever inserts into outbox must run this.
HEADS_OF_NEW_ROWS = (
    "INSERT INTO outbox_heads (chat_id, head_id, waiting, priority, next_attempt_at)"
    " SELECT n.chat_id, n.head_id, o.state = 'queued', n.priority, o.next_attempt_at"
    " FROM (SELECT chat_id, min(id) AS head_id, min(priority) AS priority FROM outbox"
    "  WHERE id > ? AND state IN ('queued', 'sending') GROUP BY chat_id) AS n"
    " JOIN outbox AS o ON o.id = n.head_id WHERE true"
    " ON CONFLICT (chat_id) DO UPDATE SET priority = min(priority, excluded.priority)"
)
_HEAD_OF_NEW_ROW = (
    "INSERT INTO outbox_heads (chat_id, head_id, waiting, priority, next_attempt_at)"
    " VALUES (?, ?, 1, ?, ?)"
    " ON CONFLICT (chat_id) DO UPDATE SET priority = min(priority, excluded.priority)"
)
_NEW_ROW = "RETURNING chat_id, id, priority, next_attempt_at"


async def queue_in_transaction(
    conn: aiosqlite.Connection, messages: Iterable[OutboxMessage], now: datetime
) -> int:
    """Queue messages on a connection inside the caller's transaction; returns how many new."""
    plain = [m for m in messages if m.coalesce_key is None]
    queued = 0
    heads: list[tuple[object, ...]] = []  # rows inserted one at a time, for outbox_heads
    before: int | None = None  # the last id before a batch inserted at once
    if len(plain) == 1:
        inserted = await conn.execute_fetchall(
            "INSERT OR IGNORE INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
            " next_attempt_at, created_at, priority, mentions)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) {_NEW_ROW}",
            _outbox_row(plain[0], now),
        )
        heads.extend(tuple(row) for row in inserted)
        queued += len(heads)
    elif plain:
        [(before,)] = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM outbox")
        cursor = await conn.executemany(
            "INSERT OR IGNORE INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
            " next_attempt_at, created_at, priority, mentions)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_outbox_row(m, now) for m in plain],
        )
        queued += max(0, cursor.rowcount)  # the rows inserted, summed over the statements
        await cursor.close()
    for message in messages:
        if message.coalesce_key is not None:
            # A new row, or the waiting one with the new text (its chat has a head already).
            upserted = await conn.execute_fetchall(
                "INSERT INTO outbox (chat_id, method, payload, dedup_key, message_ref,"
                " next_attempt_at, created_at, priority, mentions, coalesce_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (coalesce_key) WHERE state = 'queued'"
                " DO UPDATE SET payload = excluded.payload, mentions = excluded.mentions"
                f" {_NEW_ROW}",
                (*_outbox_row(message, now), message.coalesce_key),
            )
            heads.extend(tuple(row) for row in upserted)
            queued += 1
    if before is not None:
        await conn.execute_fetchall(HEADS_OF_NEW_ROWS, (before,))
    if heads:
        await conn.executemany(_HEAD_OF_NEW_ROW, heads)
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
        _mentions(m),
    )


def _mentions(m: OutboxMessage) -> str | None:
    """The submissions a message's text shows (every display of one writes `#<id>`), kept
    once the text is gone, so an erasure can find the delivered copies; None if none."""
    text = m.params.get("text")
    if not isinstance(text, str) or "#" not in text:
        return None
    ids = sorted({int(found) for found in _REFERENCE.findall(text)})
    return json.dumps(ids) if ids else None


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
        A chat with anything urgent open goes first with its oldest message (its order is
        kept): someone who asks during a flood of notices is answered at once.
        The caller starts their requests at once: after a crash, rows still 'sending' are
        exactly those whose delivery is uncertain. One statement: atomic by itself.

        It reads outbox_heads (one row per chat with anything open, kept with every change:
        see 013_outbox_heads.sql and HEADS_OF_NEW_ROWS) through an index in the claim's own
        order, so it costs the rows it claims, plus any heads not yet due or excluded it
        steps over, not the number of rows queued.
        """
        rows = await self.db.fetchall(
            CLAIM_SQL, (now, now, json.dumps(list(exclude_chats)), limit)
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
        # Only a row still on the wire goes back: one an erasure emptied meanwhile is done.
        async with self.db.transaction() as conn:
            await conn.execute_fetchall(_SUPERSEDED + " AND id = ?", (outbox_id,))
            await conn.execute_fetchall(
                "UPDATE outbox SET state = CASE WHEN payload = '{}' THEN 'failed'"
                " ELSE 'queued' END, next_attempt_at = ?,"
                " last_error = CASE WHEN payload = '{}' THEN last_error ELSE ? END"
                " WHERE id = ? AND state = 'sending'",
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
        async with self.db.transaction() as conn:
            await conn.execute_fetchall(
                "UPDATE outbox SET state = 'sent', payload = '{}', last_error = ?"
                " WHERE state = 'sending' AND broadcast_id IS NOT NULL",
                (UNCONFIRMED,),
            )
            await conn.execute_fetchall(_SUPERSEDED)
            rows = await conn.execute_fetchall(
                "UPDATE outbox SET state = 'queued' WHERE state = 'sending' RETURNING id"
            )
        return len(list(rows))

    async def outbox_counts(self) -> dict[OutboxState, int]:
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        counts = {state: 0 for state in OutboxState}
        counts.update({OutboxState(row["state"]): row["n"] for row in rows})
        return counts

    async def mark_sent_many(
        self, delivered: Sequence[tuple[int, int | None]], now: datetime
    ) -> None:
        """`mark_sent` for several rows at once: (outbox id, message id) pairs, in one
        statement (one commit, one round trip to the database thread)."""
        if not delivered:
            return
        await self.db.fetchall(
            "UPDATE outbox SET state = 'sent', result_message_id = sent.message_id,"
            " sent_at = ?, last_error = NULL, payload = '{}'"
            " FROM (SELECT json_extract(value, '$[0]') AS id,"
            "  json_extract(value, '$[1]') AS message_id FROM json_each(?)) AS sent"
            " WHERE outbox.id = sent.id",
            (format_timestamp(now), json.dumps([list(pair) for pair in delivered])),
        )
