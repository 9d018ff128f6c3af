"""The live show: which question is being answered on air, and who is told.

One question is live at a time (the settings row `live_now`). Putting another one on air makes
the previous one answered, in the same transaction as the notices it owes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiosqlite

from storage.curation import Listener, audience_in
from storage.db import Database
from storage.models import (
    OutboxMessage,
    Status,
    Submission,
    format_timestamp,
    parse_timestamp,
    submission_from_row,
)
from storage.moderation import Actor, audit_in_transaction
from storage.outbox import queue_in_transaction

LIVE_KEY = "live_now"
# What can be put on air: the run order's questions, and (the show does not wait) any question
# still under review, which is approved on the way.
LIVE_SOURCES = frozenset({Status.PENDING, Status.SHORTLISTED, Status.APPROVED})


class LiveOutcome(StrEnum):
    LIVE = "live"
    REPLAYED = "replayed"  # this very command was handled already (an update replayed)
    MOVED_ON = "moved_on"  # another moderator changed what is on air meanwhile
    ALREADY = "already"  # it is the one on air
    NOT_FOUND = "not_found"
    WRONG_STATUS = "wrong_status"
    NOT_A_QUESTION = "not_a_question"
    NOTHING_NEXT = "nothing_next"  # /next with no approved question left


@dataclass(frozen=True, slots=True)
class LiveChange:
    outcome: LiveOutcome
    live: Submission | None = None  # on air now (or, refused, the one asked for)
    told: int = 0  # chats told it is on air


@dataclass(frozen=True, slots=True)
class OnAir:
    """What a change to the show owes messages about, read inside its transaction."""

    airing: int  # this change's number: a question aired again is announced again
    live: Submission | None  # None when /next found nothing left
    previous: Submission | None
    listeners: list[Listener]
    upcoming: list[Submission]


# The notices and edits a change owes, built inside its transaction.
LiveMessages = Callable[[OnAir], list[OutboxMessage]]
BOARD_NEXT = 2  # the moderators' board shows the one on air and the next two
CROSSED_S = 10  # a /next this soon after another moderator's change crossed it
_UPCOMING = (
    "SELECT * FROM submissions WHERE status = 'approved' AND id != coalesce(?, 0)"
    " ORDER BY position LIMIT ?"
)


class LiveStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def live_now(self) -> int | None:
        row = await self.db.fetchone("SELECT value FROM settings WHERE key = ?", (LIVE_KEY,))
        return int(row["value"]) if row and row["value"] else None

    async def upcoming(self, limit: int, after_live: int | None) -> list[Submission]:
        """The next approved questions in the run order, the live one left out."""
        rows = await self.db.fetchall(_UPCOMING, (after_live, limit))
        return [submission_from_row(r) for r in rows]

    async def go_live(
        self,
        submission_id: int | None,
        expected: int | None,
        request_key: str,
        actor: Actor,
        now: datetime,
        messages: LiveMessages,
    ) -> LiveChange:
        """Put `submission_id` on air (None: the next in the run order), the previous one
        becoming answered, and queue what that owes, in one transaction.

        Refused when what is on air is not what the moderator acted on (`expected`), and a
        /next within a few seconds of another moderator's change: two moderators pressing
        /next for the same question must not skip the following one. `request_key` makes a
        replayed command a no-op, whatever came of it the first time.
        """
        stamp = format_timestamp(now)
        async with self.db.transaction() as conn:
            if await _handled(conn, request_key):
                return LiveChange(LiveOutcome.REPLAYED)
            last = await _last_change(conn)
            airing = await _log(conn, request_key, actor, stamp)
            if submission_id is None and last is not None:
                last_actor, last_at = last
                if last_actor != actor.user_id and now - last_at < timedelta(seconds=CROSSED_S):
                    return await _logged(conn, airing, LiveChange(LiveOutcome.MOVED_ON))
            change = await self._change(conn, submission_id, expected, airing, actor, now,
                                        messages)  # fmt: skip
            return await _logged(conn, airing, change)

    async def _change(
        self,
        conn: aiosqlite.Connection,
        submission_id: int | None,
        expected: int | None,
        airing: int,
        actor: Actor,
        now: datetime,
        messages: LiveMessages,
    ) -> LiveChange:
        stamp = format_timestamp(now)
        current = await _live_now(conn)
        if current != expected:
            return LiveChange(LiveOutcome.MOVED_ON)
        if submission_id is None:
            submission_id = await _next_in_order(conn, current)
        if submission_id is None:
            return await self._close_show(conn, current, airing, actor, now, messages)
        target = await _submission(conn, submission_id)
        if target is None:
            return LiveChange(LiveOutcome.NOT_FOUND)
        if submission_id == current:
            return LiveChange(LiveOutcome.ALREADY, target)
        if target.kind.value != "question":
            return LiveChange(LiveOutcome.NOT_A_QUESTION, target)
        if target.status not in LIVE_SOURCES:
            return LiveChange(LiveOutcome.WRONG_STATUS, target)
        previous = await _answer_previous(conn, current, submission_id, actor, stamp)
        live = await _approve_for_air(conn, target, actor, stamp)
        await _set_live(conn, submission_id)
        listeners = await audience_in(conn, submission_id)
        upcoming = await _upcoming(conn, BOARD_NEXT, submission_id)
        owed = messages(OnAir(airing, live, previous, listeners, upcoming))
        await queue_in_transaction(conn, owed, now)
        return LiveChange(LiveOutcome.LIVE, live, len(listeners))

    async def _close_show(
        self,
        conn: aiosqlite.Connection,
        current: int | None,
        airing: int,
        actor: Actor,
        now: datetime,
        messages: LiveMessages,
    ) -> LiveChange:
        """/next with nothing left: the one on air is answered, nothing is on air."""
        previous = await _answer_previous(conn, current, None, actor, format_timestamp(now))
        await _set_live(conn, None)
        owed = messages(OnAir(airing, None, previous, [], []))
        await queue_in_transaction(conn, owed, now)
        return LiveChange(LiveOutcome.NOTHING_NEXT)


async def _handled(conn: aiosqlite.Connection, request_key: str) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM live_log WHERE request_key = ?", (request_key,)
    )
    return bool(list(rows))


async def _log(conn: aiosqlite.Connection, request_key: str, actor: Actor, stamp: str) -> int:
    rows = list(
        await conn.execute_fetchall(
            "INSERT INTO live_log (request_key, actor_id, at) VALUES (?, ?, ?) RETURNING id",
            (request_key, actor.user_id, stamp),
        )
    )
    return int(rows[0][0])


async def _logged(conn: aiosqlite.Connection, airing: int, change: LiveChange) -> LiveChange:
    """Record what came of the command, on its log row."""
    live = change.live.id if change.live and change.outcome is LiveOutcome.LIVE else None
    await conn.execute_fetchall(
        "UPDATE live_log SET outcome = ?, submission_id = ? WHERE id = ?",
        (change.outcome.value, live, airing),
    )
    return change


async def _last_change(conn: aiosqlite.Connection) -> tuple[int, datetime] | None:
    """Who last changed what is on air, and when."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT actor_id, at FROM live_log WHERE outcome IN ('live', 'nothing_next')"
            " ORDER BY id DESC LIMIT 1"
        )
    )
    return (int(rows[0][0]), parse_timestamp(rows[0][1])) if rows else None


