"""Browsing and voting: the questions moderators made public, and participants' upvotes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.db import Database
from storage.models import Kind, Submission, format_timestamp, submission_from_row


class Sort(StrEnum):
    VOTES = "votes"
    NEWEST = "newest"


class VoteOutcome(StrEnum):
    ADDED = "added"  # the vote counts (now, or already did)
    REMOVED = "removed"  # no vote (taken back now, or there was none)
    OWN = "own"  # one's own question: not voted
    NOT_PUBLIC = "not_public"  # gone, or not (or no longer) among the public ones


@dataclass(frozen=True, slots=True)
class PublicItem:
    submission: Submission
    voted: bool  # by the viewer


@dataclass(frozen=True, slots=True)
class Vote:
    outcome: VoteOutcome
    votes: int
    changed: bool = False  # False: it already was so (a double tap, a replayed press)


_ORDER = {Sort.VOTES: "votes DESC, id DESC", Sort.NEWEST: "id DESC"}


class VoteStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def public_page(
        self, statuses: Sequence[str], sort: Sort, offset: int, limit: int, viewer: int
    ) -> tuple[list[PublicItem], int]:
        """A page of public questions, and how many there are."""
        wanted = json.dumps(list(statuses))
        rows = await self.db.fetchall(
            "SELECT s.*, EXISTS (SELECT 1 FROM votes AS v WHERE v.submission_id = s.id"
            " AND v.voter_id = ?) AS voted,"
            " (SELECT count(*) FROM submissions WHERE kind = ? AND status IN"
            "  (SELECT value FROM json_each(?))) AS total"
            " FROM submissions AS s WHERE s.kind = ? AND s.status IN"
            " (SELECT value FROM json_each(?))"
            f" ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?",
            (viewer, Kind.QUESTION, wanted, Kind.QUESTION, wanted, limit, offset),
        )
        total = int(rows[0]["total"]) if rows else 0
        return [PublicItem(submission_from_row(r), bool(r["voted"])) for r in rows], total

    async def set_vote(
        self, submission_id: int, voter: int, vote: bool, statuses: Sequence[str], now: datetime
    ) -> Vote:
        """Vote for a public question (`vote`) or take the vote back: the press says which, so
        pressing twice, or the same press handled twice, counts once."""
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT participant_id, kind, status, votes FROM submissions WHERE id = ?",
                    (submission_id,),
                )
            )
            if not rows or rows[0][1] != Kind.QUESTION or rows[0][2] not in statuses:
                return Vote(VoteOutcome.NOT_PUBLIC, int(rows[0][3]) if rows else 0)
            if int(rows[0][0]) == voter:
                return Vote(VoteOutcome.OWN, int(rows[0][3]))
            if vote:
                changed = list(
                    await conn.execute_fetchall(
                        "INSERT INTO votes (submission_id, voter_id, created_at) VALUES (?, ?, ?)"
                        " ON CONFLICT DO NOTHING RETURNING 1",
                        (submission_id, voter, format_timestamp(now)),
                    )
                )
            else:
                changed = list(
                    await conn.execute_fetchall(
                        "DELETE FROM votes WHERE submission_id = ? AND voter_id = ? RETURNING 1",
                        (submission_id, voter),
                    )
                )
            outcome = VoteOutcome.ADDED if vote else VoteOutcome.REMOVED
            if not changed:
                return Vote(outcome, int(rows[0][3]))
            counted = list(
                await conn.execute_fetchall(
                    "UPDATE submissions SET votes = votes + ? WHERE id = ? RETURNING votes",
                    (1 if vote else -1, submission_id),
                )
            )
        return Vote(outcome, int(counted[0][0]), changed=True)
