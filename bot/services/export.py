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
from collections.abc import Iterable, Sequence
from typing import IO, TextIO
from xml.sax.saxutils import escape as xml_escape

from storage.repository import SUBMISSION_COLUMNS

FORMATS = ("csv", "xlsx", "json")
# The contract's first columns, in this order; more are added after them, never between.
COLUMNS = tuple(SUBMISSION_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry at all (an XLSX with one does not open).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Row = dict[str, object]


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _text(value: object) -> str:
    return "" if value is None else str(value)


def write_csv(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """Header and one line per row; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(_text(row.get(c))) for c in columns])
        count += 1
    return count


def write_json(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """A JSON list of objects, one per line, written as it goes."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False))
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
                sheet.write(_xlsx_row(count + 1, [_text(row.get(c)) for c in columns]))
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
