"""The write-ahead inbox: raw updates committed before Telegram is told they arrived,
and the offset that confirms them, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from storage.db import Database
from storage.models import (
    InboxUpdate,
    format_timestamp,
)

_OFFSET_KEY = "telegram_offset"


_SEEN_UPDATES_S = 2 * 24 * 3600


class InboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
