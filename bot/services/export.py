"""Exports for organizers: CSV, XLSX and JSON, streamed a page of rows at a time, so memory
stays flat however many rows there are.

Spreadsheets run a cell starting with = + - @ (or a tab or CR, which some of them strip
first) as a formula; a participant's text must never run on an organizer's machine, so in CSV
every text cell starting so, whatever its column, is prefixed with an apostrophe, the
convention Excel and LibreOffice both show as plain text; numbers stay numbers. XLSX cells are
all written as inline strings (never formulas), with the control characters XML cannot carry
removed. JSON is a list of objects with native types.

SQLite renders the rows (storage.export.iter_rendered): a JSON object, or a CSV line or an
XLSX row with its texts raw between markers, which are escaped here a page at a time with
bytes methods that run in C (CSV: quotes doubled, formula-like cells defused; XLSX: XML
escaped, what XML cannot carry removed, the markup put in). `write_csv` writes rows of
values by the same rules, for callers that have values, not a query.

Files are created 0600 (storage.files.create_private_file): exports hold participants' words.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, TextIO

from storage.export import (
    CELL_END,
    CSV_TEXT,
    CSV_TEXT_END,
    ROW_END,
    SUBMISSION_COLUMNS,
    ExportFilter,
    ExportQuery,
    Format,
    iter_rendered,
    submission_query,
)
from storage.files import create_private_file, open_reader

_FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
FORMATS: tuple[str, ...] = _FORMATS
# The contract's first columns, in this order; more are added after them, never between.
COLUMNS = tuple(SUBMISSION_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list
_FORMULA_FIRST = frozenset(_FORMULA_STARTS)
# In a page of rendered CSV lines: a text cell (storage.export.CSV_TEXT) starting like one.
_FORMULA_CLASS = b"".join(re.escape(char.encode()) for char in _FORMULA_STARTS)
_RUNS = re.compile(re.escape(CSV_TEXT) + b"(?=[" + _FORMULA_CLASS + b"])")
_CSV_QUOTES = bytes.maketrans(CSV_TEXT + CSV_TEXT_END, b'""')
BOM = "\ufeff".encode()
# Characters XML 1.0 cannot carry at all (an XLSX with one does not open).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ILLEGAL_BYTES = bytes(c for c in range(32) if chr(c) not in "\t\n\r")  # one byte each
_XML_NONCHARACTERS = re.compile(b"\xef\xbf[\xbe\xbf]")  # U+FFFE and U+FFFF in UTF-8
# & first; a bare CR would be read back as LF (XML normalises line ends): a reference keeps it.
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_XML_BYTE_ESCAPES = tuple((a.encode(), b.encode()) for a, b in _XML_ESCAPES)

Row = Sequence[object]  # values in the order of the columns


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def export_to_file(db_path: Path, fmt: str, where: ExportFilter, path: Path) -> int:
    """Submissions into a new file for a person to open (the /export document); returns the
    number of rows. Blocking: run it in a thread. The file is created 0600 and must not exist
    yet. CSV starts with a byte order mark here, without which Excel reads UTF-8 as a Western
    code page and garbles every non-Latin script; the CLI leaves it out unless asked, since
    scripts read its output."""
    kind = export_format(fmt)
    conn = open_reader(db_path)
    try:
        descriptor = create_private_file(path)
        with os.fdopen(descriptor, "wb") as out:
            return write_export(conn, submission_query(where), kind, out, bom=True)
    finally:
        conn.close()


def export_format(name: str) -> Format:
    """The format of that name (csv, xlsx, json); ValueError for any other name."""
    for fmt in _FORMATS:
        if fmt == name:
            return fmt
    raise ValueError(f"no export format {name!r}; one of {', '.join(FORMATS)}")


def write_export(
    conn: sqlite3.Connection, query: ExportQuery, fmt: Format, out: IO[bytes], *, bom: bool = False
) -> int:
    """The query's rows, rendered by SQLite, into `out` as `fmt`; returns the number of rows.
    `bom`: a CSV starts with a byte order mark (ignored for the other formats)."""
    pages = iter_rendered(conn, query, fmt)
    columns = tuple(query.columns)
    if fmt == "xlsx":
        return _write_rendered_xlsx(pages, out, columns)
    if fmt == "json":
        return _write_rendered_json(pages, out)
    return _write_rendered_csv(pages, out, columns, bom)


def _write_rendered_csv(
    pages: Iterator[list[bytes]], out: IO[bytes], columns: Sequence[str], bom: bool
) -> int:
    import csv  # only for CSV, as zipfile only for XLSX
    import io

    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(columns)
    out.write((BOM if bom else b"") + header.getvalue().encode())
    count = 0
    for lines in pages:
        out.write(_csv_lines(b"".join(lines)))
        count += len(lines)
    return count


def _csv_lines(lines: bytes) -> bytes:
    """Rendered CSV lines (storage.export.iter_rendered) as CSV, a page at a time: the texts'
    double quotes doubled, a text cell that starts like a formula prefixed with an
    apostrophe, and the markers around text cells made double quotes."""
    lines = _RUNS.sub(CSV_TEXT + b"'", lines.replace(b'"', b'""'))
    return lines.translate(_CSV_QUOTES)


def _write_rendered_json(pages: Iterator[list[bytes]], out: IO[bytes]) -> int:
    out.write(b"[")
    count = 0
    for objects in pages:
        out.write(b",\n" if count else b"\n")
        out.write(b",\n".join(objects))
        count += len(objects)
    out.write(b"\n]\n")
    return count


def _write_rendered_xlsx(
    pages: Iterator[list[bytes]], out: IO[bytes], columns: Sequence[str]
) -> int:
    count = 0
    with _sheet(out) as sheet:
        sheet.write(_xlsx_row(1, columns))
        for cells in pages:
            sheet.write(_sheet_rows(b"".join(cells), count + 2))
            count += len(cells)
    return count


_CELL_OPEN = b'<c t="inlineStr"><is><t xml:space="preserve">'
_CELL_CLOSE = b"</t></is></c>"


def _sheet_rows(cells: bytes, first: int) -> bytes:
    """Rows of raw cell texts (storage.export's CELL_END and ROW_END after each) as sheet
    rows numbered from `first`: the texts escaped, what XML cannot carry removed, all at once
    for the page. The markers are bytes no UTF-8 text has, so no text can pass for one."""
    for char, reference in _XML_BYTE_ESCAPES:
        cells = cells.replace(char, reference)
    cells = cells.translate(None, _XML_ILLEGAL_BYTES)
    if b"\xef\xbf" in cells:  # the start of U+FFFE and U+FFFF, and of other characters
        cells = _XML_NONCHARACTERS.sub(b"", cells)
    rows = cells.split(ROW_END)  # and a last b""; split before the markup makes them longer
    heads = [b'<row r="%d">%s' % (n, _CELL_OPEN) for n in range(first, first + len(rows) - 1)]
    tail = _CELL_CLOSE + b"</row>"
    sheet = b"".join(chain.from_iterable(zip(heads, rows, repeat(tail))))  # as many as heads
    return sheet.replace(CELL_END, _CELL_CLOSE + _CELL_OPEN)


# ---- rows of values ----------------------------------------------------------------------

# Rows are defused a batch at a time, column by column: the checks run inside C iterators, so
# checking every cell costs no more than checking a few columns row by row did.
_BATCH = 1024
_FIRST = itemgetter(0)
_IS_TEXT = str.__instancecheck__


def write_csv(rows: Iterable[Row], out: TextIO, columns: Sequence[str] = COLUMNS) -> int:
    """Header and one line per row; returns the number of rows. (csv writes None as "".)
    Every text cell that starts like a formula gets a leading apostrophe, in any column."""
    import csv

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


def _xlsx_row(number: int, cells: Sequence[str]) -> bytes:
    parts = [f'<row r="{number}">']
    for cell in cells:
        clean = _XML_ILLEGAL.sub("", cell)
        for char, reference in _XML_ESCAPES:
            clean = clean.replace(char, reference)
        # Inline strings: a cell is never a number or a formula, whatever its text.
        parts.append(f'<c t="inlineStr"><is><t xml:space="preserve">{clean}</t></is></c>')
    parts.append("</row>")
    return "".join(parts).encode("utf-8")


@contextmanager
def _sheet(out: IO[bytes]) -> Iterator[IO[bytes]]:
    """A one-sheet workbook around the sheet's rows, which the caller writes into the sheet
    given; the sheet is streamed into the zip, never held in memory."""
    import zipfile  # only for XLSX

    # Level 1: the sheet's markup repeats itself and compresses well even so, several times
    # faster than the default level 6, for a file about 1.5 times as large.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, content in _XLSX_PARTS.items():
            book.writestr(name, content)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD)
            yield sheet
            sheet.write(b"</sheetData></worksheet>")


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
