"""The export's rows, streamed by keyset from a read-only connection (synchronous: the CLI
and the in-chat export read it in a thread), memory flat at any size.

Two ways to read them. `iter_rows` gives tuples of values. `iter_rendered` gives each row
already rendered by SQLite, as UTF-8 bytes, a page at a time: a JSON object, or a CSV line or
an XLSX row whose texts are marked out, raw, for bot/services/export.py to escape a page at a
time. SQLite's printf() and json_object() build a row in C; making two dozen Python objects
per row and formatting them in Python cost most of an export's time.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

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
    "answer": "a.text",  # the latest written answer (see _SUBMISSION_TABLES)
    "participant": "p.pseudonym",
    "decided_by": "s.decided_by",
    "decided_at": "s.decided_at",
    "reason": "s.reason",
    "locale": "s.locale",
    "translation_status": "s.translation_status",
    "translated_at": "s.translated_at",
}
_SUBMISSION_TABLES = (
    "submissions AS s JOIN participants AS p ON p.user_id = s.participant_id"
    # At most one answer per row (a.id is the key): the latest, as a join rather than a
    # subquery in the column, which a rendered row would evaluate once per mention.
    " LEFT JOIN answers AS a"
    " ON a.id = (SELECT max(l.id) FROM answers AS l WHERE l.submission_id = s.id)"
)
# The columns that hold only text or NULL: declared TEXT in the schema, or a text expression.
# Any other column is written by the type of its value: in CSV a number bare, text quoted.
_SUBMISSION_TEXT = frozenset(SUBMISSION_COLUMNS) - {
    "id",
    "language_confidence",
    "position",
    "votes",
    "merged_into",
    "party",
}
# Text the bot writes itself: codes, times, the ids of the event file's topics, pseudonyms (or
# user ids). It never holds a NUL character, so rows are not searched for one there (see
# _holds_nul). Any other text column is: people's words, names, a translator's output.
_SUBMISSION_CODED = frozenset(
    {
        "kind",
        "status",
        "language",
        "submitted_at",
        "translation_engine",
        "topic",
        "translation_reviewed",
        "participant",
        "decided_at",
        "locale",
        "translation_status",
        "translated_at",
    }
)


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
_AUDIT_TEXT = frozenset(AUDIT_COLUMNS) - {"id", "submission_id"}
_AUDIT_CODED = frozenset({"action", "from_status", "to_status", "at"})


@dataclass(frozen=True, slots=True)
class ExportFilter:
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    # Telegram user ids instead of pseudonyms: only when an organizer asks for them.
    with_identities: bool = False


ExportRow = tuple[object, ...]  # values in the order of the columns
Format = Literal["csv", "xlsx", "json"]


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """One export's SELECT, without paging: its columns (name -> SQL; the first is the id,
    which pages go by), tables and filters (SQL with ? parameters, and their values)."""

    columns: Mapping[str, str]
    tables: str
    text: frozenset[str]  # the columns that hold only text or NULL
    coded: frozenset[str]  # text columns the bot writes itself, never with a NUL character
    filters: tuple[str, ...] = ()
    params: tuple[object, ...] = ()

    def sql(self) -> str:
        """The whole export as one statement, in id order: what the benchmark gives the
        sqlite3 shell as its baseline."""
        return self.select(", ".join(f'{sql} AS "{name}"' for name, sql in self.columns.items()))

    def select(self, what: str, *, paged: bool = False) -> str:
        """SELECT `what` over the export's rows; `paged`: after the id given as the first
        parameter, at most the last parameter's number of rows."""
        key = next(iter(self.columns.values()))
        clauses = [f"{key} > ?"] if paged else []
        clauses += self.filters
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return f"SELECT {what} FROM {self.tables}{where} ORDER BY {key}" + (
            " LIMIT ?" if paged else ""
        )


def submission_query(where: ExportFilter = ExportFilter()) -> ExportQuery:
    columns = dict(SUBMISSION_COLUMNS)
    if where.with_identities:
        columns["participant"] = "CAST(s.participant_id AS TEXT)"
    filters: list[str] = []
    params: list[object] = []
    if where.statuses:
        filters.append(f"s.status IN ({', '.join('?' * len(where.statuses))})")
        params += where.statuses
    if where.kind:
        filters.append("s.kind = ?")
        params.append(where.kind)
    return ExportQuery(
        columns,
        _SUBMISSION_TABLES,
        _SUBMISSION_TEXT,
        _SUBMISSION_CODED,
        tuple(filters),
        tuple(params),
    )


def audit_query() -> ExportQuery:
    return ExportQuery(AUDIT_COLUMNS, "audit_log", _AUDIT_TEXT, _AUDIT_CODED)


def iter_export_rows(
    conn: sqlite3.Connection, where: ExportFilter = ExportFilter(), chunk: int = 5000
) -> Iterator[ExportRow]:
    """Every matching submission in id order (values in SUBMISSION_COLUMNS order), read in
    chunks by keyset: memory stays flat."""
    return iter_rows(conn, submission_query(where), chunk)


def iter_audit_rows(conn: sqlite3.Connection, chunk: int = 5000) -> Iterator[ExportRow]:
    return iter_rows(conn, audit_query(), chunk)


def iter_rows(
    conn: sqlite3.Connection, query: ExportQuery, chunk: int = 5000
) -> Iterator[ExportRow]:
    """The query's rows as tuples of values, in id order."""
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in query.columns.items())
    for page in _pages(conn, query.select(select, paged=True), query.params, chunk):
        yield from page


