"""Erasure that finds every copy of what a participant wrote.

Where a participant's words can be, besides the submission row: the translation cache
(keyed by the hash of the text translated, so reached through `cache_links` and through the
hashes of the texts and translations themselves, to a fixed point), the outbox (posts,
review cards, /show replies, queue pages, the live board: any message not yet sent or that
failed), the audit log's reasons, written answers, votes, similarity links, merge links,
and raw updates in the inbox. All of it goes in the caller's transaction, together with the
edits that turn the moderators' posts into the erased notice, so a crash cannot leave half.

What stays of an erased submission is anonymous: kind, status, language, times.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime

import aiosqlite

from storage.models import (
    ERASED_PARTICIPANT as ERASED_PARTICIPANT,
)
from storage.models import OutboxMessage, Submission, format_timestamp, submission_from_row
from storage.outbox import queue_in_transaction
from storage.translations import sha256_hex

# Bumped by every erasure: in-memory copies (the similarity index) reload when it moves,
# whichever process erased (the bot, or `townhall-bot purge` beside it).
ERASURE_EPOCH_KEY = "erasure_epoch"
# Set by an erasure until a WAL checkpoint really truncated the -wal file.
UNFLUSHED_KEY = "erasure_unflushed_since"
_CACHE_HOPS = 4  # text -> translation -> a reader's translation of it -> ...

PostEdits = Callable[[Submission], list[OutboxMessage]]


def _references(submission_id: int) -> re.Pattern[str]:
    """`#12` as messages write it, and not `#123`."""
    return re.compile(rf"#{submission_id}(?!\d)")


async def _ids_where(
    conn: aiosqlite.Connection, where: str, params: tuple[object, ...]
) -> list[int]:
    rows = await conn.execute_fetchall(
        f"SELECT id FROM submissions WHERE {where} AND participant_id != ?",
        (*params, ERASED_PARTICIPANT),
    )
    return [int(r[0]) for r in rows]


async def _texts_of(conn: aiosqlite.Connection, ids_json: str) -> list[str]:
    """Every text of theirs we hold: originals, translations, reasons, written answers."""
    rows = await conn.execute_fetchall(
        "SELECT text FROM submissions WHERE id IN (SELECT value FROM json_each(?))"
        " UNION ALL SELECT translation FROM submissions"
        "  WHERE id IN (SELECT value FROM json_each(?)) AND translation IS NOT NULL"
        " UNION ALL SELECT reason FROM submissions"
        "  WHERE id IN (SELECT value FROM json_each(?)) AND reason IS NOT NULL"
        " UNION ALL SELECT reason FROM audit_log"
        "  WHERE submission_id IN (SELECT value FROM json_each(?)) AND reason IS NOT NULL"
        " UNION ALL SELECT text FROM answers"
        "  WHERE submission_id IN (SELECT value FROM json_each(?))",
        (ids_json,) * 5,
    )
    return [str(r[0]) for r in rows if r[0]]


async def _erase_cache(conn: aiosqlite.Connection, ids_json: str, texts: list[str]) -> None:
    """Cache rows reachable from any of their texts or translations, in any language, by
    any engine: the linked hashes and the texts' own, then the hashes of what those rows
    hold (a translation of a translation), until nothing new is found."""
    linked = await conn.execute_fetchall(
        "SELECT text_sha256 FROM cache_links"
        " WHERE submission_id IN (SELECT value FROM json_each(?))",
        (ids_json,),
    )
    frontier = {str(r[0]) for r in linked} | {sha256_hex(t) for t in texts}
    seen: set[str] = set()
    for _ in range(_CACHE_HOPS):
        frontier -= seen
        if not frontier:
            break
        seen |= frontier
        hashes = json.dumps(sorted(frontier))
        found = await conn.execute_fetchall(
            "DELETE FROM translation_cache WHERE text_sha256 IN (SELECT value FROM json_each(?))"
            " RETURNING translation",
            (hashes,),
        )
        frontier = {sha256_hex(str(r[0])) for r in found}
    await conn.execute_fetchall(
        "DELETE FROM cache_links WHERE submission_id IN (SELECT value FROM json_each(?))",
        (ids_json,),
    )


async def _erase_outbox(conn: aiosqlite.Connection, ids: Sequence[int], texts: list[str]) -> None:
    """Messages not yet delivered that show them (they all write `#<id>`), or quote their
    words, will not be sent; delivered and failed ones keep no text already."""
    patterns = [_references(i) for i in ids]
    fragments = [_quoted_fragment(t) for t in texts]
    rows = await conn.execute_fetchall("SELECT id, payload FROM outbox WHERE payload != '{}'")
    doomed = [
        int(r[0])
        for r in rows
        if any(p.search(str(r[1])) for p in patterns)
        or any(f and f in str(r[1]) for f in fragments)
    ]
    await conn.execute_fetchall(
        "UPDATE outbox SET payload = '{}', state = CASE WHEN state = 'sent' THEN 'sent'"
        " ELSE 'failed' END, last_error = 'erased'"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(doomed),),
    )


def _quoted_fragment(text: str) -> str:
    """A piece of the text as a message payload holds it (HTML-escaped, in a JSON string):
    the first 24 characters of its first line, enough to be theirs and short enough to be in
    any snippet."""
    flat = " ".join(text.split())[:24].strip()
    if len(flat) < 8:  # too short to tell theirs from anyone's
        return ""
    return json.dumps(html.escape(flat, quote=False), ensure_ascii=False)[1:-1]


async def erase_submissions(
    conn: aiosqlite.Connection,
    where: str,
    params: tuple[object, ...],
    now: datetime,
    post_edits: PostEdits | None = None,
) -> list[int]:
    """Erase the submissions matching `where` (a constant SQL condition) and every copy of
    their words, in the caller's transaction; returns their ids."""
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO participants (user_id, pseudonym, created_at)"
        " VALUES (?, 'P-ERASED', '1970-01-01T00:00:00Z')",
        (ERASED_PARTICIPANT,),
    )
    ids = await _ids_where(conn, where, params)
    if not ids:
        return []
    ids_json = json.dumps(ids)
    texts = await _texts_of(conn, ids_json)
    await _erase_cache(conn, ids_json, texts)
    await _erase_outbox(conn, ids, texts)
    for sql in (
        "UPDATE audit_log SET reason = NULL"
        " WHERE submission_id IN (SELECT value FROM json_each(?))",
        "UPDATE answers SET text = '' WHERE submission_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM similar WHERE submission_id IN (SELECT value FROM json_each(?))"
        " OR other_id IN (SELECT value FROM json_each(?1))",
        # Their voters' link to them goes too; the count stays for honest statistics.
        "DELETE FROM votes WHERE submission_id IN (SELECT value FROM json_each(?))",
    ):
        await conn.execute_fetchall(sql, (ids_json,))
    # chat_id/message_id become negative placeholders: unique, and no longer a Telegram id.
    # One still waiting for its translation has nothing left to translate: left pending, the
    # worker would try it again and again, forever, each "nothing to translate" counted as
    # an engine failure by the breaker that pauses everyone's translations.
    erased = await conn.execute_fetchall(
        "UPDATE submissions SET text = '', translation = NULL, reason = NULL,"
        " translation_error = NULL, similar_to = NULL, merged_into = NULL,"
        " translation_reviewed_by = NULL, translation_status = CASE translation_status"
        "  WHEN 'pending' THEN 'not_needed' ELSE translation_status END,"
        " participant_id = ?, chat_id = -id, message_id = -id"
        " WHERE id IN (SELECT value FROM json_each(?)) RETURNING *",
        (ERASED_PARTICIPANT, ids_json),
    )
    if post_edits is not None:
        # The moderators' posts show the erased notice: queued with the erasure itself.
        edits = [e for row in erased for e in post_edits(submission_from_row(row))]
        await queue_in_transaction(conn, edits, now)
    await conn.execute_fetchall(
        "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key)"
        " DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        (ERASURE_EPOCH_KEY,),
    )
    await conn.execute_fetchall(
        "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
        (UNFLUSHED_KEY, format_timestamp(now)),
    )
    return ids
