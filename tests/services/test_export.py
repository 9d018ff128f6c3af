"""Exports (bot/services/export.py) of the temporary database: CSV, JSON and XLSX files as an
organizer opens them, people's formula-like text defused, participants under pseudonyms."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from bot.services.export import COLUMNS, export_to_file
from storage.export import ExportFilter
from storage.models import Status
from tests.services.conftest import World

FORMULA = '=HYPERLINK("http://evil.example", "click") what about it?'


@pytest.fixture
async def exported(world: World) -> World:
    await world.submit(10, FORMULA)
    await world.submit(11, "Wie wird die Zivilgesellschaft danach gehört?", "de")
    await world.submit(12, "A question the moderators did not select")
    await world.set_status(2, Status.APPROVED)
    await world.set_status(3, Status.REJECTED)
    return world


async def test_csv_defuses_formulas_and_shows_pseudonyms(exported: World, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    count = export_to_file(Path(exported.db.path), "csv", ExportFilter(), path)

    assert count == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for UTF-8
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["text"] == "'" + FORMULA
    assert rows[1]["text"] == "Wie wird die Zivilgesellschaft danach gehört?"
    pseudonyms = {r["participant"] for r in rows}
    assert all(p.startswith("P-") for p in pseudonyms) and len(pseudonyms) == 3
    assert not {"10", "11", "12"} & pseudonyms


async def test_json_is_filtered_by_status_with_native_types(
    exported: World, tmp_path: Path
) -> None:
    path = tmp_path / "out.json"
    where = ExportFilter(statuses=("approved", "rejected"))
    count = export_to_file(Path(exported.db.path), "json", where, path)

    items = json.loads(path.read_text(encoding="utf-8"))
    assert count == len(items) == 2
    assert [(i["id"], i["status"], i["position"]) for i in items] == [
        (2, "approved", 1),
        (3, "rejected", None),
    ]
    assert items[0]["text"] == "Wie wird die Zivilgesellschaft danach gehört?"  # not escaped


async def test_xlsx_cells_are_text_never_formulas(exported: World, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    count = export_to_file(Path(exported.db.path), "xlsx", ExportFilter(), path)

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        cells = [list(r) for r in sheet.iter_rows()]
    finally:
        book.close()
    assert count == len(cells) - 1 == 3
    assert [c.value for c in cells[0]] == list(COLUMNS)
    text = cells[1][COLUMNS.index("text")]
    assert text.value == FORMULA  # kept as written, and a string cell: it never runs
    assert {c.data_type for row in cells for c in row} == {"s"}
