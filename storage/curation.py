"""Curation across languages: similar submissions, merges, corrected translations and
written answers. Every change is one transaction with its audit entry and the messages it
owes (built by the caller, which knows the languages)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from storage.db import Database
from storage.erasure import ERASED_PARTICIPANT, ERASURE_EPOCH_KEY
from storage.models import OutboxMessage, Status, Submission, format_timestamp, submission_from_row
from storage.moderation import Actor, audit_in_transaction
from storage.outbox import queue_in_transaction
from storage.requests import first_time

# What may be merged, and into what: closed ones (rejected, withdrawn, merged) take no part.
MERGE_SOURCES = frozenset({Status.PENDING, Status.SHORTLISTED, Status.APPROVED})
MERGE_TARGETS = MERGE_SOURCES | {Status.ANSWERED}
# Candidates for "similar": what a moderator could still merge into.
OPEN_STATUSES = MERGE_TARGETS


class MergeOutcome(StrEnum):
    MERGED = "merged"
    NOT_FOUND = "not_found"  # `missing` says which id
    SAME = "same"  # into itself, or into a submission already merged into it
    KINDS_DIFFER = "kinds_differ"  # a question into an idea, or the reverse
    SOURCE_CLOSED = "source_closed"
    TARGET_CLOSED = "target_closed"


@dataclass(frozen=True, slots=True)
class Voices:
    """Who stands behind a submission once merged: distinct people, distinct languages."""

    people: int
    languages: int


@dataclass(frozen=True, slots=True)
class MergeResult:
    outcome: MergeOutcome
    source: Submission | None = None  # the merged one, after the change
    target: Submission | None = None  # the one standing for all, after the change
    moved: tuple[Submission, ...] = ()  # every submission that now points at the target
    voices: Voices | None = None
    missing: int | None = None


# Builds the messages a merge owes: (merged source, target, submissions moved, voices).
MergeMessages = Callable[
    [Submission, Submission, Sequence[Submission], Voices], list[OutboxMessage]
]


@dataclass(frozen=True, slots=True)
class Listener:
    """Someone to tell about a question: a private chat, or a viewing party's group."""

    chat_id: int
    asked: bool  # asked it (or a question merged into it), rather than voted for it
    locale_choice: str | None
    language_code: str | None
    fallback_locale: str  # the submission's locale; a party's language for its group


# Who hears about a question (on air, answered): the chat each asker asked from (a party's
# group for a party's question), the askers merged into it, and its voters; each chat once,
# askers first; not those Telegram said blocked the bot.
_AUDIENCE = (
    "WITH people (chat_id, asked, locale) AS ("
    "  SELECT chat_id, 1, locale FROM submissions"
    "  WHERE (id = ? OR merged_into = ?) AND text != ''"
    "  UNION ALL SELECT voter_id, 0, NULL FROM votes WHERE submission_id = ?)"
    " SELECT people.chat_id, max(people.asked) AS asked,"
    " coalesce(g.locale, max(people.locale)) AS locale,"
    " p.locale AS choice, p.language_code FROM people"
    " LEFT JOIN participants AS p ON p.user_id = people.chat_id"
    " LEFT JOIN parties AS g ON g.chat_id = people.chat_id"
    " WHERE p.blocked_at IS NULL"
    " GROUP BY people.chat_id ORDER BY asked DESC, people.chat_id"
)


def _listeners(rows: Iterable[sqlite3.Row]) -> list[Listener]:
    return [
        Listener(
            r["chat_id"], bool(r["asked"]), r["choice"], r["language_code"], r["locale"] or ""
        )
        for r in rows
    ]


async def audience_in(conn: aiosqlite.Connection, submission_id: int) -> list[Listener]:
    """The audience, read inside the caller's transaction."""
    rows = await conn.execute_fetchall(_AUDIENCE, (submission_id,) * 3)
    return _listeners(rows)


class CurationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- similarity ----------------------------------------------------------------------

    async def erasure_epoch(self) -> int:
        """Moves with every erasure (storage/erasure.py): copies held in memory reload."""
        row = await self.db.fetchone(
            "SELECT value FROM settings WHERE key = ?", (ERASURE_EPOCH_KEY,)
        )
        return int(row["value"]) if row else 0

    async def working_texts(self, working_language: str) -> list[tuple[int, str, str]]:
        """(id, kind, working-language text) of every open submission that has one."""
        rows = await self.db.fetchall(
            "SELECT id, kind, coalesce(translation, text) AS working FROM submissions"
            " WHERE text != '' AND (translation IS NOT NULL OR language = ?)"
            " AND status IN (SELECT value FROM json_each(?)) ORDER BY id",
            (working_language, json.dumps(sorted(OPEN_STATUSES))),
        )
        return [(r["id"], r["kind"], r["working"]) for r in rows]

    async def open_ids(self, ids: Sequence[int]) -> set[int]:
        """Those of `ids` still open to a merge (the index in memory may be behind)."""
        rows = await self.db.fetchall(
            "SELECT id FROM submissions WHERE id IN (SELECT value FROM json_each(?))"
            " AND status IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)), json.dumps(sorted(OPEN_STATUSES))),
        )
        return {int(r["id"]) for r in rows}

    async def submissions(self, ids: Sequence[int]) -> list[Submission]:
        rows = await self.db.fetchall(
            "SELECT * FROM submissions WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(ids)),),
        )
        return [submission_from_row(r) for r in rows]

    async def save_similar_many(self, found: dict[int, list[tuple[int, float]]]) -> None:
        """Record the look-alikes of several submissions (best first), in one transaction."""
        shown = [
            (" ".join(str(other) for other, _ in matches) or None, sid)
            for sid, matches in found.items()
        ]
        pairs = [(sid, other, score) for sid, matches in found.items() for other, score in matches]
        async with self.db.transaction() as conn:  # three statements, however many there are
            await conn.executemany("UPDATE submissions SET similar_to = ? WHERE id = ?", shown)
            await conn.execute_fetchall(
                "DELETE FROM similar WHERE submission_id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(found)),),
            )
            await conn.executemany(
                "INSERT INTO similar (submission_id, other_id, score) VALUES (?, ?, ?)", pairs
            )

    # ---- merges --------------------------------------------------------------------------

    async def merge(
        self, source_id: int, target_id: int, actor: Actor, now: datetime, messages: MergeMessages
    ) -> MergeResult:
        """Merge `source_id` into `target_id`: one transaction, compare-and-set on the source.

        The voters of the source, and the askers of everything merged so far, become voters of
        the target: a person counts once (the votes' primary key), and never for their own
        question. Whatever pointed at the source now points at the target.
        """
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            found = await _submissions(conn, (source_id, target_id))
            for wanted in (source_id, target_id):
                if wanted not in found:
                    return MergeResult(MergeOutcome.NOT_FOUND, missing=wanted)
            source, target = found[source_id], found[target_id]
            refusal = _merge_refusal(source, target)
            if refusal is not None:
                return MergeResult(refusal, source, target)
            merged = list(
                await conn.execute_fetchall(
                    "UPDATE submissions SET status = 'merged', merged_into = ?, position = NULL,"
                    " decided_by = ?, decided_at = ?, reason = NULL, review_claimed_by = NULL,"
                    " review_claimed_until = NULL"
                    " WHERE id = ? AND status IN (SELECT value FROM json_each(?)) RETURNING *",
                    (target_id, actor.name, stamp, source_id, json.dumps(sorted(MERGE_SOURCES))),
                )
            )
            if not merged:  # changed by someone else meanwhile
                return MergeResult(MergeOutcome.SOURCE_CLOSED, source, target)
            earlier = await conn.execute_fetchall(
                "UPDATE submissions SET merged_into = ? WHERE merged_into = ? RETURNING *",
                (target_id, source_id),
            )
            await _pool_votes(conn, source_id, target, stamp)
            target = (await _submissions(conn, (target_id,)))[target_id]
            voices = await _voices(conn, target_id)
            await audit_in_transaction(
                conn,
                source_id,
                actor,
                "merge",
                (source.status, Status.MERGED),
                f"→ #{target_id}",
                stamp,
            )
            await audit_in_transaction(
                conn, target_id, actor, "merge", None, f"← #{source_id}", stamp
            )
            source_after = submission_from_row(merged[0])
            moved = (source_after, *(submission_from_row(r) for r in earlier))
            await queue_in_transaction(conn, messages(source_after, target, moved, voices), now)
        return MergeResult(MergeOutcome.MERGED, source_after, target, moved, voices)

    # ---- corrected translations ----------------------------------------------------------

    async def fix_translation(
        self,
        submission_id: int,
        translation: str,
        actor: Actor,
        now: datetime,
        messages: Callable[[Submission], list[OutboxMessage]],
        request_key: str,
    ) -> tuple[Submission | None, bool]:
        """Replace the translation with a person's: the submission (None if there is no text
        to translate) and whether it changed now.

        Marked done: a machine translation still in flight is then discarded when it lands
        (`record_translation` only fills pending ones). A replayed request (`request_key`
        seen before) changes nothing: the submission as it is, and False.
        """
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            if not await first_time(conn, request_key, stamp):
                sub = (await _submissions(conn, (submission_id,))).get(submission_id)
                return (sub if sub is not None and sub.text else None), False
            rows = list(
                await conn.execute_fetchall(
                    "UPDATE submissions SET translation = ?, translation_engine = 'human',"
                    " translation_status = 'done', translated_at = ?, translation_error = NULL,"
                    " translation_reviewed_by = ? WHERE id = ? AND text != '' RETURNING *",
                    (translation, stamp, actor.name, submission_id),
                )
            )
            if not rows:
                return None, False
            sub = submission_from_row(rows[0])
            await audit_in_transaction(conn, submission_id, actor, "fixtr", None, None, stamp)
            await queue_in_transaction(conn, messages(sub), now)
        return sub, True

    # ---- written answers -----------------------------------------------------------------

    async def audience(self, submission_id: int) -> list[Listener]:
        return _listeners(await self.db.fetchall(_AUDIENCE, (submission_id,) * 3))

    async def save_answer(
        self,
        submission_id: int,
        text: str,
        actor: Actor,
        request_key: str,
        now: datetime,
        messages: Callable[[int], list[OutboxMessage]],
    ) -> int | None:
        """Store the answer and queue its deliveries (`messages` gets the answer's id); None
        when this request was already handled (a replayed update)."""
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            erased = await conn.execute_fetchall(
                "SELECT 1 FROM submissions WHERE id = ? AND participant_id = ?",
                (submission_id, ERASED_PARTICIPANT),
            )
            if list(erased):  # erased while the answer was being translated: not kept, not sent
                return None
            rows = list(
                await conn.execute_fetchall(
                    "INSERT INTO answers (submission_id, text, answered_by, request_key,"
                    " recipients, created_at) VALUES (?, ?, ?, ?, 0, ?)"
                    " ON CONFLICT (request_key) DO NOTHING RETURNING id",
                    (submission_id, text, actor.name, request_key, stamp),
                )
            )
            if not rows:
                return None
            answer_id = int(rows[0][0])
            owed = messages(answer_id)
            # People, not messages: a long answer is several messages to each.
            people = len({m.chat_id for m in owed})
            await conn.execute_fetchall(
                "UPDATE answers SET recipients = ? WHERE id = ?", (people, answer_id)
            )
            await audit_in_transaction(conn, submission_id, actor, "answer", None, None, stamp)
            await queue_in_transaction(conn, owed, now)
        return answer_id


