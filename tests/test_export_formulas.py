"""No exported cell runs as a formula, whatever column it is in.

Six submissions, one per character a spreadsheet takes as the start of a formula (OWASP's
list: = + - @ tab CR), with every text column the export has starting with that character:
text, translation, answer, place, topic, reason, decided_by, the pseudonym, and even the
columns the bot fills itself (language, locale, engine, timestamps). Exported as CSV by the
CLI (standard output and --output), by the in-chat /export (the document the organizer gets)
and by `export --audit`, every such cell carries a leading apostrophe and the numbers stay
numbers; in XLSX every cell is an inline string holding the text unchanged, never a formula.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zipfile
from collections.abc import Iterable
from pathlib import Path

import openpyxl

from bot.services.export import COLUMNS, export_to_file, write_csv
from storage.db import open_database
from storage.export import AUDIT_COLUMNS, ExportFilter
from tests.conftest import running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
ORGANIZER = 901
# Export column -> where it is stored; every one of them holds text.
TEXT_COLUMNS = {
    "text": "s.text",
    "translation": "s.translation",
    "translation_engine": "s.translation_engine",
    "topic": "s.topic",
    "place": "s.party_place",
    "answer": "answers.text",
    "participant": "participants.pseudonym",
    "decided_by": "s.decided_by",
    "reason": "s.reason",
    "language": "s.language",
    "locale": "s.locale",
    "submitted_at": "s.created_at",
    "decided_at": "s.decided_at",
    "translated_at": "s.translated_at",
}
AUDIT_TEXT = ("actor", "action", "from_status", "to_status", "reason", "at")


def evil(char: str, column: str) -> str:
    return f'{char}HYPERLINK("http://evil.example/{column}";"click {column}")'


async def populate(path: Path) -> None:
    db = await open_database(path)
    await db.close()
    conn = sqlite3.connect(path)
    try:
        for n, char in enumerate(DANGEROUS, start=1):
            e = {column: evil(char, column) for column in [*TEXT_COLUMNS, *AUDIT_TEXT]}
            conn.execute(
                "INSERT INTO participants (user_id, pseudonym, created_at) VALUES (?, ?, ?)",
                (n, e["participant"], "2026-11-26T10:00:00Z"),
            )
            conn.execute(
                "INSERT INTO submissions (id, chat_id, message_id, participant_id, kind, status,"
                " text, locale, language, language_confidence, translation, translation_engine,"
                " translation_status, translated_at, created_at, updated_at, decided_by,"
                " decided_at, reason, topic, position, votes, party_id, party_place,"
                " translation_reviewed_by)"
                " VALUES (?, ?, 1, ?, 'question', 'approved', ?, ?, ?, 0.5, ?, ?, 'done', ?, ?,"
                " '2026-11-26T10:00:00Z', ?, ?, ?, ?, ?, 7, 3, ?, NULL)",
                (
                    n,
                    n,
                    n,
                    e["text"],
                    e["locale"],
                    e["language"],
                    e["translation"],
                    e["translation_engine"],
                    e["translated_at"],
                    e["submitted_at"],
                    e["decided_by"],
                    e["decided_at"],
                    e["reason"],
                    e["topic"],
                    n,
                    e["place"],
                ),
            )
            conn.execute(
                "INSERT INTO answers (submission_id, text, answered_by, request_key, recipients,"
                " created_at) VALUES (?, ?, 'Org', ?, 1, '2026-11-26T11:00:00Z')",
                (n, e["answer"], f"answer:{n}"),
            )
            conn.execute(
                "INSERT INTO audit_log (submission_id, actor_id, actor_name, action, from_status,"
                " to_status, reason, at) VALUES (?, 77, ?, ?, ?, ?, ?, ?)",
                (
                    n,
                    e["actor"],
                    e["action"],
                    e["from_status"],
                    e["to_status"],
                    e["reason"],
                    e["at"],
                ),
            )
        conn.commit()
    finally:
        conn.close()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_defused(rows: list[dict[str, str]], columns: Iterable[str] = TEXT_COLUMNS) -> None:
    assert len(rows) == len(DANGEROUS)
    for row, char in zip(rows, DANGEROUS, strict=True):
        for column in columns:
            assert row[column] == "'" + evil(char, column), (column, row[column])
        for column, value in row.items():
            assert not value.startswith(DANGEROUS), (column, value)


def assert_numbers(rows: list[dict[str, str]]) -> None:
    for n, row in enumerate(rows, start=1):
        assert (row["id"], row["position"], row["votes"], row["party"]) == (
            str(n),
            str(n),
            "7",
            "3",
        )
        assert row["language_confidence"] == "0.5" and row["merged_into"] == ""


async def test_cli_csv_defuses_every_text_column(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await populate(db)
    env = {"TOWNHALL_DB": str(db)}
    code, out, err = await run_cli("export", "--format", "csv", env=env)
    assert code == 0, err
    rows = csv_rows(out)
    assert list(rows[0]) == list(COLUMNS)
    assert_defused(rows)
    assert_numbers(rows)
    target = tmp_path / "out.csv"
    code, _, err = await run_cli("export", "--output", str(target), "--bom", env=env)
    assert code == 0, err
    assert csv_rows(target.read_bytes().decode("utf-8-sig")) == rows

    code, out, err = await run_cli("export", "--audit", env=env)
    assert code == 0, err
    audit = csv_rows(out)
    assert list(audit[0]) == list(AUDIT_COLUMNS)
    assert_defused(audit, AUDIT_TEXT)
    assert [(r["id"], r["submission_id"]) for r in audit] == [
        (str(n), str(n)) for n in range(1, 7)
    ]


async def test_in_chat_csv_defuses_every_text_column(fake: FakeTelegram, tmp_path: Path) -> None:
    await populate(tmp_path / "townhall.db")  # the file the bot below opens
    async with running_bot(fake, tmp_path, TOWNHALL_ORGANIZERS=str(ORGANIZER)):
        fake.push_message(ORGANIZER, "/export csv")
        document = (await fake.wait_for_messages(ORGANIZER, 1))[0]
        fake.push_message(ORGANIZER, "/export xlsx")
        book = (await fake.wait_for_messages(ORGANIZER, 2))[1]
    assert document.document is not None and book.document is not None
    rows = csv_rows(document.document[1].decode("utf-8-sig"))
    assert_defused(rows)
    assert_numbers(rows)
    xlsx = tmp_path / "chat.xlsx"
    xlsx.write_bytes(book.document[1])
    assert_xlsx_is_text_only(xlsx)


async def test_the_export_file_function_defuses_every_text_column(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await populate(db)
    path = tmp_path / "file.csv"
    assert export_to_file(db, "csv", ExportFilter(), path) == 6
    assert_defused(csv_rows(path.read_bytes().decode("utf-8-sig")))


async def test_cli_xlsx_cells_are_inline_strings_never_formulas(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await populate(db)
    xlsx = tmp_path / "queue.xlsx"
    env = {"TOWNHALL_DB": str(db)}
    code, _, err = await run_cli("export", "--format", "xlsx", "-o", str(xlsx), env=env)
    assert code == 0, err
    assert_xlsx_is_text_only(xlsx)


def assert_xlsx_is_text_only(path: Path) -> None:
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
    cells = re.findall(r"<c\b[^>]*>", sheet)
    assert cells and all(c == '<c t="inlineStr">' for c in cells)
    workbook = openpyxl.load_workbook(path)  # not read-only: formulas would show as such
    try:
        sheet_ = workbook.active
        assert sheet_ is not None
        rows = [list(r) for r in sheet_.iter_rows()]
    finally:
        workbook.close()
    header = [c.value for c in rows[0]]
    assert header == list(COLUMNS)
    for row, char in zip(rows[1:], DANGEROUS, strict=True):
        values = dict(zip(header, row, strict=True))
        for column in TEXT_COLUMNS:
            cell = values[column]
            assert cell.data_type == "s" and cell.value == evil(char, column), (column, cell)
        assert all(c.data_type in ("s", "n") and c.data_type != "f" for c in row)
        assert values["votes"].value == "7"  # XLSX cells are all text, numbers included


def test_write_csv_keeps_numbers_and_checks_columns_it_does_not_know() -> None:
    columns = ("id", "votes", "score", "note", "extra")
    rows = [
        (1, -3, 2.5, "=1+1", "-x"),
        (2, 0, None, "fine", None),
        (3, 4, "@odd", "", "+y"),  # a text value where numbers were
    ]
    out = io.StringIO()
    assert write_csv(rows, out, columns) == 3
    lines = out.getvalue().splitlines()
    assert lines == [
        "id,votes,score,note,extra",
        "1,-3,2.5,'=1+1,'-x",
        "2,0,,fine,",
        "3,4,'@odd,,'+y",
    ]
    assert rows[0] == (1, -3, 2.5, "=1+1", "-x")  # the caller's rows are not changed


def test_write_csv_spans_several_batches() -> None:
    rows = [(n, "=x" if n % 997 == 0 else "ok") for n in range(1, 5001)]
    out = io.StringIO()
    assert write_csv(rows, out, ("id", "text")) == 5000
    parsed = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert [r[0] for r in parsed] == [str(n) for n in range(1, 5001)]
    assert {r[1] for r in parsed} == {"ok", "'=x"}
    assert [int(r[0]) for r in parsed if r[1] == "'=x"] == [997 * k for k in range(1, 6)]
