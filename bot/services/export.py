"""Exports for organizers: CSV, XLSX and JSON, streamed row by row, so memory stays flat
however many rows there are.

Spreadsheets run a cell starting with = + - @ (or a tab or CR, which some of them strip
first) as a formula; a participant's text must never run on an organizer's machine, so in CSV
every text cell starting so, whatever its column, is prefixed with an apostrophe, the
convention Excel and LibreOffice both show as plain text; numbers stay numbers. XLSX cells are
all written as inline strings (never formulas), with the control characters XML cannot carry
removed. JSON is a list of objects with native types.

Files are created 0600 (storage.db.create_private_file): exports hold participants' words.
"""

from __future__ import annotations

import csv
import json
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, TextIO
from xml.sax.saxutils import escape as xml_escape

from storage.db import create_private_file, open_reader
from storage.export import SUBMISSION_COLUMNS, ExportFilter, iter_export_rows

FORMATS = ("csv", "xlsx", "json")
# The contract's first columns, in this order; more are added after them, never between.
COLUMNS = tuple(SUBMISSION_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list
_FORMULA_FIRST = frozenset(_FORMULA_STARTS)
# Characters XML 1.0 cannot carry at all (an XLSX with one does not open).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A bare CR would be read back as LF (XML normalises line ends); a reference keeps it.
_XML_ENTITIES = {"\r": "&#13;"}

Row = Sequence[object]  # values in the order of the columns


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _text(value: object) -> str:
    return "" if value is None else str(value)


def export_to_file(db_path: Path, fmt: str, where: ExportFilter, path: Path) -> int:
    """Submissions into a new file for a person to open (the /export document); returns the
    number of rows. Blocking: run it in a thread. The file is created 0600 and must not exist
    yet. CSV starts with a byte order mark here, without which Excel reads UTF-8 as a Western
    code page and garbles every non-Latin script; the CLI leaves it out unless asked, since
    scripts read its output."""
    conn = open_reader(db_path)
    try:
        rows = iter_export_rows(conn, where)
        descriptor = create_private_file(path)
        if fmt == "xlsx":
            with os.fdopen(descriptor, "wb") as binary:
                return write_xlsx(rows, binary)
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
            writer = write_csv if fmt == "csv" else write_json
            return writer(rows, handle)
    finally:
        conn.close()


# Rows are defused a batch at a time, column by column: the checks run inside C iterators, so
# checking every cell costs no more than checking a few columns row by row did.
_BATCH = 1024
_FIRST = itemgetter(0)
_IS_TEXT = str.__instancecheck__


def write_csv(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """Header and one line per row; returns the number of rows. (csv writes None as "".)
    Every text cell that starts like a formula gets a leading apostrophe, in any column."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    remaining = iter(rows)
    while batch := list(islice(remaining, _BATCH)):
        _defuse(batch)
        writer.writerows(batch)
        count += len(batch)
    return count


def _defuse(batch: list[Row]) -> None:
    """Prefix, in place, every text cell of the batch that a spreadsheet would run."""
    for column, cells in enumerate(zip(*batch, strict=True)):
        if not _may_run(cells):
            continue
        for index, value in enumerate(cells):
            if isinstance(value, str) and value[:1] in _FORMULA_FIRST:
                row = batch[index]
                fixed = row if isinstance(row, list) else list(row)
                fixed[column] = "'" + value
                batch[index] = fixed


def _may_run(cells: tuple[Any, ...]) -> bool:
    """Whether a text cell among `cells` starts with a formula character. One check per
    non-empty cell; numbers and None are never a formula."""
    try:  # a column of text (and None): the first character of each non-empty cell
        return not _FORMULA_FIRST.isdisjoint(map(_FIRST, filter(None, cells)))
    except TypeError:  # numbers among them: look at the text cells only
        texts = filter(None, filter(_IS_TEXT, cells))
        return not _FORMULA_FIRST.isdisjoint(map(_FIRST, texts))


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
        clean = xml_escape(_XML_ILLEGAL.sub("", cell), _XML_ENTITIES)
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
