"""What the on-air screen and the host's run order show, and the secrets in their links."""

from __future__ import annotations

import secrets
from enum import StrEnum

from storage.db import Database
from storage.erasure import ERASED_PARTICIPANT
from storage.live import LIVE_KEY
from storage.models import Status, Submission, submission_from_row

RUN_ORDER_LIMIT = 200  # a host reads a few dozen; the page stays light at any size


class Page(StrEnum):
    """The two pages; each has its own secret, so a link to one does not open the other."""

    SCREEN = "screen"
    ORDER = "order"


def _key(page: Page) -> str:
    return f"{page.value}_secret"


class ScreenStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def secret(self, page: Page) -> str:
        """The page's secret, made on first use."""
        row = await self.db.fetchone("SELECT value FROM settings WHERE key = ?", (_key(page),))
        if row is not None:
            return str(row["value"])
        await self.db.fetchall(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
            (_key(page), secrets.token_urlsafe(18)),
        )
        return await self.secret(page)

    async def rotate(self) -> dict[Page, str]:
        """New secrets for both pages: the old links stop working."""
        fresh = {page: secrets.token_urlsafe(18) for page in Page}
        async with self.db.transaction() as conn:
            for page, value in fresh.items():
                await conn.execute_fetchall(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (_key(page), value),
                )
        return fresh

    async def on_air(self) -> Submission | None:
        """The question on air, if there is one that can be shown: one marked answered,
        erased, withdrawn or merged while on air is not (the screen goes idle)."""
        row = await self.db.fetchone(
            "SELECT s.* FROM settings AS k"
            " JOIN submissions AS s ON s.id = CAST(k.value AS INTEGER)"
            " WHERE k.key = ? AND k.value != '' AND s.participant_id != ? AND s.text != ''"
            " AND s.status = ?",
            (LIVE_KEY, ERASED_PARTICIPANT, Status.APPROVED),
        )
        return submission_from_row(row) if row else None

    async def run_order(self) -> list[Submission]:
        """The approved questions in the run order (the one on air among them)."""
        rows = await self.db.fetchall(
            "SELECT * FROM submissions WHERE status = ? AND text != '' AND participant_id != ?"
            " ORDER BY position, id LIMIT ?",
            (Status.APPROVED, ERASED_PARTICIPANT, RUN_ORDER_LIMIT),
        )
        return [submission_from_row(r) for r in rows]
