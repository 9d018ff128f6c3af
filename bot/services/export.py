"""Exports for organizers: CSV, XLSX and JSON, streamed row by row, so memory stays flat
however many rows there are.

Spreadsheets run a cell starting with = + - @ (or a tab or CR, which some of them strip
first) as a formula; a participant's text must never run on an organizer's machine, so in CSV
such cells are prefixed with an apostrophe, the convention Excel and LibreOffice both show as
plain text. XLSX cells are all written as inline strings (never formulas), with the control
characters XML cannot carry removed. JSON is a list of objects with native types.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TextIO
from xml.sax.saxutils import escape as xml_escape

from storage.db import open_reader
from storage.export import SUBMISSION_COLUMNS, ExportFilter, iter_export_rows

FORMATS = ("csv", "xlsx", "json")
# The contract's first columns, in this order; more are added after them, never between.
COLUMNS = tuple(SUBMISSION_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry at all (an XLSX with one does not open).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Row = Sequence[object]  # values in the order of the columns


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _text(value: object) -> str:
    return "" if value is None else str(value)


# Columns whose text comes from people (participants, moderators, organizers); the others
# hold our own ids, codes and timestamps, which cannot start like a formula.
_PEOPLES_TEXT = ("text", "translation", "reason", "decided_by", "actor", "topic", "participant")


def export_to_file(db_path: Path, fmt: str, where: ExportFilter, path: Path) -> int:
    """Submissions into a file for a person to open (the /export document); returns the
    number of rows. Blocking: run it in a thread. CSV starts with a byte order mark here,
    without which Excel reads UTF-8 as a Western code page and garbles every non-Latin
    script; the CLI leaves it out unless asked, since scripts read its output."""
    conn = open_reader(db_path)
    try:
        rows = iter_export_rows(conn, where)
        if fmt == "xlsx":
            with path.open("wb") as binary:
                return write_xlsx(rows, binary)
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = write_csv if fmt == "csv" else write_json
            return writer(rows, handle)
    finally:
        conn.close()


def write_csv(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """Header and one line per row; returns the number of rows. (csv writes None as "".)"""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    risky = [i for i, name in enumerate(columns) if name in _PEOPLES_TEXT]
    counted = _Counter(rows)
    writer.writerows(_neutralised(row, risky) for row in counted)
    return counted.count


def _neutralised(row: Row, risky: Sequence[int]) -> Row:
    """The row, with formula-like cells among `risky` defused (copied only if needed)."""
    fixed: list[object] | None = None
    for i in risky:
        value = row[i]
        if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
            fixed = fixed or list(row)
            fixed[i] = "'" + value
    return row if fixed is None else fixed


class _Counter:
    """Counts the rows a writer consumes (writerows takes an iterable, not a count)."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Row]:
        for row in self._rows:
            self.count += 1
            yield row


def write_json(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """A JSON list of objects, one per line, written as it goes."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def write_xlsx(rows: Iterable[Row], out: IO[bytes], columns: Sequence[str] = COLUMNS) -> int:
    """A one-sheet workbook; the sheet is streamed into the zip, never held in memory."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, content in _XLSX_PARTS.items():
            book.writestr(name, content)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD)
            sheet.write(_xlsx_row(1, columns))
            count = 0
            for count, row in enumerate(rows, start=1):
                sheet.write(_xlsx_row(count + 1, [_text(value) for value in row]))
            sheet.write(b"</sheetData></worksheet>")
    return count


def _xlsx_row(number: int, cells: Sequence[str]) -> bytes:
    parts = [f'<row r="{number}">']
    for cell in cells:
        clean = xml_escape(_XML_ILLEGAL.sub("", cell))
        # Inline strings: a cell is never a number or a formula, whatever its text.
        parts.append(f'<c t="inlineStr"><is><t xml:space="preserve">{clean}</t></is></c>')
    parts.append("</row>")
    return "".join(parts).encode("utf-8")


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Town Hall" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}
