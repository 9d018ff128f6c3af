"""Languages detected and translations made, with the cache of translations by text hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.models import (
    ERASED_PARTICIPANT,
    TranslationJob,
    TranslationStatus,
    format_timestamp,
)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TranslationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due_translations(
        self, now: float, limit: int, exclude_ids: Sequence[int] = ()
    ) -> list[TranslationJob]:
        """Pending submissions whose next attempt is due, oldest first. The hint for language
        detection is the language the participant chose with /language, else Telegram's."""
        rows = await self.db.fetchall(
            "SELECT s.id, s.text, s.language, s.language_confidence, s.translation_attempts,"
            " coalesce(p.locale, p.language_code) AS hint FROM submissions AS s"
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
                hint=r["hint"],
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
            (engine, source, target, sha256_hex(text)),
        )
        return str(row["translation"]) if row else None

    async def cache_translation(
        self,
        engine: str,
        source: str,
        target: str,
        text: str,
        translation: str,
        now: datetime,
        about: int | None = None,
    ) -> None:
        """Cache a translation; `about` is the submission whose text (or translation) it is,
        so that erasure finds this row even after the text itself was edited away."""
        async with self.db.transaction() as conn:
            if about is not None and await _erased(conn, about):
                return  # erased while the engine was at work: its words are not written back
            await conn.execute_fetchall(
                "INSERT OR REPLACE INTO translation_cache"
                " (engine, source, target, text_sha256, translation, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (engine, source, target, sha256_hex(text), translation, format_timestamp(now)),
            )
            if about is not None:
                await _link(conn, about, text)

    async def link_cached(self, about: int, text: str) -> None:
        """A cached translation of `text` served submission `about` (see cache_translation)."""
        async with self.db.transaction() as conn:
            if not await _erased(conn, about):
                await _link(conn, about, text)


async def _link(conn: aiosqlite.Connection, about: int, text: str) -> None:
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO cache_links (submission_id, text_sha256) VALUES (?, ?)",
        (about, sha256_hex(text)),
    )


async def _erased(conn: aiosqlite.Connection, submission_id: int) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM submissions WHERE id = ? AND participant_id = ?",
        (submission_id, ERASED_PARTICIPANT),
    )
    return bool(list(rows))
