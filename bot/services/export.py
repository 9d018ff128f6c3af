"""Exports for organizers. Streamed row by row: memory stays flat however many rows there are.

Spreadsheets run a cell starting with = + - @ (or a tab or CR, which some of them strip first)
as a formula; a participant's text must never run on an organizer's machine, so such cells are
prefixed with an apostrophe, the convention Excel and LibreOffice both show as plain text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from storage.models import ExportRow

# The contract's first columns, in this order; more are added after them, never between.
COLUMNS = (
    "id",
    "kind",
    "status",
    "language",
    "text",
    "translation",
    "submitted_at",
    "language_confidence",
    "translation_engine",
    "participant",
    "locale",
    "translation_status",
    "translated_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _cells(row: ExportRow) -> list[str]:
    values: list[object] = [
        row.id,
        row.kind,
        row.status,
        row.language,
        row.text,
        row.translation,
        row.submitted_at,
        row.language_confidence,
        row.translation_engine,
        row.participant,
        row.locale,
        row.translation_status,
        row.translated_at,
    ]
    return [neutralise("" if value is None else str(value)) for value in values]


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write the header and one line per row; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(_cells(row))
        count += 1
    return count
