"""Figures: organizers' statistics and the queue depths health checks report."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.erasure import UNFLUSHED_KEY
from storage.models import (
    parse_timestamp,
)

_WORKER_KEY = "worker:"


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
    # When an erasure happened whose old pages may still be in the -wal file (None: none).
    erasure_unflushed_since: str | None = None


class StatisticsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
            "   AS oldest_translation,"
            " (SELECT value FROM settings WHERE key = ?) AS unflushed",
            (UNFLUSHED_KEY,),
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
            erasure_unflushed_since=row["unflushed"],
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

    async def record_worker_state(self, name: str, state: str) -> None:
        """A worker started or stopped failing (`state` is JSON), for `stats --ops`."""
        await self.db.fetchall(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_WORKER_KEY + name, state),
        )

    async def worker_states(self) -> dict[str, str]:
        """The last recorded state of each worker, as JSON, by name."""
        rows = await self.db.fetchall(
            "SELECT key, value FROM settings WHERE key LIKE ?", (_WORKER_KEY + "%",)
        )
        return {str(r["key"])[len(_WORKER_KEY) :]: str(r["value"]) for r in rows}
