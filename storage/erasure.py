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
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class DeliveredCopy:
    """A message delivered that showed an erased submission, and how its chat reads: the
    participant's choice and Telegram language in a private chat, a party's language in its
    group (all None elsewhere: the moderators' group reads the working language)."""

    outbox_id: int
    chat_id: int
    message_id: int | None  # None: still on the wire; then message_ref names its send
    message_ref: str | None
    locale_choice: str | None
    language_code: str | None


# The edit that makes a delivered copy show the erased notice instead (see DeliveredCopy).
CopyEdit = Callable[[DeliveredCopy], OutboxMessage]


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


async def _erase_outbox(
    conn: aiosqlite.Connection, ids: Sequence[int], texts: list[str]
) -> list[DeliveredCopy]:
    """Messages not yet delivered that show them (they all write `#<id>`), or quote their
    words, will not be sent; delivered and failed ones keep no text already. One on the wire
    stays `sending` (emptied) until its request ends: returned, so that, once delivered, it
    is edited to the erased notice in turn (an edit queued behind it, in its chat's order)."""
    patterns = [_references(i) for i in ids]
    fragments = [_quoted_fragment(t) for t in texts]
    rows = await conn.execute_fetchall(
        "SELECT o.id, o.payload, o.state, o.chat_id, o.dedup_key, o.method, p.locale,"
        " p.language_code, g.locale FROM outbox AS o"
        " LEFT JOIN participants AS p ON p.user_id = o.chat_id"
        " LEFT JOIN parties AS g ON g.chat_id = o.chat_id WHERE o.payload != '{}'"
    )
    doomed = [
        r
        for r in rows
        if any(p.search(str(r[1])) for p in patterns)
        or any(f and f in str(r[1]) for f in fragments)
    ]
    await conn.execute_fetchall(
        "UPDATE outbox SET payload = '{}', state = CASE WHEN state IN ('sent', 'sending')"
        " THEN state ELSE 'failed' END, last_error = 'erased'"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([int(r[0]) for r in doomed]),),
    )
    return [
        _copy(r[0], r[3], None, r[4], r[6], r[7], r[8])
        for r in doomed
        # A moderators' post on the wire gets its own edit (post_edits), as delivered ones do.
        if r[2] == "sending"
        and r[4] is not None
        and r[5] == "send_message"
        and not str(r[4]).startswith("post:")
    ]


def _copy(
    outbox_id: int,
    chat_id: int,
    message_id: int | None,
    message_ref: str | None,
    choice: str | None,
    code: str | None,
    party_locale: str | None,
) -> DeliveredCopy:
    """A DeliveredCopy from a row's values: a party's group reads the party's language."""
    if party_locale:
        return DeliveredCopy(outbox_id, chat_id, message_id, message_ref, party_locale, None)
    return DeliveredCopy(outbox_id, chat_id, message_id, message_ref, choice or None, code)


def _quoted_fragment(text: str) -> str:
    """A piece of the text as a message payload holds it (HTML-escaped, in a JSON string):
    the first 24 characters of its first line, enough to be theirs and short enough to be in
    any snippet."""
    flat = " ".join(text.split())[:24].strip()
    if len(flat) < 8:  # too short to tell theirs from anyone's
        return ""
    return json.dumps(html.escape(flat, quote=False), ensure_ascii=False)[1:-1]


async def _delivered_copies(conn: aiosqlite.Connection, ids_json: str) -> list[DeliveredCopy]:
    """Messages delivered that showed these submissions (outbox.mentions), one per message,
    the moderators' posts aside (their own edit shows the erased notice with what remains).
    Read before the submissions are erased (their chat ids are still there)."""
    rows = await conn.execute_fetchall(
        "SELECT min(o.id), o.chat_id, o.result_message_id, p.locale, p.language_code,"
        " g.locale FROM outbox AS o"
        " LEFT JOIN participants AS p ON p.user_id = o.chat_id"
        " LEFT JOIN parties AS g ON g.chat_id = o.chat_id"
        " WHERE o.mentions IS NOT NULL AND o.state = 'sent' AND o.result_message_id IS NOT NULL"
        " AND o.method IN ('send_message', 'edit_message_text')"
        " AND coalesce(o.dedup_key, '') NOT LIKE 'post:%'"
        " AND coalesce(o.coalesce_key, '') NOT LIKE 'postedit:%'"
        # Not in the asker's own chat: an outbox row for it would be one more record of it
        # after the erasure; what they sent is beside those messages, theirs to delete.
        " AND o.chat_id NOT IN (SELECT chat_id FROM submissions"
        "  WHERE id IN (SELECT value FROM json_each(?1)))"
        " AND EXISTS (SELECT 1 FROM json_each(o.mentions)"
        "  WHERE value IN (SELECT value FROM json_each(?1)))"
        " GROUP BY o.chat_id, o.result_message_id",
        (ids_json,),
    )
    return [_copy(r[0], r[1], r[2], None, r[3], r[4], r[5]) for r in rows]


async def erase_submissions(
    conn: aiosqlite.Connection,
    where: str,
    params: tuple[object, ...],
    now: datetime,
    post_edits: PostEdits | None = None,
    copy_edit: CopyEdit | None = None,
) -> list[int]:
    """Erase the submissions matching `where` (a constant SQL condition) and every copy of
    their words, in the caller's transaction; returns their ids. With `copy_edit`, the
    messages already delivered that showed them are edited to the erased notice too."""
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
    asker_chats = {
        int(r[0])
        for r in await conn.execute_fetchall(
            "SELECT DISTINCT chat_id FROM submissions"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (ids_json,),
        )
    }
    in_flight = await _erase_outbox(conn, ids, texts)
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
    copies = await _delivered_copies(conn, ids_json) if copy_edit is not None else []
    # Not in the asker's own chat (see _delivered_copies).
    copies += [c for c in in_flight if c.chat_id not in asker_chats]
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
    edits: list[OutboxMessage] = []
    if post_edits is not None:
        # The moderators' posts show the erased notice: queued with the erasure itself.
        edits = [e for row in erased for e in post_edits(submission_from_row(row))]
    if copy_edit is not None:
        edits += [copy_edit(copy) for copy in copies]
    await queue_in_transaction(conn, edits, now)
    await conn.execute_fetchall(
        "UPDATE outbox SET mentions = NULL WHERE mentions IS NOT NULL AND EXISTS (SELECT 1"
        " FROM json_each(mentions) WHERE value IN (SELECT value FROM json_each(?)))",
        (ids_json,),
    )
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