# ---- rendered by SQLite ------------------------------------------------------------------
#
# One printf() (or json_object()) call per row builds the whole row, each cell an argument;
# texts go raw, between markers, and are escaped in Python for a whole page at once with
# bytes methods (SQLite would call a function per cell, and a call costs more than the work).
# printf() stops a text at a NUL character, so a row holding one (texts are stored as sent)
# is concatenated instead, which keeps every character. A float is written by Python's repr(),
# registered as an SQL function: SQLite's own text has 15 significant digits, not all of them.

# Bytes that never occur in UTF-8 text, so that no text can pass for one. In a CSV line, a
# text cell is CSV_TEXT, the text, CSV_TEXT_END. An XLSX row is its cells' texts, each
# followed by CELL_END, the last by ROW_END.
CSV_TEXT = b"\xfd"
CSV_TEXT_END = b"\xfc"
CELL_END = b"\xff"
ROW_END = b"\xfe"
_SECOND = itemgetter(1)
_FLOAT_TEXT = "townhall_float_text"  # repr(), as str() writes a float in CSV and XLSX
_FLOAT_JSON = "townhall_float_json"  # the same as a JSON number; null when infinite


def iter_rendered(
    conn: sqlite3.Connection, query: ExportQuery, fmt: Format, chunk: int = 2000
) -> Iterator[list[bytes]]:
    """The query's rows rendered for `fmt`, as UTF-8 bytes, a page (a list, in id order) at
    a time; nothing escaped but JSON:

    - csv: one line per row, CR LF included. A text cell is CSV_TEXT, the text (NULL as
      nothing) and CSV_TEXT_END; in the other columns a number is written bare, NULL as
      nothing, text as a text cell.
    - json: one object per row, {"column":value,...} with native types, no separator.
    - xlsx: each cell's text (NULL as nothing, numbers as in CSV) followed by CELL_END, the
      last cell's by ROW_END instead.
    """
    conn.create_function(_FLOAT_TEXT, 1, repr, deterministic=True)
    conn.create_function(_FLOAT_JSON, 1, _json_number, deterministic=True)
    key = next(iter(query.columns.values()))
    rendered = {"csv": _csv_row, "json": _json_row, "xlsx": _xlsx_row}[fmt](query)
    sql = query.select(f"{key}, CAST({rendered} AS BLOB)", paged=True)
    for page in _pages(conn, sql, query.params, chunk):
        yield list(map(_SECOND, page))


def _json_number(value: float) -> str:
    return repr(value) if math.isfinite(value) else "null"


def _csv_row(query: ExportQuery) -> str:
    formats: list[bytes] = []
    values: list[str] = []
    for name, value in query.columns.items():
        if name in query.text:
            formats.append(CSV_TEXT + b"%s" + CSV_TEXT_END)
            values.append(value)
        else:
            formats.append(b"%s")
            values.append(
                f"CASE typeof({value}) WHEN 'integer' THEN {value} WHEN 'null' THEN ''"
                f" WHEN 'real' THEN {_FLOAT_TEXT}({value})"
                f" ELSE {_bytes(CSV_TEXT)} || {value} || {_bytes(CSV_TEXT_END)} END"
            )
    return _printed(query, b",".join(formats) + b"\r\n", values)


def _json_row(query: ExportQuery) -> str:
    """json_object() escapes text as JSON does and keeps NUL characters (as \\u0000)."""
    pairs = []
    for name, value in query.columns.items():
        if name not in query.text:
            value = (
                f"CASE typeof({value}) WHEN 'real' THEN json({_FLOAT_JSON}({value}))"
                f" ELSE {value} END"
            )
        pairs.append(f"'{name}', {value}")
    return f"json_object({', '.join(pairs)})"


def _xlsx_row(query: ExportQuery) -> str:
    values = [
        value
        if name in query.text
        else f"CASE typeof({value}) WHEN 'real' THEN {_FLOAT_TEXT}({value}) ELSE {value} END"
        for name, value in query.columns.items()
    ]
    return _printed(query, CELL_END.join([b"%s"] * len(values)) + ROW_END, values)


def _printed(query: ExportQuery, template: bytes, values: list[str]) -> str:
    """printf(template, values...): `template` (bytes, not UTF-8: the markers) holds a %s per
    value and nothing else that printf() reads. A row holding a NUL character is concatenated
    instead, with the template's other bytes around the values."""
    pieces = template.split(b"%s")
    assert len(pieces) == len(values) + 1 and b"%" not in b"".join(pieces)
    fast = f"printf(CAST({_bytes(template)} AS TEXT), {', '.join(values)})"
    parts = [_bytes(pieces[0])]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts += [f"coalesce({value}, '')", _bytes(piece)]
    exact = " || ".join(part for part in parts if part != "X''")
    return f"CASE WHEN {_holds_nul(query)} THEN {exact} ELSE {fast} END"


def _holds_nul(query: ExportQuery) -> str:
    """Whether a row holds a NUL character. Coded columns are not searched; `x >= ''` holds
    for text only (numbers sort first), so numbers are not turned into text to be searched."""
    return " OR ".join(
        f"instr({value}, char(0))"
        if name in query.text
        else f"({value} >= '' AND instr({value}, char(0)))"
        for name, value in query.columns.items()
        if name not in query.coded
    )


def _bytes(raw: bytes) -> str:
    """A blob literal: `raw` as it is, UTF-8 or not."""
    return f"X'{raw.hex()}'"


def _pages(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...], chunk: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages by the first column (the id). Plain tuples: a dict per row costs more than
    everything else an export does."""
    cursor = conn.cursor()
    cursor.row_factory = None
    last_id = 0
    while True:
        rows = cursor.execute(sql, (last_id, *params, chunk)).fetchall()
        if not rows:
            return
        yield rows
        last_id = int(rows[-1][0])
