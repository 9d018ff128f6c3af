"""Submissions as their senders make and change them: intake exactly once per message,
edits, kind and topic while pending, and the intake window.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from storage.participants import upsert_participants
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


# Whether the submission in `j.value` (a JSON object: participant "u", chat "c", message "m",
# and, if a quota applies, its start "s" and limit "q") is stored: its message is not stored
# yet, and its participant is under the quota (what _QUOTA_USED counts, counted here).
_ADMISSIBLE = (
    "NOT EXISTS (SELECT 1 FROM submissions WHERE chat_id = json_extract(j.value, '$.c')"
    " AND message_id = json_extract(j.value, '$.m'))"
    " AND (json_extract(j.value, '$.q') IS NULL"
    " OR (SELECT count(*) FROM submissions WHERE participant_id = json_extract(j.value, '$.u')"
    "  AND created_at >= json_extract(j.value, '$.s'))"
    " + (SELECT count(*) FROM submission_edits AS e JOIN submissions AS s"
    "  ON s.id = e.submission_id WHERE s.participant_id = json_extract(j.value, '$.u')"
    "  AND e.at >= json_extract(j.value, '$.s'))"
    " < json_extract(j.value, '$.q'))"
)


# Submissions written in one transaction at most (a long one would hold the writer lock).
GROUP_COMMIT_MAX = 64


@dataclass(slots=True)
class _Waiting:
    """A submission waiting for its group commit, and where its outcome goes."""

    new: NewSubmission
    quota: Quota | None
    confirmation: Callable[[Submission], OutboxMessage]
    outcome: asyncio.Future[SubmitResult]


def _facts(new: NewSubmission, quota: Quota | None) -> dict[str, Any]:
    """A submission as _ADMISSIBLE, upsert_participants and _submit_round read it (JSON)."""
    return {
        "u": new.participant_id,
        "l": new.language_code,
        "c": new.chat_id,
        "m": new.message_id,
        "k": new.kind.value,
        "x": new.text,
        "o": new.locale,
        "t": format_timestamp(new.created_at),
        "y": new.party_id,
        "z": new.party_place,
        "s": format_timestamp(quota.since) if quota else None,
        "q": quota.limit if quota else None,
    }


class SubmissionStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._intake_switch: tuple[bool, datetime | None] | None = None
        self._intake_switch_read = False
        self._reading_switch = asyncio.Lock()
        self._waiting: list[_Waiting] = []  # submissions for the next group commit
        self._writer: asyncio.Task[None] | None = None

    async def submit(
        self,
        new: NewSubmission,
        quota: Quota | None,
        confirmation: Callable[[Submission], OutboxMessage],
    ) -> SubmitResult:
        """Store a submission and queue its confirmation, exactly once per (chat, message).

        Raises QuotaExceeded (and stores nothing) when the participant is over `quota`.
        This runs once per question, so it is written for few round trips to the database
        thread: submissions that arrive while others are being written go together in the
        next transaction (a group commit: in a burst, one BEGIN, one outbox write and one
        COMMIT serve many questions). Each returns once its own is committed; one refused
        does not hold back the others.
        """
        waiting = _Waiting(new, quota, confirmation, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        # A caller cancelled before its turn is left out; once written, it stays written (a
        # replay of its update finds it, and its confirmation is not queued twice).
        return await waiting.outcome

    async def _write_waiting(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch = self._waiting[:GROUP_COMMIT_MAX]
                del self._waiting[:GROUP_COMMIT_MAX]
                batch = [w for w in batch if not w.outcome.done()]
                if not batch:
                    continue
                try:
                    outcomes = await self._submit_together(batch)
                except sqlite3.OperationalError as error:
                    # Busy, locked, full: the same for every one of them (each update stays
                    # in the inbox and is handled again).
                    outcomes = [error] * len(batch)
                except Exception as error:
                    # Which one failed is not known: each goes again on its own.
                    if len(batch) == 1:
                        outcomes = [error]
                    else:
                        outcomes = [await self._submit_alone(w) for w in batch]
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if waiting.outcome.done():
                        continue
                    if isinstance(outcome, SubmitResult):
                        waiting.outcome.set_result(outcome)
                    else:
                        waiting.outcome.set_exception(outcome)
                batch = []
        except BaseException as error:  # cancelled with the loop: no one is left waiting
            for waiting in batch + self._waiting:
                if waiting.outcome.done():
                    continue
                if isinstance(error, asyncio.CancelledError):
                    waiting.outcome.cancel()
                else:
                    waiting.outcome.set_exception(error)
            self._waiting.clear()
            raise

    async def _submit_together(self, batch: list[_Waiting]) -> list[SubmitResult | Exception]:
        outcomes: dict[int, SubmitResult | Exception] = {}
        async with self.db.transaction() as conn:
            pending = batch
            while pending:
                # Rounds in order (ids follow arrival), each with every person and message
                # once: within one statement a submission does not see the others (for the
                # quota, or a repeated update). The poller's lock per chat makes a second
                # one rare.
                people: set[int] = set()
                messages: set[tuple[int, int]] = set()
                size = 0
                for waiting in pending:
                    new = waiting.new
                    if new.participant_id in people or (new.chat_id, new.message_id) in messages:
                        break
                    people.add(new.participant_id)
                    messages.add((new.chat_id, new.message_id))
                    size += 1
                round_, pending = pending[:size], pending[size:]
                results = await self._submit_round(conn, round_)
                for waiting, outcome in zip(round_, results, strict=True):
                    outcomes[id(waiting)] = outcome
            confirmations = [
                waiting.confirmation(outcome.submission)
                for waiting in batch
                if isinstance(outcome := outcomes[id(waiting)], SubmitResult)
            ]
            now = max(waiting.new.created_at for waiting in batch)
            await queue_in_transaction(conn, confirmations, now)
        return [outcomes[id(waiting)] for waiting in batch]

    async def _submit_alone(self, waiting: _Waiting) -> SubmitResult | Exception:
        try:
            async with self.db.transaction() as conn:
                [outcome] = await self._submit_round(conn, [waiting])
                if isinstance(outcome, SubmitResult):
                    message = waiting.confirmation(outcome.submission)
                    await queue_in_transaction(conn, [message], waiting.new.created_at)
        except Exception as error:
            return error
        return outcome

    async def _submit_round(
        self, conn: aiosqlite.Connection, round_: list[_Waiting]
    ) -> list[SubmitResult | Exception]:
        """Store submissions of distinct people and messages inside the caller's transaction,
        in two statements however many: their participants, then those admitted. One not
        admitted is a message stored before (a replay) or one over its quota (QuotaExceeded,
        returned, not raised); nothing was written for it."""
        facts = [_facts(waiting.new, waiting.quota) for waiting in round_]
        await upsert_participants(conn, facts, _ADMISSIBLE)
        rows = await conn.execute_fetchall(
            "INSERT INTO submissions (chat_id, message_id, participant_id, kind, text, locale,"
            " created_at, updated_at, party_id, party_place)"
            " SELECT json_extract(j.value, '$.c'), json_extract(j.value, '$.m'),"
            " json_extract(j.value, '$.u'), json_extract(j.value, '$.k'),"
            " json_extract(j.value, '$.x'), json_extract(j.value, '$.o'),"
            " json_extract(j.value, '$.t'), json_extract(j.value, '$.t'),"
            " json_extract(j.value, '$.y'), json_extract(j.value, '$.z')"
            f" FROM json_each(?) AS j WHERE {_ADMISSIBLE} ORDER BY j.key RETURNING *",
            (json.dumps(facts, ensure_ascii=False),),
        )
        stored = {(row["chat_id"], row["message_id"]): submission_from_row(row) for row in rows}
        outcomes: list[SubmitResult | Exception] = []
        for waiting in round_:
            new = waiting.new
            submission = stored.get((new.chat_id, new.message_id))
            if submission is not None:
                outcomes.append(SubmitResult(submission, created=True))
                continue
            existing_id, recent, oldest = await self._intake_facts(conn, new, waiting.quota)
            if existing_id is not None:
                existing = await self._submission_by_id(conn, existing_id)
                outcomes.append(SubmitResult(existing, created=False))
            elif waiting.quota is not None and recent >= waiting.quota.limit:
                outcomes.append(QuotaExceeded(parse_timestamp(oldest)))
            else:  # cannot be: the condition held, so it was stored
                raise StorageError("submission refused for no known reason")
        return outcomes

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
            async with self._reading_switch:  # a burst of first questions reads it once
                if not self._intake_switch_read:
                    row = await self.db.fetchone(
                        "SELECT value FROM settings WHERE key = ?", (_INTAKE_KEY,)
                    )
                    if not self._intake_switch_read:  # an /open or /close meanwhile is newer
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
        self._intake_switch, self._intake_switch_read = (is_open, at), True
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
