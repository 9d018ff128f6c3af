"""Submissions as their senders make and change them: intake exactly once per message,
edits, kind and topic while pending, and the intake window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.errors import NotFound, StorageError
from storage.models import (
    Kind,
    OutboxMessage,
    Status,
    Submission,
    format_timestamp,
    parse_timestamp,
    submission_from_row,
)
from storage.moderation import Actor, record_in_transaction
from storage.outbox import queue_in_transaction
from storage.participants import upsert_participant
from storage.requests import first_time


@dataclass(frozen=True, slots=True)
class NewSubmission:
    participant_id: int
    language_code: str | None
    chat_id: int
    message_id: int
    kind: Kind
    text: str
    locale: str
    created_at: datetime
    party_id: int | None = None  # asked with /ask in a viewing party's group
    party_place: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitResult:
    submission: Submission
    # False when the (chat_id, message_id) was already stored: a replayed or repeated update.
    created: bool


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `limit` submissions per participant created at or after `since`."""

    limit: int
    since: datetime


class QuotaExceeded(StorageError):
    """The participant already sent `limit` submissions since the quota's start."""

    def __init__(self, oldest_in_window: datetime) -> None:
        super().__init__("submission quota exceeded")
        self.oldest_in_window = oldest_in_window


_INTAKE_KEY = "intake_open"


def _parse_switch(value: str) -> tuple[bool, datetime | None]:
    """'1 2026-12-10T15:00:00Z' -> (True, that time); older databases stored only '1'."""
    state, _, stamp = value.partition(" ")
    return state == "1", parse_timestamp(stamp) if stamp else None


# What a participant's quota counts since a moment: their new submissions and their accepted
# edits (each edit is a new text to detect and translate). Parameters: participant, since,
# participant, since.
_QUOTA_USED = (
    "SELECT created_at AS at FROM submissions WHERE participant_id = ? AND created_at >= ?"
    " UNION ALL SELECT e.at FROM submission_edits AS e"
    " JOIN submissions AS s ON s.id = e.submission_id"
    " WHERE s.participant_id = ? AND e.at >= ?"
)


class SubmissionStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._intake_switch: tuple[bool, datetime | None] | None = None
        self._intake_switch_read = False

    async def submit(
        self,
        new: NewSubmission,
        quota: Quota | None,
        confirmation: Callable[[Submission], OutboxMessage],
    ) -> SubmitResult:
        """Store a submission and queue its confirmation, exactly once per (chat, message).

        Raises QuotaExceeded (and stores nothing) when the participant is over `quota`.
        Written for few round trips to the database thread: this runs once per question.
        """
        async with self.db.transaction() as conn:
            existing_id, recent, oldest = await self._intake_facts(conn, new, quota)
            if existing_id is not None:
                existing = await self._submission_by_id(conn, existing_id)
                await queue_in_transaction(conn, [confirmation(existing)], new.created_at)
                return SubmitResult(existing, created=False)
            if quota is not None and recent >= quota.limit:
                raise QuotaExceeded(parse_timestamp(oldest))
            await upsert_participant(conn, new.participant_id, new.language_code, new.created_at)
            stamp = format_timestamp(new.created_at)
            rows = await conn.execute_fetchall(
                "INSERT INTO submissions (chat_id, message_id, participant_id, kind, text, locale,"
                " created_at, updated_at, party_id, party_place)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    new.chat_id,
                    new.message_id,
                    new.participant_id,
                    new.kind.value,
                    new.text,
                    new.locale,
                    stamp,
                    stamp,
                    new.party_id,
                    new.party_place,
                ),
            )
            stored = submission_from_row(next(iter(rows)))
            await queue_in_transaction(conn, [confirmation(stored)], new.created_at)
        return SubmitResult(stored, created=True)

    async def _intake_facts(
        self, conn: aiosqlite.Connection, new: NewSubmission, quota: Quota | None
    ) -> tuple[int | None, int, str]:
        """(id of the same message if already stored, submissions and edits in the quota
        window, the oldest of them)."""
        since = format_timestamp(quota.since) if quota else "9999"
        rows = await conn.execute_fetchall(
            "SELECT (SELECT id FROM submissions WHERE chat_id = ? AND message_id = ?),"
            f" count(*), min(at) FROM ({_QUOTA_USED})",
            (new.chat_id, new.message_id, new.participant_id, since, new.participant_id, since),
        )
        existing, recent, oldest = next(iter(rows))
        return existing, int(recent), oldest or ""

    async def _submission_by_id(
        self, conn: aiosqlite.Connection, submission_id: int
    ) -> Submission:
        rows = list(
            await conn.execute_fetchall("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        )
        if not rows:
            raise NotFound(f"submission {submission_id}")
        return submission_from_row(rows[0])

    async def submission(self, submission_id: int) -> Submission:
        row = await self.db.fetchone("SELECT * FROM submissions WHERE id = ?", (submission_id,))
        if row is None:
            raise NotFound(f"submission {submission_id}")
        return submission_from_row(row)

    async def merged_askers(self, submission_id: int) -> list[Submission]:
        """The submissions merged into this one (their askers hear what becomes of it)."""
        rows = await self.db.fetchall(
            "SELECT * FROM submissions WHERE merged_into = ? ORDER BY id", (submission_id,)
        )
        return [submission_from_row(r) for r in rows]

    async def submission_by_message(self, chat_id: int, message_id: int) -> Submission | None:
        row = await self.db.fetchone(
            "SELECT * FROM submissions WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return submission_from_row(row) if row else None

    async def submissions_of(
        self, participant_id: int, limit: int
    ) -> tuple[list[Submission], int]:
        """The participant's newest submissions (up to `limit`) and how many they have in all."""
        rows = await self.db.fetchall(
            "SELECT *, (SELECT count(*) FROM submissions WHERE participant_id = ?) AS total"
            " FROM submissions WHERE participant_id = ? ORDER BY id DESC LIMIT ?",
            (participant_id, participant_id, limit),
        )
        total = rows[0]["total"] if rows else 0
        return [submission_from_row(row) for row in rows], total

    async def intake_switch(self) -> tuple[bool, datetime | None] | None:
        """The organizers' last /open or /close and when (None if they never used one).
        Read once, then remembered: asked for every question, changed only through here."""
        if not self._intake_switch_read:
            row = await self.db.fetchone(
                "SELECT value FROM settings WHERE key = ?", (_INTAKE_KEY,)
            )
            self._intake_switch = _parse_switch(row["value"]) if row else None
            self._intake_switch_read = True
        return self._intake_switch

    async def set_intake_open(
        self,
        is_open: bool,
        at: datetime,
        actor: Actor | None = None,
        request_key: str | None = None,
    ) -> bool:
        """An organizer's /open or /close, audited when `actor` is given. False, and nothing
        changed, when `request_key` was handled before (the command replayed after a crash:
        done again, it would move the switch to the moment of the replay)."""
        stamp = format_timestamp(at)
        async with self.db.transaction() as conn:
            if request_key is not None and not await first_time(conn, request_key, stamp):
                return False
            await conn.execute_fetchall(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_INTAKE_KEY, f"{'1' if is_open else '0'} {stamp}"),
            )
            if actor is not None:
                action = "open" if is_open else "close"
                await record_in_transaction(conn, actor, action, None, stamp)
        self._intake_switch = (is_open, at)
        return True

    async def edit_pending_text(
        self,
        submission_id: int,
        participant_id: int,
        text: str,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
        quota: Quota | None = None,
    ) -> Submission | None:
        """Replace the text of a still-pending submission; None if no longer pending.

        Language and translation are cleared: they described the old text, and the
        translation worker will look at the new one. So an accepted edit is recorded and
        counts toward `quota` like a new submission: raises QuotaExceeded (and changes
        nothing) when the participant is over it.
        """
        async with self.db.transaction() as conn:
            if quota is not None:
                since = format_timestamp(quota.since)
                used = list(
                    await conn.execute_fetchall(
                        f"SELECT count(*), min(at) FROM ({_QUOTA_USED})",
                        (participant_id, since, participant_id, since),
                    )
                )
                recent, oldest = used[0]
                if int(recent) >= quota.limit:
                    raise QuotaExceeded(parse_timestamp(oldest))
            updated = await self._change_pending_in(
                conn,
                "text = ?, language = NULL, language_confidence = NULL, translation = NULL,"
                " translation_engine = NULL, translation_status = 'pending',"
                " translated_at = NULL, translation_attempts = 0, translation_due_at = 0,"
                " translation_error = NULL, translation_reviewed_by = NULL, similar_to = NULL",
                (text,),
                submission_id,
                participant_id,
                now,
                notice,
            )
            if updated is not None:
                await conn.execute_fetchall(
                    "INSERT INTO submission_edits (submission_id, at) VALUES (?, ?)",
                    (submission_id, format_timestamp(now)),
                )
        return updated

    async def switch_kind(
        self,
        submission_id: int,
        participant_id: int,
        kind: Kind,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
    ) -> Submission | None:
        """Change a pending submission's kind; None unless it is the participant's and pending."""
        return await self._change_pending(
            "kind = ?", (kind.value,), submission_id, participant_id, now, notice
        )

    async def set_topic(
        self,
        submission_id: int,
        participant_id: int,
        topic: str | None,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
    ) -> Submission | None:
        """Set (or clear) a pending submission's topic; None unless the participant's and
        pending. `topic` is checked against the event file by the caller."""
        return await self._change_pending(
            "topic = ?", (topic,), submission_id, participant_id, now, notice
        )

    async def _change_pending(
        self,
        assignments: str,
        values: tuple[object, ...],
        submission_id: int,
        participant_id: int,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
    ) -> Submission | None:
        """Compare-and-set on (owner, status pending), with the notice queued in the same
        transaction. `assignments` is one of the constant SQL fragments above, never input."""
        async with self.db.transaction() as conn:
            return await self._change_pending_in(
                conn, assignments, values, submission_id, participant_id, now, notice
            )

    async def _change_pending_in(
        self,
        conn: aiosqlite.Connection,
        assignments: str,
        values: tuple[object, ...],
        submission_id: int,
        participant_id: int,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
    ) -> Submission | None:
        """_change_pending inside the caller's transaction."""
        rows = list(
            await conn.execute_fetchall(
                f"UPDATE submissions SET {assignments}, updated_at = ?"
                " WHERE id = ? AND participant_id = ? AND status = ? RETURNING *",
                (
                    *values,
                    format_timestamp(now),
                    submission_id,
                    participant_id,
                    Status.PENDING,
                ),
            )
        )
        if not rows:
            return None
        updated = submission_from_row(rows[0])
        await queue_in_transaction(conn, [notice(updated)], now)
        return updated
