"""The `townhall-bot` command as organizers use it: configuration errors, export, logs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tests.conftest import TOKEN, bot_env, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import BotProcess, run_cli


async def test_missing_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = await run_cli("run", env={"TOWNHALL_DB": str(tmp_path / "x.db")})
    assert code == 2
    assert err.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "x.db").exists()


async def test_bad_values_name_the_variable_and_exit_2(tmp_path: Path) -> None:
    cases = {
        "TOWNHALL_ORGANIZERS": "42,alice",
        "TOWNHALL_TRANSLATOR": "babelfish",
        "TOWNHALL_MODERATOR_CHAT": "mods",
    }
    for variable, value in cases.items():
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, variable: value}
        code, _, err = await run_cli("run", env=env)
        assert code == 2, variable
        assert variable in err and value.split(",")[-1] in err
        assert TOKEN not in err and "Traceback" not in err


async def test_refused_token_is_reported_without_the_token(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.invalid_tokens.add(TOKEN)
    code, _, err = await run_cli("run", env=bot_env(fake, tmp_path / "t.db"))
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err and TOKEN not in err and "Traceback" not in err


SETTLED = "SELECT count(*) FROM submissions WHERE translation_status != 'pending'"


def _detected(rows: list[Any]) -> bool:
    return int(rows[0][0]) == 3


async def test_export_csv_contract(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(1, '=HYPERLINK("http://evil","click") is this safe?')
        fake.push_message(2, "ما هي خطتكم لحماية الصحفيين؟", language_code="ar")
        fake.push_message(3, "/idea -1 for bureaucracy, +1 for open data")
        for user in (1, 2, 3):
            await fake.wait_for_messages(user, 1)
        # Both exports must read the same state: wait until language detection has settled,
        # else the worker may label a row between the two runs.
        await fake.wait_for(lambda: _detected(bot.query(SETTLED)), timeout=20)
        env = {"TOWNHALL_DB": str(bot.settings.db_path)}
        code, out, err = await run_cli("export", "--format", "csv", env=env)
        assert code == 0, err
        target = tmp_path / "queue.csv"
        code, _, err = await run_cli("export", "--format", "csv", "--output", str(target), env=env)
        assert code == 0 and "3" in err

    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:7] == [
        "id",
        "kind",
        "status",
        "language",
        "text",
        "translation",
        "submitted_at",
    ]
    assert [r[1] for r in rows[1:]] == ["question", "question", "idea"]
    assert [r[3] for r in rows[1:]] == ["en", "ar", "en"]
    assert rows[1][4].startswith("'=HYPERLINK")
    assert rows[2][4] == "ما هي خطتكم لحماية الصحفيين؟"
    assert rows[3][4] == "'-1 for bureaucracy, +1 for open data"
    assert all(r[6].endswith("Z") and r[6][10] == "T" for r in rows[1:])
    participant = rows[0].index("participant")
    assert {r[participant] for r in rows[1:]}.isdisjoint({"1", "2", "3"})
    assert target.read_bytes().decode("utf-8") == out.replace("\n", "\r\n").replace("\r\r", "\r")


async def test_export_without_database_says_so(tmp_path: Path) -> None:
    code, out, err = await run_cli("export", env={"TOWNHALL_DB": str(tmp_path / "none.db")})
    assert code == 1 and "TOWNHALL_DB" in err and out == ""


async def test_token_never_logged_even_at_debug(fake: FakeTelegram, tmp_path: Path) -> None:
    env = bot_env(fake, tmp_path / "t.db", TOWNHALL_LOG_LEVEL="DEBUG")
    proc = BotProcess(env, tmp_path / "bot.log")
    await proc.start()
    await fake.wait_for(lambda: fake.active_polls > 0, timeout=20)
    fake.push_message(7, "A question that goes through the whole pipeline")
    fake.push_message(7, kind="sticker")
    await fake.wait_for_messages(7, 2)
    assert await proc.terminate() == 0
    log = proc.log_text()
    assert "DEBUG" in log  # the level really was DEBUG
    assert TOKEN not in log and TOKEN.split(":", 1)[1] not in log
    assert "A question that goes through" not in log  # participants' words stay out of logs


async def test_export_xlsx_json_filters_and_audit(fake: FakeTelegram, tmp_path: Path) -> None:
    import openpyxl

    env_bot = {"TOWNHALL_MODERATORS": "77"}
    async with running_bot(fake, tmp_path, **env_bot) as bot:
        fake.push_message(1, "=1+1 looks like a formula, and has a \x07 bell")
        fake.push_message(2, "/idea Una idea con acentos: ñandú, café")
        for user in (1, 2):
            await fake.wait_for_messages(user, 1)
        fake.push_message(77, "/approve 1")
        await fake.wait_for_messages(77, 1)
        db = {"TOWNHALL_DB": str(bot.settings.db_path)}
        xlsx = tmp_path / "queue.xlsx"
        code, _, err = await run_cli("export", "--format", "xlsx", "--output", str(xlsx), env=db)
        assert code == 0, err
        code, out, _ = await run_cli("export", "--format", "json", "--kind", "idea", env=db)
        ideas = json.loads(out)
        code, out, _ = await run_cli("export", "--format", "json", "--status", "approved", env=db)
        approved = json.loads(out)
        code, out, _ = await run_cli("export", "--format", "json", "--with-identities", env=db)
        identified = json.loads(out)
        code, out, _ = await run_cli("export", "--audit", env=db)
        audit = list(csv.reader(io.StringIO(out)))

    book = openpyxl.load_workbook(xlsx, read_only=True)
    try:  # read-only workbooks keep the file open until closed
        cells = [list(r) for r in book.active.iter_rows()]
    finally:
        book.close()
    rows = [[c.value for c in r] for r in cells]
    assert rows[0][:7] == ["id", "kind", "status", "language", "text", "translation",
                           "submitted_at"]  # fmt: skip
    # A string, not a formula: openpyxl reads a formula cell back as its "=..." text too, so
    # only the cell's type tells them apart ("s" string, "f" formula, "n" number).
    assert rows[1][4] == "=1+1 looks like a formula, and has a  bell"
    assert all(c.data_type == "s" for r in cells for c in r if c.value is not None)
    assert rows[2][4] == "Una idea con acentos: ñandú, café"
    assert [i["id"] for i in ideas] == [2] and ideas[0]["kind"] == "idea"
    assert [a["id"] for a in approved] == [1] and approved[0]["decided_by"] == "Test"
    assert approved[0]["position"] == 1 and approved[0]["votes"] == 0
    assert {r["participant"] for r in identified} == {"1", "2"}
    assert audit[0] == ["id", "submission_id", "actor", "action", "from_status", "to_status",
                        "reason", "at"]  # fmt: skip
    assert audit[1][1:6] == ["1", "Test", "approve", "pending", "approved"]