def _merge_refusal(source: Submission, target: Submission) -> MergeOutcome | None:
    if source.id == target.id or target.merged_into == source.id:
        return MergeOutcome.SAME
    if source.kind is not target.kind:
        return MergeOutcome.KINDS_DIFFER
    if source.status not in MERGE_SOURCES:
        return MergeOutcome.SOURCE_CLOSED
    if target.status not in MERGE_TARGETS:
        return MergeOutcome.TARGET_CLOSED
    return None


async def _submissions(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, Submission]:
    rows = await conn.execute_fetchall(
        "SELECT * FROM submissions WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    )
    return {int(r["id"]): submission_from_row(r) for r in rows}


async def _pool_votes(
    conn: aiosqlite.Connection, source_id: int, target: Submission, stamp: str
) -> None:
    """Voters of the source and askers merged so far vote for the target, each person once."""
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO votes (submission_id, voter_id, created_at)"
        " SELECT ?, voter_id, created_at FROM votes WHERE submission_id = ? AND voter_id != ?",
        (target.id, source_id, target.participant_id),
    )
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO votes (submission_id, voter_id, created_at)"
        " SELECT ?, participant_id, ? FROM submissions WHERE merged_into = ?"
        " AND participant_id != ? AND text != '' AND party_id IS NULL",
        (target.id, stamp, target.id, target.participant_id),
    )
    await conn.execute_fetchall("DELETE FROM votes WHERE submission_id = ?", (source_id,))
    await conn.execute_fetchall(
        "UPDATE submissions SET votes = CASE id WHEN ? THEN 0 ELSE"
        " (SELECT count(*) FROM votes WHERE submission_id = ?) END WHERE id IN (?, ?)",
        (source_id, target.id, source_id, target.id),
    )


async def _voices(conn: aiosqlite.Connection, target_id: int) -> Voices:
    rows = list(
        await conn.execute_fetchall(
            "SELECT count(DISTINCT participant_id),"
            " count(DISTINCT CASE WHEN language NOT IN ('und', '') THEN language END)"
            " FROM submissions WHERE id = ? OR merged_into = ?",
            (target_id, target_id),
        )
    )
    return Voices(int(rows[0][0]), max(1, int(rows[0][1])))
