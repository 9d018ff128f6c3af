"""Moderation data: status changes (compare-and-set, audited), run order, review claims,
the moderators' feed, run-time moderators and invitations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.erasure import ERASED_PARTICIPANT
from storage.models import OutboxMessage, Status, Submission, format_timestamp, submission_from_row
from storage.outbox import queue_in_transaction
from storage.requests import first_time


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What a compare-and-set status change found.

    `submission` is the updated row when this actor won; otherwise `current` and `decided_by`
    say what the submission is now and who put it there (None: no such submission).
    """

    submission: Submission | None
    current: Status | None = None
    decided_by: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    submission_id: int | None
    actor_name: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    at: str


@dataclass(frozen=True, slots=True)
class Moderator:
    user_id: int
    name: str
    added_by: int


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: Status = Status.PENDING
    kind: str | None = None
    language: str | None = None
    topic: str | None = None
    party: int | None = None  # a viewing party's number; 0: from any party


async def audit_in_transaction(
    conn: aiosqlite.Connection,
    submission_id: int,
    actor: Actor,
    action: str,
    change: tuple[Status, Status] | None,
    reason: str | None,
    stamp: str,
) -> None:
    """One audit entry, inside the caller's transaction (`change`: from and to status)."""
    await conn.execute_fetchall(
        "INSERT INTO audit_log (submission_id, actor_id, actor_name, action, from_status,"
        " to_status, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            submission_id,
            actor.user_id,
            actor.name,
            action,
            change[0].value if change else None,
            change[1].value if change else None,
            reason,
            stamp,
        ),
    )


async def record_in_transaction(
    conn: aiosqlite.Connection, actor: Actor, action: str, detail: str | None, stamp: str
) -> None:
    """An audit entry not about one submission, inside the caller's transaction."""
    await conn.execute_fetchall(
        "INSERT INTO audit_log (submission_id, actor_id, actor_name, action, reason, at)"
        " VALUES (NULL, ?, ?, ?, ?, ?)",
        (actor.user_id, actor.name, action, detail, stamp),
    )


def token_hash(token: str) -> str:
    # Invitations are stored hashed: a copy of the database does not yield usable links.
    return hashlib.sha256(token.encode()).hexdigest()


class ModerationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def similar_and_merged(self, submission_id: int) -> tuple[list[int], list[int]]:
        """Look-alikes found either way (most similar first) that were not merged into it,
        and the submissions merged into it."""
        merged = [
            int(r["id"])
            for r in await self.db.fetchall(
                "SELECT id FROM submissions WHERE merged_into = ? ORDER BY id", (submission_id,)
            )
        ]
        similar = [
            int(r["other"])
            for r in await self.db.fetchall(
                "SELECT other_id AS other, score FROM similar WHERE submission_id = ?"
                " UNION SELECT submission_id, score FROM similar WHERE other_id = ?"
                " ORDER BY score DESC, other",
                (submission_id, submission_id),
            )
            if int(r["other"]) not in merged
        ]
        return list(dict.fromkeys(similar)), merged  # found both ways: listed once

    # ---- status changes ------------------------------------------------------------------

    async def change_status(
        self,
        submission_id: int,
        sources: frozenset[Status],
        target: Status,
        actor: Actor,
        action: str,
        reason: str | None,
        now: datetime,
        messages: Callable[[Submission], list[OutboxMessage]],
        owner: int | None = None,
    ) -> StatusChange:
        """Move a submission from one of `sources` to `target`, if it still is in one.

        One transaction: the change, its audit entry and the messages it owes (notice to the
        participant, edit of the moderators' post). Two moderators acting at once: exactly one
        UPDATE matches; the other learns the status and who set it.
        """
        stamp = format_timestamp(now)
        placeholders = ",".join("?" for _ in sources)
        async with self.db.transaction() as conn:
            before = list(
                await conn.execute_fetchall(
                    "SELECT status, decided_by, participant_id FROM submissions WHERE id = ?"
                    " AND participant_id = coalesce(?, participant_id)",
                    (submission_id, owner),
                )
            )
            if not before:
                return StatusChange(None)
            if before[0]["participant_id"] == ERASED_PARTICIPANT:
                reason = None  # a reason quotes them, and they were erased: it is not kept
            rows = list(
                await conn.execute_fetchall(
                    "UPDATE submissions SET status = ?, decided_by = ?, decided_at = ?,"
                    " reason = ?, review_claimed_by = NULL, review_claimed_until = NULL,"
                    " position = CASE WHEN ? = 'approved' THEN"
                    "   (SELECT coalesce(max(position), 0) + 1 FROM submissions) ELSE NULL END"
                    f" WHERE id = ? AND status IN ({placeholders}) RETURNING *",
                    (
                        target.value,
                        actor.name,
                        stamp,
                        reason,
                        target.value,
                        submission_id,
                        *(s.value for s in sources),
                    ),
                )
            )
            if not rows:
                return StatusChange(None, Status(before[0]["status"]), before[0]["decided_by"])
            updated = submission_from_row(rows[0])
            change = (Status(before[0]["status"]), target)
            await audit_in_transaction(conn, submission_id, actor, action, change, reason, stamp)
            await queue_in_transaction(conn, messages(updated), now)
        return StatusChange(updated)

    async def audit(self, submission_id: int) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE submission_id = ? ORDER BY id", (submission_id,)
        )
        return [
            AuditEntry(
                r["submission_id"],
                r["actor_name"],
                r["action"],
                r["from_status"],
                r["to_status"],
                r["reason"],
                r["at"],
            )
            for r in rows
        ]

    async def record(self, actor: Actor, action: str, detail: str | None, now: datetime) -> None:
        """An audit entry not about one submission (invitations, removals, run order)."""
        async with self.db.transaction() as conn:
            await record_in_transaction(conn, actor, action, detail, format_timestamp(now))

    # ---- lists ---------------------------------------------------------------------------

    async def queue_page(
        self, where: QueueFilter, offset: int, limit: int
    ) -> tuple[list[Submission], int]:
        """A page of the queue (oldest first; approved ones in run order) and the total."""
        clauses = ["status = ?"]
        params: list[object] = [where.status.value]
        if where.kind:
            clauses.append("kind = ?")
            params.append(where.kind)
        if where.language:
            clauses.append("language = ?")
            params.append(where.language)
        if where.topic:
            clauses.append("topic = ?")
            params.append(where.topic)
        if where.party == 0:
            clauses.append("party_id IS NOT NULL")
        elif where.party is not None:
            clauses.append("party_id = ?")
            params.append(where.party)
        sql_where = " AND ".join(clauses)
        order = "position" if where.status is Status.APPROVED else "id"
        rows = await self.db.fetchall(
            f"SELECT *, (SELECT count(*) FROM submissions WHERE {sql_where}) AS total"
            f" FROM submissions WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, *params, limit, offset),
        )
        total = int(rows[0]["total"]) if rows else await self._count(sql_where, params)
        return [submission_from_row(r) for r in rows], total

    async def _count(self, sql_where: str, params: Sequence[object]) -> int:
        row = await self.db.fetchone(
            f"SELECT count(*) AS n FROM submissions WHERE {sql_where}", params
        )
        return int(row["n"]) if row else 0

    async def run_order(self) -> list[Submission]:
        rows = await self.db.fetchall(
            "SELECT * FROM submissions WHERE status = 'approved' ORDER BY position, id"
        )
        return [submission_from_row(r) for r in rows]

    async def move(
        self, submission_id: int, position: int, actor: Actor, now: datetime, request_key: str
    ) -> bool:
        """Put an approved submission at `position` (1-based) and renumber the rest 1..n.
        A replayed request (`request_key` seen before) moves nothing, and says if it is
        approved."""
        async with self.db.transaction() as conn:
            if not await first_time(conn, request_key, format_timestamp(now)):
                rows = await conn.execute_fetchall(
                    "SELECT 1 FROM submissions WHERE id = ? AND status = 'approved'",
                    (submission_id,),
                )
                return bool(list(rows))
            ids = [
                int(r["id"])
                for r in await conn.execute_fetchall(
                    "SELECT id FROM submissions WHERE status = 'approved' ORDER BY position, id"
                )
            ]
            if submission_id not in ids:
                return False
            ids.remove(submission_id)
            ids.insert(max(0, min(position - 1, len(ids))), submission_id)
            await conn.executemany(
                "UPDATE submissions SET position = ? WHERE id = ?",
                [(index + 1, sid) for index, sid in enumerate(ids)],
            )
            await audit_in_transaction(
                conn, submission_id, actor, "move", None, str(position), format_timestamp(now)
            )
        return True

    # ---- review cards --------------------------------------------------------------------

    async def claim_next_pending(
        self, moderator_id: int, now: float, hold_s: float, skip: Sequence[int]
    ) -> Submission | None:
        """The oldest pending submission no other moderator holds, held for `hold_s`."""
        rows = await self.db.fetchall(
            "UPDATE submissions SET review_claimed_by = ?, review_claimed_until = ?"
            " WHERE id = (SELECT id FROM submissions WHERE status = 'pending'"
            "   AND (review_claimed_until IS NULL OR review_claimed_until < ?"
            "        OR review_claimed_by = ?)"
            "   AND id NOT IN (SELECT value FROM json_each(?))"
            "   ORDER BY id LIMIT 1) RETURNING *",
            (moderator_id, now + hold_s, now, moderator_id, json.dumps(list(skip))),
        )
        return submission_from_row(rows[0]) if rows else None

    async def release_claim(self, submission_id: int, moderator_id: int) -> None:
        await self.db.fetchall(
            "UPDATE submissions SET review_claimed_by = NULL, review_claimed_until = NULL"
            " WHERE id = ? AND review_claimed_by = ?",
            (submission_id, moderator_id),
        )

    # ---- the moderators' feed ------------------------------------------------------------

    async def unfed_submissions(self, limit: int, settled_before: datetime) -> list[Submission]:
        """Not yet shown to moderators: once their language is known (moments after intake),
        or once they are older than `settled_before` (the detector may be stuck)."""
        rows = await self.db.fetchall(
            "SELECT * FROM submissions WHERE feed IS NULL"
            " AND (language IS NOT NULL OR created_at < ?) ORDER BY id LIMIT ?",
            (format_timestamp(settled_before), limit),
        )
        return [submission_from_row(r) for r in rows]

    async def mark_fed(
        self, ids: Sequence[int], how: str, messages: list[OutboxMessage], now: datetime
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute_fetchall(
                "UPDATE submissions SET feed = ? WHERE id IN (SELECT value FROM json_each(?))",
                (how, json.dumps(list(ids))),
            )
            await queue_in_transaction(conn, messages, now)

    async def recent_group_messages(self, chat_id: int, since: datetime) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM outbox WHERE chat_id = ? AND created_at >= ?",
            (chat_id, format_timestamp(since)),
        )
        return int(row["n"]) if row else 0

    async def queue(self, messages: list[OutboxMessage], now: datetime) -> None:
        async with self.db.transaction() as conn:
            await queue_in_transaction(conn, messages, now)

    # ---- run-time moderators -------------------------------------------------------------

    async def moderators(self) -> list[Moderator]:
        rows = await self.db.fetchall("SELECT * FROM moderators ORDER BY added_at, user_id")
        return [Moderator(r["user_id"], r["name"], r["added_by"]) for r in rows]

    async def create_invite(
        self,
        token: str,
        created_by: Actor,
        expires_at: float,
        request_key: str,
        now: datetime,
        messages: Sequence[OutboxMessage],
    ) -> bool:
        """Store an invitation, its audit entry and the messages carrying its link, in one
        transaction. False, and nothing stored or queued, for a replayed request: the link
        made the first time is the one that was sent (it cannot be read back: it is hashed)."""
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            if not await first_time(conn, request_key, stamp):
                return False
            await conn.execute_fetchall(
                "INSERT INTO invites (token_sha256, created_by, expires_at) VALUES (?, ?, ?)",
                (token_hash(token), created_by.user_id, expires_at),
            )
            await record_in_transaction(conn, created_by, "invite", None, stamp)
            await queue_in_transaction(conn, messages, now)
        return True

    async def redeem_invite(self, token: str, user: Actor, now: datetime) -> bool:
        """Use a one-time invitation: True if it was valid, unused and unexpired, and also
        when `user` redeemed it already and is still a moderator (their /start replayed, or
        the link opened twice): nothing changes then. Anyone else is refused."""
        async with self.db.transaction() as conn:
            used = list(
                await conn.execute_fetchall(
                    "UPDATE invites SET used_by = ?, used_at = ? WHERE token_sha256 = ?"
                    " AND used_by IS NULL AND expires_at > ? RETURNING created_by",
                    (user.user_id, format_timestamp(now), token_hash(token), now.timestamp()),
                )
            )
            if not used:
                mine = await conn.execute_fetchall(
                    "SELECT 1 FROM invites AS i JOIN moderators AS m ON m.user_id = i.used_by"
                    " WHERE i.token_sha256 = ? AND i.used_by = ?",
                    (token_hash(token), user.user_id),
                )
                return bool(list(mine))
            await conn.execute_fetchall(
                "INSERT INTO moderators (user_id, name, added_by, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
                (user.user_id, user.name, used[0]["created_by"], format_timestamp(now)),
            )
            await conn.execute_fetchall(
                "INSERT INTO audit_log (submission_id, actor_id, actor_name, action, at)"
                " VALUES (NULL, ?, ?, 'joined as moderator', ?)",
                (user.user_id, user.name, format_timestamp(now)),
            )
        return True

    async def remove_moderator(self, user_id: int) -> bool:
        rows = await self.db.fetchall(
            "DELETE FROM moderators WHERE user_id = ? RETURNING user_id", (user_id,)
        )
        return bool(rows)