async def _submission(conn: aiosqlite.Connection, submission_id: int) -> Submission | None:
    rows = list(
        await conn.execute_fetchall("SELECT * FROM submissions WHERE id = ?", (submission_id,))
    )
    return submission_from_row(rows[0]) if rows else None


async def _upcoming(
    conn: aiosqlite.Connection, limit: int, after_live: int | None
) -> list[Submission]:
    rows = await conn.execute_fetchall(_UPCOMING, (after_live, limit))
    return [submission_from_row(r) for r in rows]


async def _live_now(conn: aiosqlite.Connection) -> int | None:
    rows = list(
        await conn.execute_fetchall("SELECT value FROM settings WHERE key = ?", (LIVE_KEY,))
    )
    return int(rows[0][0]) if rows and rows[0][0] else None


async def _set_live(conn: aiosqlite.Connection, submission_id: int | None) -> None:
    await conn.execute_fetchall(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (LIVE_KEY, "" if submission_id is None else str(submission_id)),
    )


async def _next_in_order(conn: aiosqlite.Connection, current: int | None) -> int | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT id FROM submissions WHERE status = 'approved' AND id != coalesce(?, 0)"
            " ORDER BY position LIMIT 1",
            (current,),
        )
    )
    return int(rows[0][0]) if rows else None


async def _answer_previous(
    conn: aiosqlite.Connection,
    current: int | None,
    replaced_by: int | None,
    actor: Actor,
    stamp: str,
) -> Submission | None:
    """The question that was on air is answered now (if it still was approved)."""
    if current is None:
        return None
    rows = list(
        await conn.execute_fetchall(
            "UPDATE submissions SET status = 'answered', position = NULL, decided_by = ?,"
            " decided_at = ? WHERE id = ? AND status = 'approved' RETURNING *",
            (actor.name, stamp, current),
        )
    )
    if not rows:
        return None
    reason = f"→ #{replaced_by}" if replaced_by else None
    await audit_in_transaction(
        conn, current, actor, "answered", (Status.APPROVED, Status.ANSWERED), reason, stamp
    )
    return submission_from_row(rows[0])


async def _approve_for_air(
    conn: aiosqlite.Connection, target: Submission, actor: Actor, stamp: str
) -> Submission:
    """On air means approved: it keeps its place in the run order, or gets the last one."""
    rows = list(
        await conn.execute_fetchall(
            "UPDATE submissions SET status = 'approved', review_claimed_by = NULL,"
            " review_claimed_until = NULL,"
            " decided_by = CASE WHEN status = 'approved' THEN decided_by ELSE ? END,"
            " decided_at = CASE WHEN status = 'approved' THEN decided_at ELSE ? END,"
            " position = coalesce(position,"
            "   (SELECT coalesce(max(position), 0) + 1 FROM submissions))"
            " WHERE id = ? RETURNING *",
            (actor.name, stamp, target.id),
        )
    )
    change = (target.status, Status.APPROVED) if target.status is not Status.APPROVED else None
    await audit_in_transaction(conn, target.id, actor, "live", change, None, stamp)
    return submission_from_row(rows[0])
