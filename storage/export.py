"""The export's rows, streamed by keyset from a read-only connection (synchronous: the CLI
and the in-chat export read it in a thread), memory flat at any size.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

# Column name -> SQL expression, in the export's order. The first seven are the contract.
SUBMISSION_COLUMNS: dict[str, str] = {
    "id": "s.id",
    "kind": "s.kind",
    "status": "s.status",
    "language": "s.language",
    "text": "s.text",
    "translation": "s.translation",
    "submitted_at": "s.created_at",
    "language_confidence": "s.language_confidence",
    "translation_engine": "s.translation_engine",
    "topic": "s.topic",
    "position": "s.position",
    "votes": "s.votes",
    "merged_into": "s.merged_into",
    "party": "s.party_id",
    "place": "s.party_place",
    "translation_reviewed": "CASE WHEN s.translation_reviewed_by IS NULL THEN 'no' ELSE 'yes' END",
    "answer": "(SELECT a.text FROM answers AS a WHERE a.submission_id = s.id"
    " ORDER BY a.id DESC LIMIT 1)",
    "participant": "p.pseudonym",
    "decided_by": "s.decided_by",
    "decided_at": "s.decided_at",
    "reason": "s.reason",
    "locale": "s.locale",
    "translation_status": "s.translation_status",
    "translated_at": "s.translated_at",
}


AUDIT_COLUMNS: dict[str, str] = {
    "id": "id",
    "submission_id": "submission_id",
    "actor": "actor_name",
    "action": "action",
    "from_status": "from_status",
    "to_status": "to_status",
    "reason": "reason",
    "at": "at",
}


@dataclass(frozen=True, slots=True)
class ExportFilter:
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    # Telegram user ids instead of pseudonyms: only when an organizer asks for them.
    with_identities: bool = False


ExportRow = tuple[object, ...]  # values in the order of the columns


def iter_export_rows(
    conn: sqlite3.Connection, where: ExportFilter = ExportFilter(), chunk: int = 5000
) -> Iterator[ExportRow]:
    """Every matching submission in id order (values in SUBMISSION_COLUMNS order), read in
    chunks by keyset: memory stays flat."""
    columns = dict(SUBMISSION_COLUMNS)
    if where.with_identities:
        columns["participant"] = "CAST(s.participant_id AS TEXT)"
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in columns.items())
    clauses: list[str] = ["s.id > ?"]
    params: list[object] = []
    if where.statuses:
        clauses.append("s.status IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(where.statuses)))
    if where.kind:
        clauses.append("s.kind = ?")
        params.append(where.kind)
    sql = (
        f"SELECT {select} FROM submissions AS s"
        " JOIN participants AS p ON p.user_id = s.participant_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY s.id LIMIT ?"
    )
    yield from _keyset(conn, sql, params, chunk)


def iter_audit_rows(conn: sqlite3.Connection, chunk: int = 5000) -> Iterator[ExportRow]:
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in AUDIT_COLUMNS.items())
    sql = f"SELECT {select} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"
    yield from _keyset(conn, sql, [], chunk)


def _keyset(
    conn: sqlite3.Connection, sql: str, params: list[object], chunk: int
) -> Iterator[ExportRow]:
    """Pages by the first column (the id). Plain tuples: a dict per row costs more than
    everything else an export does."""
    cursor = conn.cursor()
    cursor.row_factory = None
    last_id = 0
    while True:
        rows = cursor.execute(sql, (last_id, *params, chunk)).fetchall()
        if not rows:
            return
        yield from rows
        last_id = int(rows[-1][0])
