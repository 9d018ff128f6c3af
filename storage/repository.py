"""Intent-named data access. All SQL of the bot lives in this package.

Every state change that owes someone a message takes that message (an `OutboxMessage`) and
queues it in the same transaction, so a crash can never leave a change without its message or
a message without its change.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage.db import Database
from storage.errors import NotFound, StorageError
from storage.models import (
    InboxUpdate,
    Kind,
    OutboxItem,
    OutboxMessage,
    OutboxState,
    Status,
    Submission,
    TranslationJob,
    TranslationStatus,
    format_timestamp,
    parse_timestamp,
)

_OFFSET_KEY = "telegram_offset"
# last_error of a broadcast message a crash caught on the wire (delivered or not: unknown).
UNCONFIRMED = "interrupted: delivery not confirmed"
_INTAKE_KEY = "intake_open"
_SEEN_UPDATES_S = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Statistics:
    total: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_language: dict[str, int]
    by_hour: dict[str, int]
    by_topic: dict[str, int]
    by_party: dict[str, int]  # by the place of the viewing party ('-': none)
    # (language, received, shortlisted or further, approved or answered), biggest first
    funnel: list[tuple[str, int, int, int]]


@dataclass(frozen=True, slots=True)
class OpsFigures:
    inbox: int
    outbox: int
    pending_translations: int
    oldest_outbox_seconds: float | None
    oldest_translation_seconds: float | None


class QuotaExceeded(StorageError):
    """The participant already sent `limit` submissions since the quota's start."""

    def __init__(self, oldest_in_window: datetime) -> None:
        super().__init__("submission quota exceeded")
        self.oldest_in_window = oldest_in_window


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `limit` submissions per participant created at or after `since`."""

    limit: int
    since: datetime


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


def submission_from_row(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        participant_id=row["participant_id"],
        kind=Kind(row["kind"]),
        status=Status(row["status"]),
        text=row["text"],
        locale=row["locale"],
        language=row["language"],
        language_confidence=row["language_confidence"],
        translation=row["translation"],
        translation_engine=row["translation_engine"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        translation_status=TranslationStatus(row["translation_status"]),
        translated_at=parse_timestamp(row["translated_at"]) if row["translated_at"] else None,
        decided_by=row["decided_by"],
        reason=row["reason"],
        position=row["position"],
        feed=row["feed"],
        topic=row["topic"],
        votes=row["votes"],
        similar_to=tuple(int(i) for i in (row["similar_to"] or "").split()),
        merged_into=row["merged_into"],
        translation_reviewed_by=row["translation_reviewed_by"],
        party_id=row["party_id"],
        party_place=row["party_place"],
    )


async def _upsert_participant(
    conn: aiosqlite.Connection,
    user_id: int,
    language_code: str | None,
    now: datetime,
    locale: str | None = None,
) -> None:
    """Create the participant or refresh their Telegram language (and, if given, their chosen
    locale: None keeps the choice they made)."""
    for _ in range(3):  # a pseudonym collision (1 in 10^12) retries with another one
        try:
            await conn.execute_fetchall(
                "INSERT INTO participants (user_id, language_code, locale, pseudonym, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE"
                " SET language_code = excluded.language_code, blocked_at = NULL,"
                " locale = coalesce(excluded.locale, participants.locale)",
                (user_id, language_code, locale, _new_pseudonym(), format_timestamp(now)),
            )
            return
        except sqlite3.IntegrityError:
            continue
    raise StorageError("could not allocate a unique pseudonym")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_pseudonym() -> str:
    # Stable per participant within one database, meaningless outside it.
    return "P-" + secrets.token_hex(5).upper()


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


def _parse_switch(value: str) -> tuple[bool, datetime | None]:
    """'1 2026-12-10T15:00:00Z' -> (True, that time); older databases stored only '1'."""
    state, _, stamp = value.partition(" ")
    return state == "1", parse_timestamp(stamp) if stamp else None


# Locale choices remembered in memory: looked up for every update, changed rarely, and only
# through this class (the bot is the one writer), so the cache cannot go stale.
_LOCALE_CACHE_SIZE = 100_000


# Erased submissions belong to this placeholder participant: the Telegram id is gone.
ERASED_PARTICIPANT = 0


async def _erase_submissions(
    conn: aiosqlite.Connection, where: str, params: tuple[object, ...]
) -> int:
    """Blank the texts of the submissions matching `where` (a constant SQL condition)."""
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO participants (user_id, pseudonym, created_at)"
        " VALUES (?, 'P-ERASED', '1970-01-01T00:00:00Z')",
        (ERASED_PARTICIPANT,),
    )
    rows = list(
        await conn.execute_fetchall(
            f"SELECT id, text FROM submissions WHERE {where} AND participant_id != ?",
            (*params, ERASED_PARTICIPANT),
        )
    )
    ids = json.dumps([int(r[0]) for r in rows])
    # The cache holds translations of these very texts (keyed by their hash).
    hashes = json.dumps(sorted({_sha256(str(r[1])) for r in rows}))
    await conn.execute_fetchall(
        "DELETE FROM translation_cache WHERE text_sha256 IN (SELECT value FROM json_each(?))",
        (hashes,),
    )
    # Posts about them not delivered yet would carry the text: they will not be sent.
    await conn.execute_fetchall(
        "UPDATE outbox SET payload = '{}', state = 'failed', last_error = 'erased'"
        " WHERE state = 'queued' AND (dedup_key IN (SELECT 'post:' || value FROM json_each(?))"
        " OR coalesce_key IN (SELECT 'postedit:' || value FROM json_each(?)))",
        (ids, ids),
    )
    # chat_id/message_id become negative placeholders: unique, and no longer a Telegram id.
    await conn.execute_fetchall(
        "UPDATE submissions SET text = '', translation = NULL, reason = NULL,"
        " participant_id = ?, chat_id = -id, message_id = -id"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (ERASED_PARTICIPANT, ids),
    )
    return len(rows)


async def _forget_participant_traces(conn: aiosqlite.Connection, user_id: int) -> None:
    """The participant row, and every message, update and log line naming their chat."""
    await conn.execute_fetchall("DELETE FROM outbox WHERE chat_id = ?", (user_id,))
    await conn.execute_fetchall(
        "DELETE FROM inbox WHERE json_extract(payload, '$.message.from.id') = ?"
        " OR json_extract(payload, '$.edited_message.from.id') = ?"
        " OR json_extract(payload, '$.callback_query.from.id') = ?",
        (user_id, user_id, user_id),
    )
    await conn.execute_fetchall(
        "UPDATE audit_log SET actor_id = ?, actor_name = 'participant' WHERE actor_id = ?"
        " AND actor_name = 'participant'",
        (ERASED_PARTICIPANT, user_id),
    )
    # Their votes: the link to them goes, and so does their voice in the counts.
    await conn.execute_fetchall(
        "UPDATE submissions SET votes = votes - 1"
        " WHERE id IN (SELECT submission_id FROM votes WHERE voter_id = ?)",
        (user_id,),
    )
    await conn.execute_fetchall("DELETE FROM votes WHERE voter_id = ?", (user_id,))
    await conn.execute_fetchall("DELETE FROM participants WHERE user_id = ?", (user_id,))


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._locale_choices: dict[int, str | None] = {}
        self._intake_switch: tuple[bool, datetime | None] | None = None
        self._intake_switch_read = False

    # ---- inbox -----------------------------------------------------------------------------

    async def telegram_offset(self) -> int | None:
        row = await self.db.fetchone("SELECT value FROM settings WHERE key = ?", (_OFFSET_KEY,))
        return int(row["value"]) if row else None

    async def store_updates(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Commit a fetched batch and the offset that confirms it, in one transaction.

        Returns the update ids that are new; ids below the stored offset were received (and
        committed) before and are skipped, which happens when Telegram re-sends a batch whose
        confirmation a crash interrupted.
        """
        if not updates:
            return []
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT value FROM settings WHERE key = ?", (_OFFSET_KEY,)
                )
            )
            offset = int(rows[0][0]) if rows else 0
            fresh = [(uid, payload) for uid, payload in updates if uid >= offset]
            now = format_timestamp(datetime.now().astimezone())
            cursor = await conn.executemany(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                [(uid, payload, now) for uid, payload in fresh],
            )
            await cursor.close()
            next_offset = max(max(uid for uid, _ in updates) + 1, offset)
            await conn.execute_fetchall(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_OFFSET_KEY, str(next_offset)),
            )
        return [uid for uid, _ in fresh]

    async def store_webhook_update(self, update_id: int, payload: str, now: float) -> bool:
        """Commit one webhook update; False if this update id was received before."""
        async with self.db.transaction() as conn:
            seen = list(
                await conn.execute_fetchall(
                    "INSERT OR IGNORE INTO seen_updates (update_id, received_at) VALUES (?, ?)"
                    " RETURNING update_id",
                    (update_id, now),
                )
            )
            if not seen:
                return False
            await conn.execute_fetchall(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                (update_id, payload, format_timestamp(datetime.fromtimestamp(now, UTC))),
            )
            if update_id % 1000 == 0:  # now and then, forget ids Telegram no longer retries
                await conn.execute_fetchall(
                    "DELETE FROM seen_updates WHERE received_at < ?", (now - _SEEN_UPDATES_S,)
                )
        return True

    async def unprocessed_updates(self) -> list[InboxUpdate]:
        rows = await self.db.fetchall("SELECT update_id, payload FROM inbox ORDER BY update_id")
        return [InboxUpdate(row["update_id"], json.loads(row["payload"])) for row in rows]

    async def finish_updates(self, update_ids: Sequence[int]) -> None:
        """Handled updates leave the inbox (their raw payloads carry names we do not keep)."""
        if not update_ids:
            return
        # json_each keeps it one statement (one commit) for any batch size.
        await self.db.fetchall(
            "DELETE FROM inbox WHERE update_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(update_ids)),),
        )

    # ---- participants and submissions ------------------------------------------------------

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
            await _upsert_participant(conn, new.participant_id, new.language_code, new.created_at)
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
        """(id of the same message if already stored, submissions in the quota window, oldest)."""
        since = format_timestamp(quota.since) if quota else "9999"
        rows = await conn.execute_fetchall(
            "SELECT (SELECT id FROM submissions WHERE chat_id = ? AND message_id = ?),"
            " count(*), min(created_at) FROM submissions"
            " WHERE participant_id = ? AND created_at >= ?",
            (new.chat_id, new.message_id, new.participant_id, since),
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

    async def set_intake_open(self, is_open: bool, at: datetime) -> None:
        await self.db.fetchall(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_INTAKE_KEY, f"{'1' if is_open else '0'} {format_timestamp(at)}"),
        )
        self._intake_switch = (is_open, at)

    async def register_participant(
        self, user_id: int, language_code: str | None, now: datetime
    ) -> None:
        """Someone started the bot: kept (id and app language only) so announcements reach
        them too."""
        async with self.db.transaction() as conn:
            await _upsert_participant(conn, user_id, language_code, now)

    async def party_locale(self, party_id: int) -> str | None:
        """A viewing party's language now (an organizer may have changed it since)."""
        row = await self.db.fetchone("SELECT locale FROM parties WHERE id = ?", (party_id,))
        return str(row["locale"]) if row else None

    async def mark_unreachable(self, user_id: int, now: datetime) -> None:
        """Telegram refused a message to this participant for good (blocked, deleted)."""
        await self.db.fetchall(
            "UPDATE participants SET blocked_at = ? WHERE user_id = ?",
            (format_timestamp(now), user_id),
        )

    async def locale_choice(self, user_id: int) -> str | None:
        """The locale the participant chose, if any (None also for unknown participants)."""
        if user_id in self._locale_choices:
            return self._locale_choices[user_id]
        row = await self.db.fetchone(
            "SELECT locale FROM participants WHERE user_id = ?", (user_id,)
        )
        choice = row["locale"] if row else None
        if len(self._locale_choices) >= _LOCALE_CACHE_SIZE:
            self._locale_choices.clear()
        self._locale_choices[user_id] = choice
        return choice

    async def set_locale_choice(
        self, user_id: int, language_code: str | None, locale: str, now: datetime
    ) -> None:
        """Remember the participant's language (creating the participant on a first act)."""
        async with self.db.transaction() as conn:
            await _upsert_participant(conn, user_id, language_code, now, locale)
        self._locale_choices[user_id] = locale

    async def erase_participant(self, user_id: int) -> int:
        """Erase what we keep of a participant: their texts and translations, their Telegram
        id and language, the messages and raw updates about them. Returns how many
        submissions were erased. What remains (kind, status, language, times) is anonymous,
        so statistics stay honest. Then the WAL is checkpointed and truncated, so the old
        pages are gone from the files too (with secure_delete, freed pages are zeroed)."""
        async with self.db.transaction() as conn:
            erased = await _erase_submissions(conn, "participant_id = ?", (user_id,))
            await _forget_participant_traces(conn, user_id)
        self._locale_choices.pop(user_id, None)
        await self.db.checkpoint()
        return erased

    async def purge_older_than(self, cutoff: datetime) -> int:
        """Erase the texts of every submission received before `cutoff`, and the participants
        who sent nothing since. Returns how many submissions were erased."""
        stamp = format_timestamp(cutoff)
        async with self.db.transaction() as conn:
            erased = await _erase_submissions(conn, "created_at < ?", (stamp,))
            idle = [
                int(row[0])
                for row in await conn.execute_fetchall(
                    "SELECT user_id FROM participants WHERE user_id != ? AND NOT EXISTS"
                    " (SELECT 1 FROM submissions WHERE participant_id = user_id"
                    "  AND created_at >= ?)",
                    (ERASED_PARTICIPANT, stamp),
                )
            ]
            for user_id in idle:
                await _forget_participant_traces(conn, user_id)
        self._locale_choices.clear()
        await self.db.checkpoint()
        return erased

    async def edit_pending_text(
        self,
        submission_id: int,
        participant_id: int,
        text: str,
        now: datetime,
        notice: Callable[[Submission], OutboxMessage],
    ) -> Submission | None:
        """Replace the text of a still-pending submission; None if no longer pending.

        Language and translation are cleared: they described the old text, and the
        translation worker will look at the new one.
        """
        return await self._change_pending(
            "text = ?, language = NULL, language_confidence = NULL, translation = NULL,"
            " translation_engine = NULL, translation_status = 'pending', translated_at = NULL,"
            " translation_attempts = 0, translation_due_at = 0, translation_error = NULL,"
            " translation_reviewed_by = NULL, similar_to = NULL",
            (text,),
            submission_id,
            participant_id,
            now,
            notice,
        )

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

    # ---- language and translation ------------------------------------------------------------

    async def due_translations(
        self, now: float, limit: int, exclude_ids: Sequence[int] = ()
    ) -> list[TranslationJob]:
        """Pending submissions whose next attempt is due, oldest first."""
        rows = await self.db.fetchall(
            "SELECT s.id, s.text, s.language, s.language_confidence, s.translation_attempts,"
            " p.language_code FROM submissions AS s"
            " JOIN participants AS p ON p.user_id = s.participant_id"
            " WHERE s.translation_status = 'pending' AND s.translation_due_at <= ?"
            " AND s.id NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY s.translation_due_at, s.id LIMIT ?",
            (now, json.dumps(list(exclude_ids)), limit),
        )
        return [
            TranslationJob(
                submission_id=r["id"],
                text=r["text"],
                language=r["language"],
                language_confidence=r["language_confidence"],
                hint=r["language_code"],
                attempts=r["translation_attempts"],
            )
            for r in rows
        ]

    async def next_translation_due_at(self) -> float | None:
        row = await self.db.fetchone(
            "SELECT min(translation_due_at) AS due FROM submissions"
            " WHERE translation_status = 'pending'"
        )
        return float(row["due"]) if row and row["due"] is not None else None

    async def settle_translations(
        self,
        jobs: Sequence[tuple[TranslationJob, TranslationStatus | None]],
        now: datetime,
    ) -> None:
        """Record detected languages, and the final status of those that need no engine
        (None: still pending, to be translated), in one transaction. A job whose text changed
        meanwhile (an edit) is left alone: the edit made it pending again."""
        if not jobs:
            return
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                "UPDATE submissions SET language = ?, language_confidence = ?,"
                " translation_status = coalesce(?, translation_status),"
                " translated_at = CASE WHEN ? IS NULL THEN translated_at ELSE ? END"
                " WHERE id = ? AND text = ? AND translation_status = 'pending'",
                [
                    (
                        job.language,
                        job.language_confidence,
                        status.value if status else None,
                        status.value if status else None,
                        stamp,
                        job.submission_id,
                        job.text,
                    )
                    for job, status in jobs
                ],
            )
            await cursor.close()

    async def record_translation(
        self,
        submission_id: int,
        text: str,
        status: TranslationStatus,
        now: datetime,
        translation: str | None = None,
        engine: str | None = None,
    ) -> bool:
        """Finish a submission's translation; False if its text changed meanwhile (an edit)."""
        rows = await self.db.fetchall(
            "UPDATE submissions SET translation_status = ?, translation = ?,"
            " translation_engine = ?, translated_at = ?, translation_error = NULL"
            " WHERE id = ? AND text = ? AND translation_status = 'pending' RETURNING id",
            (status.value, translation, engine, format_timestamp(now), submission_id, text),
        )
        return bool(rows)

    async def postpone_translation(
        self, submission_id: int, due_at: float, error: str, count_attempt: bool = True
    ) -> None:
        await self.db.fetchall(
            "UPDATE submissions SET translation_due_at = ?, translation_error = ?,"
            " translation_attempts = translation_attempts + ?"
            " WHERE id = ? AND translation_status = 'pending'",
            (due_at, error[:500], 1 if count_attempt else 0, submission_id),
        )

    async def cached_translation(
        self, engine: str, source: str, target: str, text: str
    ) -> str | None:
        row = await self.db.fetchone(
            "SELECT translation FROM translation_cache"
            " WHERE engine = ? AND source = ? AND target = ? AND text_sha256 = ?",
            (engine, source, target, _sha256(text)),
        )
        return str(row["translation"]) if row else None

    async def cache_translation(
        self, engine: str, source: str, target: str, text: str, translation: str, now: datetime
    ) -> None:
        await self.db.fetchall(
            "INSERT OR REPLACE INTO translation_cache"
            " (engine, source, target, text_sha256, translation, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (engine, source, target, _sha256(text), translation, format_timestamp(now)),
        )

    async def queue_messages(self, messages: Sequence[OutboxMessage], now: datetime) -> int:
        """Queue messages not tied to a state change (replies). Returns how many were new."""
        async with self.db.transaction() as conn:
            return await queue_in_transaction(conn, messages, now)

    async def claim_due_messages(
        self, now: float, limit: int, exclude_chats: Sequence[int] = ()
    ) -> list[OutboxItem]:
        """Mark up to `limit` due messages 'sending' and return them, at most one per chat.

        Only a chat's oldest open message is eligible, so a chat's messages keep their order.
        The caller starts their requests at once: after a crash, rows still 'sending' are
        exactly those whose delivery is uncertain. One statement: atomic by itself.
        """
        rows = await self.db.fetchall(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN ("
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
            (now, json.dumps(list(exclude_chats)), limit),
        )
        items = []
        for r in sorted(rows, key=lambda row: int(row["id"])):
            params = json.loads(r["payload"])
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
        await self.db.fetchall(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ? WHERE id = ?",
            (at, error[:500], outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        await self.db.fetchall(
            "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
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

    async def ops_figures(self, now: float) -> OpsFigures:
        """Queue depths and the age of the oldest waiting item, for health checks."""
        row = await self.db.fetchone(
            "SELECT (SELECT count(*) FROM inbox) AS inbox,"
            " (SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')) AS outbox,"
            " (SELECT min(created_at) FROM outbox WHERE state IN ('queued', 'sending'))"
            "   AS oldest_outbox,"
            " (SELECT count(*) FROM submissions WHERE translation_status = 'pending')"
            "   AS translations,"
            " (SELECT min(created_at) FROM submissions WHERE translation_status = 'pending')"
            "   AS oldest_translation"
        )
        assert row is not None

        def age(stamp: str | None) -> float | None:
            return max(0.0, now - parse_timestamp(stamp).timestamp()) if stamp else None

        return OpsFigures(
            inbox=row["inbox"],
            outbox=row["outbox"],
            pending_translations=row["translations"],
            oldest_outbox_seconds=age(row["oldest_outbox"]),
            oldest_translation_seconds=age(row["oldest_translation"]),
        )

    async def statistics(self) -> Statistics:
        """Totals by status, kind, language and hour, and per language how many were
        received, shortlisted (or further) and approved (or answered)."""
        grouped: dict[str, dict[str, int]] = {}
        for name, expression in (
            ("status", "status"),
            ("kind", "kind"),
            ("language", "coalesce(language, '?')"),
            ("hour", "substr(created_at, 1, 13) || ':00Z'"),
            ("topic", "coalesce(nullif(topic, ''), '-')"),
            ("party", "coalesce(party_place, '-')"),
        ):
            rows = await self.db.fetchall(
                f"SELECT {expression} AS k, count(*) AS n FROM submissions GROUP BY k ORDER BY k"
            )
            grouped[name] = {str(r["k"]): int(r["n"]) for r in rows}
        rows = await self.db.fetchall(
            "SELECT coalesce(language, '?') AS lang, count(*) AS received,"
            " sum(status IN ('shortlisted', 'approved', 'answered')) AS shortlisted,"
            " sum(status IN ('approved', 'answered')) AS approved"
            " FROM submissions GROUP BY lang ORDER BY received DESC, lang"
        )
        funnel = [
            (str(r["lang"]), int(r["received"]), int(r["shortlisted"]), int(r["approved"]))
            for r in rows
        ]
        return Statistics(
            total=sum(grouped["status"].values()),
            by_status=grouped["status"],
            by_kind=grouped["kind"],
            by_language=grouped["language"],
            by_hour=grouped["hour"],
            by_topic=grouped["topic"],
            by_party=grouped["party"],
            funnel=funnel,
        )

    async def outbox_counts(self) -> dict[OutboxState, int]:
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        counts = {state: 0 for state in OutboxState}
        counts.update({OutboxState(row["state"]): row["n"] for row in rows})
        return counts


# ---- export (synchronous: streamed by the CLI from a read-only connection) ------------------

# Column name -> SQL expression, in the export's order. The first seven are the contract.
SUBMISSION_COLUMNS: dict[str, str] = {
    "id": "s.id",
    "kind": "s.kind",
    "status": "s.status",
    "language": "s.language",
    "text": "s.text",
    "translation": "s.translation",
    "submitted_at": "s.created_at",
    "language_confidence": "s.language_confidence",
    "translation_engine": "s.translation_engine",
    "topic": "s.topic",
    "position": "s.position",
    "votes": "s.votes",
    "merged_into": "s.merged_into",
    "party": "s.party_id",
    "place": "s.party_place",
    "translation_reviewed": "CASE WHEN s.translation_reviewed_by IS NULL THEN 'no' ELSE 'yes' END",
    "answer": "(SELECT a.text FROM answers AS a WHERE a.submission_id = s.id"
    " ORDER BY a.id DESC LIMIT 1)",
    "participant": "p.pseudonym",
    "decided_by": "s.decided_by",
    "decided_at": "s.decided_at",
    "reason": "s.reason",
    "locale": "s.locale",
    "translation_status": "s.translation_status",
    "translated_at": "s.translated_at",
}
AUDIT_COLUMNS: dict[str, str] = {
    "id": "id",
    "submission_id": "submission_id",
    "actor": "actor_name",
    "action": "action",
    "from_status": "from_status",
    "to_status": "to_status",
    "reason": "reason",
    "at": "at",
}


@dataclass(frozen=True, slots=True)
class ExportFilter:
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    # Telegram user ids instead of pseudonyms: only when an organizer asks for them.
    with_identities: bool = False


ExportRow = tuple[object, ...]  # values in the order of the columns


def iter_export_rows(
    conn: sqlite3.Connection, where: ExportFilter = ExportFilter(), chunk: int = 5000
) -> Iterator[ExportRow]:
    """Every matching submission in id order (values in SUBMISSION_COLUMNS order), read in
    chunks by keyset: memory stays flat."""
    columns = dict(SUBMISSION_COLUMNS)
    if where.with_identities:
        columns["participant"] = "CAST(s.participant_id AS TEXT)"
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in columns.items())
    clauses: list[str] = ["s.id > ?"]
    params: list[object] = []
    if where.statuses:
        clauses.append("s.status IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(where.statuses)))
    if where.kind:
        clauses.append("s.kind = ?")
        params.append(where.kind)
    sql = (
        f"SELECT {select} FROM submissions AS s"
        " JOIN participants AS p ON p.user_id = s.participant_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY s.id LIMIT ?"
    )
    yield from _keyset(conn, sql, params, chunk)


def iter_audit_rows(conn: sqlite3.Connection, chunk: int = 5000) -> Iterator[ExportRow]:
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in AUDIT_COLUMNS.items())
    sql = f"SELECT {select} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"
    yield from _keyset(conn, sql, [], chunk)


def _keyset(
    conn: sqlite3.Connection, sql: str, params: list[object], chunk: int
) -> Iterator[ExportRow]:
    """Pages by the first column (the id). Plain tuples: a dict per row costs more than
    everything else an export does."""
    cursor = conn.cursor()
    cursor.row_factory = None
    last_id = 0
    while True:
        rows = cursor.execute(sql, (last_id, *params, chunk)).fetchall()
        if not rows:
            return
        yield from rows
        last_id = int(rows[-1][0])
