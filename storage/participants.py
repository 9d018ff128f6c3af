"""Participants: who wrote (id, app language, chosen locale, pseudonym), and erasure."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from storage.db import Database
from storage.erasure import (
    ERASED_PARTICIPANT,
    UNFLUSHED_KEY,
    CopyEdit,
    PostEdits,
    erase_submissions,
)
from storage.errors import StorageError
from storage.models import (
    format_timestamp,
)

# Everyone's locale choice is held in memory, read once: it is looked up for every update
# (a newcomer's first question included, which would otherwise cost a query to find no
# choice), changed rarely, and only through this class (the bot is the one writer), so the
# copy cannot go stale. Only those who chose are held: a few bytes each.


# Someone who writes again: their Telegram language as it is now; reachable again.
_REFRESH = (
    "ON CONFLICT (user_id) DO UPDATE SET language_code = excluded.language_code,"
    " blocked_at = NULL, locale = coalesce(excluded.locale, participants.locale)"
)


async def upsert_participant(
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
                f" VALUES (?, ?, ?, ?, ?) {_REFRESH}",
                (user_id, language_code, locale, _new_pseudonym(), format_timestamp(now)),
            )
            return
        except sqlite3.IntegrityError:
            continue
    raise StorageError("could not allocate a unique pseudonym")


async def upsert_participants(
    conn: aiosqlite.Connection, facts: Sequence[dict[str, Any]], only_if: str
) -> None:
    """`upsert_participant` (no locale) for several people in one statement, each written only
    where `only_if` holds: an SQL condition (a constant of the caller's, never input) on that
    person's entry of `facts`, a JSON object read as `j.value`. Each entry carries the
    participant as "u", their Telegram language as "l" and the time as "t" (a timestamp)."""
    for _ in range(3):  # a pseudonym collision (1 in 10^12) retries with other ones
        people = [{**entry, "p": _new_pseudonym()} for entry in facts]
        try:
            await conn.execute_fetchall(
                "INSERT INTO participants (user_id, language_code, locale, pseudonym, created_at)"
                " SELECT json_extract(j.value, '$.u'), json_extract(j.value, '$.l'), NULL,"
                " json_extract(j.value, '$.p'), json_extract(j.value, '$.t')"
                f" FROM json_each(?) AS j WHERE {only_if} {_REFRESH}",
                (json.dumps(people, ensure_ascii=False),),
            )
            return
        except sqlite3.IntegrityError:
            continue
    raise StorageError("could not allocate a unique pseudonym")


def _new_pseudonym() -> str:
    # Stable per participant within one database, meaningless outside it.
    return "P-" + secrets.token_hex(5).upper()


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


class ParticipantStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._locale_choices: dict[int, str] | None = None  # None: not read yet
        self._choices_changed = 0  # a read that overlapped a change is not kept
        self._reading_choices = asyncio.Lock()

    async def register_participant(
        self, user_id: int, language_code: str | None, now: datetime
    ) -> None:
        """Someone started the bot: kept (id and app language only) so announcements reach
        them too."""
        async with self.db.transaction() as conn:
            await upsert_participant(conn, user_id, language_code, now)

    async def mark_unreachable(self, user_id: int, now: datetime) -> None:
        """Telegram refused a message to this participant for good (blocked, deleted)."""
        await self.db.fetchall(
            "UPDATE participants SET blocked_at = ? WHERE user_id = ?",
            (format_timestamp(now), user_id),
        )

    async def locale_choice(self, user_id: int) -> str | None:
        """The locale the participant chose, if any (None also for unknown participants)."""
        choices = self._locale_choices
        if choices is None:
            async with self._reading_choices:  # a burst of first questions reads it once
                choices = self._locale_choices
                if choices is None:
                    changes = self._choices_changed
                    rows = await self.db.fetchall(
                        "SELECT user_id, locale FROM participants WHERE locale IS NOT NULL"
                    )
                    choices = {int(row["user_id"]): str(row["locale"]) for row in rows}
                    if changes == self._choices_changed:
                        self._locale_choices = choices
        return choices.get(user_id)

    def _choice_changed(self, user_id: int | None, locale: str | None) -> None:
        """Keep the copy in step with a write (`user_id` None: several participants changed,
        read them all again)."""
        self._choices_changed += 1
        if self._locale_choices is None:
            return
        if user_id is None:
            self._locale_choices = None
        elif locale is None:
            self._locale_choices.pop(user_id, None)
        else:
            self._locale_choices[user_id] = locale

    async def set_locale_choice(
        self, user_id: int, language_code: str | None, locale: str, now: datetime
    ) -> None:
        """Remember the participant's language (creating the participant on a first act)."""
        async with self.db.transaction() as conn:
            await upsert_participant(conn, user_id, language_code, now, locale)
        self._choice_changed(user_id, locale)

    async def erase_participant(
        self,
        user_id: int,
        now: datetime,
        post_edits: PostEdits | None = None,
        copy_edit: CopyEdit | None = None,
    ) -> list[int]:
        """Erase what we keep of a participant: every copy of their words (storage/erasure.py),
        their Telegram id and language, the messages and raw updates about them, with the
        edits of the moderators' posts (and, with `copy_edit`, of every message delivered
        elsewhere that showed their questions), in one transaction. Returns the erased submissions'
        ids. What remains (kind, status, language, times) is anonymous, so statistics stay
        honest. Then the WAL is checkpointed and truncated, so the old pages leave the files
        too (with secure_delete, freed pages are zeroed); if a reader holds it back, the
        erasure stays marked unflushed until `flush_erasures()` succeeds."""
        async with self.db.transaction() as conn:
            erased = await erase_submissions(
                conn, "participant_id = ?", (user_id,), now, post_edits, copy_edit
            )
            await _forget_participant_traces(conn, user_id)
        self._choice_changed(user_id, None)
        await self.flush_erasures()
        return erased

    async def purge_older_than(
        self,
        cutoff: datetime,
        now: datetime | None = None,
        post_edits: PostEdits | None = None,
    ) -> int:
        """Erase every submission received before `cutoff` as `erase_participant` does, and
        the participants who sent nothing since. Returns how many submissions were erased."""
        stamp = format_timestamp(cutoff)
        now = now or datetime.now(UTC)
        async with self.db.transaction() as conn:
            erased = len(
                await erase_submissions(conn, "created_at < ?", (stamp,), now, post_edits)
            )
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
        self._choice_changed(None, None)
        await self.flush_erasures()
        return erased

    async def unflushed_since(self) -> str | None:
        """When an erasure whose old pages may still be in the -wal file happened (None: all
        flushed)."""
        row = await self.db.fetchone("SELECT value FROM settings WHERE key = ?", (UNFLUSHED_KEY,))
        return str(row["value"]) if row else None

    async def flush_erasures(self) -> bool:
        """Checkpoint and truncate the WAL; True once erased words are gone from every file.

        A reader's open snapshot (an export, an operator's sqlite3 shell) holds the WAL back:
        then nothing is truncated and the erasure stays marked, for a retry. So do updates
        that were in hand at the moment of erasure (a moderator's command quoting them): once
        handled they are deleted, and that deletion must reach the files too."""
        since = await self.unflushed_since()
        if since is not None:
            in_hand = await self.db.fetchone(
                "SELECT 1 FROM inbox WHERE received_at <= ? LIMIT 1", (since,)
            )
            if in_hand is not None:
                return False
        if not await self.db.checkpoint():
            return False
        await self.db.fetchall("DELETE FROM settings WHERE key = ?", (UNFLUSHED_KEY,))
        await self.db.checkpoint()  # the flag's own page, out of the -wal too
        return True
