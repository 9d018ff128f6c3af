"""Broadcasts: an organizer's announcement to every participant, each in their language.

A broadcast is a draft until confirmed; then its text is made once per locale (stored before
anything is queued) and participants are queued in user_id order a window at a time, the
last one queued kept as a cursor in the same transaction. Each message has the dedup key
`bc:<broadcast>:<user>:<part>` (an announcement too long for one message is several, in
order), so resuming after a crash can never queue anyone twice, and broadcast rows are sent
at most once (see OutboxStore.requeue_interrupted). The progress counts recipients, each once,
however many messages their announcement took.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.erasure import ERASED_PARTICIPANT
from storage.models import OutboxMessage, format_timestamp
from storage.outbox import BLOCKED, UNCONFIRMED, queue_in_transaction

DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: int
    author_name: str
    source_locale: str
    text: str
    own_texts: Mapping[str, str]  # locale -> the organizer's own text for it
    state: str
    chat_id: int
    message_id: int | None
    recipients: int | None
    cursor: int
    # Participants who joined after the confirmation are not part of this broadcast.
    confirmed_at: str | None


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    locale: str | None  # their choice, if they made one
    language_code: str | None  # Telegram's app language


@dataclass(frozen=True, slots=True)
class Progress:
    """Recipients, each counted once, in the first of these that applies to any of the
    messages their announcement took."""

    recipients: int
    queued: int  # queued or on the wire
    delivered: int
    unreachable: int  # blocked the bot, or the account is gone (Telegram's 403)
    unconfirmed: int  # a crash caught them on the wire: delivered or not, not sent again
    failed: int = 0  # Telegram refused the message itself (a 400, such as "too long")

    @property
    def settled(self) -> int:
        return self.delivered + self.unreachable + self.unconfirmed + self.failed


def _broadcast(row: sqlite3.Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        created_by=row["created_by"],
        author_name=row["author_name"],
        source_locale=row["source_locale"],
        text=row["text"],
        own_texts=json.loads(row["own_texts"]),
        state=row["state"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        recipients=row["recipients"],
        cursor=row["cursor"],
        confirmed_at=row["confirmed_at"],
    )


# Who receives broadcasts: everyone we know, but not erased ones nor those who blocked us.
_RECIPIENTS = "user_id != ? AND user_id > 0 AND blocked_at IS NULL"


class BroadcastStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        author: int,
        author_name: str,
        chat_id: int,
        source_locale: str,
        text: str,
        own_texts: Mapping[str, str],
        now: datetime,
        request_key: str,
    ) -> Broadcast:
        """A new draft; for a replayed request (`request_key` seen before), the draft it made
        then, whatever became of it since."""
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "INSERT INTO broadcasts (created_by, author_name, chat_id, source_locale,"
                    " text, own_texts, created_at, request_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (request_key) DO NOTHING RETURNING *",
                    (
                        author,
                        author_name,
                        chat_id,
                        source_locale,
                        text,
                        json.dumps(dict(own_texts), ensure_ascii=False),
                        format_timestamp(now),
                        request_key,
                    ),
                )
            )
            if not rows:
                rows = list(
                    await conn.execute_fetchall(
                        "SELECT * FROM broadcasts WHERE request_key = ?", (request_key,)
                    )
                )
        return _broadcast(rows[0])

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def count_recipients(self) -> int:
        row = await self.db.fetchone(
            f"SELECT count(*) AS n FROM participants WHERE {_RECIPIENTS}", (ERASED_PARTICIPANT,)
        )
        return int(row["n"]) if row else 0

    async def confirm(self, broadcast_id: int, message_id: int, now: datetime) -> Broadcast | None:
        """Draft -> sending, once (compare-and-set); None if it was not a draft any more.
        The recipients are counted in the same statement: those known at this moment."""
        stamp = format_timestamp(now)
        row = await self.db.fetchone(
            "UPDATE broadcasts SET state = ?, message_id = ?, confirmed_at = ?, recipients ="
            f" (SELECT count(*) FROM participants WHERE {_RECIPIENTS} AND created_at <= ?)"
            " WHERE id = ? AND state = ? RETURNING *",
            (SENDING, message_id, stamp, ERASED_PARTICIPANT, stamp, broadcast_id, DRAFT),
        )
        return _broadcast(row) if row else None

    async def cancel(self, broadcast_id: int, now: datetime) -> bool:
        row = await self.db.fetchone(
            "UPDATE broadcasts SET state = ?, finished_at = ? WHERE id = ? AND state = ?"
            " RETURNING id",
            (CANCELLED, format_timestamp(now), broadcast_id, DRAFT),
        )
        return row is not None

    async def sending(self) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE state = ? ORDER BY id", (SENDING,)
        )
        return [_broadcast(r) for r in rows]

    async def finish(self, broadcast_id: int, now: datetime) -> None:
        await self.db.fetchall(
            "UPDATE broadcasts SET state = ?, finished_at = ? WHERE id = ? AND state = ?",
            (DONE, format_timestamp(now), broadcast_id, SENDING),
        )

    # ---- texts per locale ------------------------------------------------------------------

    async def texts(self, broadcast_id: int) -> dict[str, tuple[str, str]]:
        """locale -> (text, origin) made so far."""
        rows = await self.db.fetchall(
            "SELECT locale, text, origin FROM broadcast_texts WHERE broadcast_id = ?",
            (broadcast_id,),
        )
        return {r["locale"]: (r["text"], r["origin"]) for r in rows}

    async def save_text(self, broadcast_id: int, locale: str, text: str, origin: str) -> None:
        await self.db.fetchall(
            "INSERT OR IGNORE INTO broadcast_texts (broadcast_id, locale, text, origin)"
            " VALUES (?, ?, ?, ?)",
            (broadcast_id, locale, text, origin),
        )

    # ---- recipients ------------------------------------------------------------------------

    async def recipients_after(self, broadcast: Broadcast, limit: int) -> list[Recipient]:
        """The next recipients after the broadcast's cursor, in user_id order."""
        rows = await self.db.fetchall(
            f"SELECT user_id, locale, language_code FROM participants WHERE {_RECIPIENTS}"
            " AND created_at <= ? AND user_id > ? ORDER BY user_id LIMIT ?",
            (ERASED_PARTICIPANT, broadcast.confirmed_at, broadcast.cursor, limit),
        )
        return [Recipient(r["user_id"], r["locale"], r["language_code"]) for r in rows]

    async def language_settings(self, broadcast: Broadcast) -> list[tuple[str | None, str | None]]:
        """The distinct (chosen locale, Telegram language) pairs among the recipients: what
        decides which texts are needed, without reading every participant."""
        rows = await self.db.fetchall(
            f"SELECT DISTINCT locale, language_code FROM participants WHERE {_RECIPIENTS}"
            " AND created_at <= ?",
            (ERASED_PARTICIPANT, broadcast.confirmed_at),
        )
        return [(r["locale"], r["language_code"]) for r in rows]

    async def open_messages(self, broadcast_id: int) -> int:
        """Messages of the broadcast queued or on the wire."""
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM outbox WHERE broadcast_id = ?"
            " AND state IN ('queued', 'sending')",
            (broadcast_id,),
        )
        return int(row["n"]) if row else 0

    async def queue(
        self,
        broadcast_id: int,
        messages: Sequence[OutboxMessage],
        cursor: int,
        now: datetime,
    ) -> None:
        """Queue a window of messages and move the cursor past them, in one transaction."""
        async with self.db.transaction() as conn:
            await queue_in_transaction(conn, messages, now)
            await conn.execute_fetchall(
                "UPDATE outbox SET broadcast_id = ? WHERE dedup_key IN"
                " (SELECT value FROM json_each(?))",
                (broadcast_id, json.dumps([m.dedup_key for m in messages])),
            )
            await conn.execute_fetchall(
                "UPDATE broadcasts SET cursor = ? WHERE id = ?", (cursor, broadcast_id)
            )

    async def progress(self, broadcast: Broadcast) -> Progress:
        # One row per recipient (their chat), then each in one category: still open, else
        # blocked, else refused, else caught by a crash, else delivered.
        row = await self.db.fetchone(
            "SELECT sum(open) AS queued,"
            " sum(NOT open AND NOT blocked AND NOT failed AND NOT unconfirmed) AS delivered,"
            " sum(NOT open AND blocked) AS unreachable,"
            " sum(NOT open AND NOT blocked AND failed) AS failed,"
            " sum(NOT open AND NOT blocked AND NOT failed AND unconfirmed) AS unconfirmed"
            " FROM (SELECT max(state IN ('queued', 'sending')) AS open,"
            "  max(state = 'failed' AND instr(ifnull(last_error, ''), ?) = 1) AS blocked,"
            "  max(state = 'failed') AS failed,"
            "  max(state = 'sent' AND ifnull(last_error, '') = ?) AS unconfirmed"
            "  FROM outbox WHERE broadcast_id = ? GROUP BY chat_id)",
            (BLOCKED, UNCONFIRMED, broadcast.id),
        )
        assert row is not None
        return Progress(
            recipients=broadcast.recipients or 0,
            queued=int(row["queued"] or 0),
            delivered=int(row["delivered"] or 0),
            unreachable=int(row["unreachable"] or 0),
            unconfirmed=int(row["unconfirmed"] or 0),
            failed=int(row["failed"] or 0),
        )
