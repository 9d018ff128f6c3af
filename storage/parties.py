"""Viewing parties: group chats (an embassy, a consulate, a community hub) registered by an
organizer, each with a place and the language the bot speaks there."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.models import format_timestamp


@dataclass(frozen=True, slots=True)
class Party:
    id: int  # short and stable: what moderators filter by (/queue party:3)
    chat_id: int
    place: str
    locale: str


class PartyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def register(
        self,
        chat_id: int,
        place: str,
        locale: str,
        organizer: int,
        now: datetime,
        request_key: str,
    ) -> tuple[Party, bool]:
        """Register the group, or rename its place; True when it is new. A renamed party keeps
        its number and language; questions already asked keep the place they were asked from.

        New means registered by this very request (`request_key`, kept on the row): the
        command replayed is still the one that registered the group, and any other /party
        there, however soon after, renames it."""
        rows = await self.db.fetchall(
            "INSERT INTO parties (chat_id, place, locale, registered_by, registered_at,"
            " request_key) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET place = excluded.place"
            " RETURNING id, chat_id, place, locale, request_key IS ? AS new",
            (chat_id, place, locale, organizer, format_timestamp(now), request_key, request_key),
        )
        row = rows[0]
        return Party(row["id"], row["chat_id"], row["place"], row["locale"]), bool(row["new"])

    async def set_locale(self, chat_id: int, locale: str) -> Party | None:
        rows = await self.db.fetchall(
            "UPDATE parties SET locale = ? WHERE chat_id = ? RETURNING id, chat_id, place, locale",
            (locale, chat_id),
        )
        return _party(rows[0]) if rows else None

    async def of_chat(self, chat_id: int) -> Party | None:
        row = await self.db.fetchone(
            "SELECT id, chat_id, place, locale FROM parties WHERE chat_id = ?", (chat_id,)
        )
        return _party(row) if row else None

    async def all(self) -> list[tuple[Party, int]]:
        """Every party with how many submissions it sent."""
        rows = await self.db.fetchall(
            "SELECT p.id, p.chat_id, p.place, p.locale,"
            " (SELECT count(*) FROM submissions AS s WHERE s.party_id = p.id) AS asked"
            " FROM parties AS p ORDER BY p.id"
        )
        return [(_party(r), int(r["asked"])) for r in rows]

    async def party_locale(self, party_id: int) -> str | None:
        """A viewing party's language now (an organizer may have changed it since)."""
        row = await self.db.fetchone("SELECT locale FROM parties WHERE id = ?", (party_id,))
        return str(row["locale"]) if row else None


def _party(row: sqlite3.Row) -> Party:
    return Party(int(row["id"]), int(row["chat_id"]), str(row["place"]), str(row["locale"]))
