"""Files that hold participants' words are readable by their owner only, whatever the umask:
the database and its -wal and -shm, `backup` copies, `export --output` files and the in-chat
export's temporary file (0600, its folder 0700). `backup` and `export --output` never write
through a symlink (dangling or not) or over an existing file without --force: one line on
standard error, exit code 2, and nothing touched.

Every test runs under umask 0o022 (the common default, which alone would give 0644); the CLI
and the bot run as child processes, which inherit it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services.export import export_to_file
from bot.telegram.handlers import organizer
from storage.db import create_private_file, open_database
from storage.export import ExportFilter
from tests.conftest import bot_env, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import BotProcess, run_cli

ORGANIZER = 901


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def journals(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]


def refused(code: int, err: str) -> bool:
    """Exit code 2 and exactly one line on standard error."""
    return code == 2 and err.startswith("townhall-bot: ") and err.count("\n") == 1


async def make_database(path: Path) -> None:
    db = await open_database(path)
    await db.close()


# ---- the database ----------------------------------------------------------------------------


async def test_the_running_bot_creates_its_database_and_journals_0600(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "townhall.db"
    proc = BotProcess(bot_env(fake, db), tmp_path / "bot.log")
    await proc.start()
    try:
        await fake.wait_for(lambda: fake.active_polls > 0, timeout=20)
        fake.push_message(5, "A question so that the bot writes to its database")
        await fake.wait_for_messages(5, 1, timeout=10)
        for path in (db, *journals(db)):
            assert path.exists(), path
            assert mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        assert await proc.terminate() == 0, proc.log_text()


async def test_an_existing_wider_database_and_its_journals_are_narrowed(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await make_database(db)
    os.chmod(db, 0o644)
    # A connection left open keeps the -wal and -shm, made with the main file's 0644.
    holder = sqlite3.connect(db)
    try:
        holder.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
        holder.execute("INSERT INTO scratch VALUES (1)")
        holder.commit()
        assert [mode(p) for p in (db, *journals(db))] == [0o644] * 3
        code, _, err = await run_cli("stats", env={"TOWNHALL_DB": str(db)})
        assert code == 0, err
        assert [mode(p) for p in (db, *journals(db))] == [0o600] * 3
    finally:
        holder.close()


async def test_an_export_narrows_a_wider_database_too(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await make_database(db)
    os.chmod(db, 0o664)
    code, _, err = await run_cli("export", env={"TOWNHALL_DB": str(db)})
    assert code == 0, err
    assert mode(db) == 0o600


async def test_restore_writes_the_database_0600(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    await make_database(source)
    backup = tmp_path / "backup.db"
    code, _, err = await run_cli("backup", str(backup), env={"TOWNHALL_DB": str(source)})
    assert code == 0, err
    restored = tmp_path / "restored.db"
    code, _, err = await run_cli("restore", str(backup), env={"TOWNHALL_DB": str(restored)})
    assert code == 0, err
    assert mode(restored) == 0o600


# ---- backup ----------------------------------------------------------------------------------


async def test_backup_is_0600_and_refuses_what_is_in_the_way(tmp_path: Path) -> None:
    db = tmp_path / "townhall.db"
    await make_database(db)
    env = {"TOWNHALL_DB": str(db)}
    copy = tmp_path / "backup.db"
    code, _, err = await run_cli("backup", str(copy), env=env)
    assert code == 0, err
    assert mode(copy) == 0o600
    assert not any(p.exists() for p in journals(copy))

    # An existing file: refused, left exactly as it was.
    before = copy.read_bytes()
    code, _, err = await run_cli("backup", str(copy), env=env)
    assert refused(code, err) and "--force" in err, (code, err)
    assert copy.read_bytes() == before

    # A symlink to a file, and a dangling one: never written through.
    victim = tmp_path / "victim.txt"
    victim.write_text("not a database")
    link, dangling = tmp_path / "link.db", tmp_path / "dangling.db"
    link.symlink_to(victim)
    dangling.symlink_to(tmp_path / "nowhere.db")
    for path in (link, dangling):
        code, _, err = await run_cli("backup", str(path), env=env)
        assert refused(code, err) and "symbolic link" in err, (path, code, err)
        assert path.is_symlink()
    assert victim.read_text() == "not a database"
    assert not (tmp_path / "nowhere.db").exists()

    # A directory: refused, even with --force.
    folder = tmp_path / "folder"
    folder.mkdir()
    code, _, err = await run_cli("backup", str(folder), "--force", env=env)
    assert refused(code, err), (code, err)

    # --force replaces a file (made 0644 here) and a symlink itself, never its target.
    os.chmod(copy, 0o644)
    for path in (copy, link, dangling):
        code, _, err = await run_cli("backup", str(path), "--force", env=env)
        assert code == 0, err
        assert not path.is_symlink() and mode(path) == 0o600
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert victim.read_text() == "not a database"
    assert not (tmp_path / "nowhere.db").exists()


# ---- export --output -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
async def test_export_output_is_0600_and_refuses_what_is_in_the_way(
    tmp_path: Path, fmt: str
) -> None:
    db = tmp_path / "townhall.db"
    await make_database(db)
    env = {"TOWNHALL_DB": str(db)}
    out = tmp_path / f"queue.{fmt}"
    code, _, err = await run_cli("export", "--format", fmt, "--output", str(out), env=env)
    assert code == 0, err
    assert mode(out) == 0o600

    out.write_bytes(b"precious")
    code, _, err = await run_cli("export", "--format", fmt, "--output", str(out), env=env)
    assert refused(code, err) and "--force" in err, (code, err)
    assert out.read_bytes() == b"precious"

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link, dangling = tmp_path / f"link.{fmt}", tmp_path / f"dangling.{fmt}"
    link.symlink_to(victim)
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (link, dangling):
        code, _, err = await run_cli("export", "--format", fmt, "-o", str(path), env=env)
        assert refused(code, err) and "symbolic link" in err, (path, code, err)
        assert path.is_symlink()
    assert victim.read_text() == "keep me" and not (tmp_path / "nowhere").exists()

    os.chmod(out, 0o644)
    for path in (out, link, dangling):
        code, _, err = await run_cli(
            "export", "--format", fmt, "--output", str(path), "--force", env=env
        )
        assert code == 0, err
        assert not path.is_symlink() and mode(path) == 0o600 and path.stat().st_size > 0
    assert victim.read_text() == "keep me" and not (tmp_path / "nowhere").exists()


# ---- the in-chat /export ---------------------------------------------------------------------


async def test_in_chat_export_file_is_0600_in_a_0700_folder(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, str]] = []
    paths: list[Path] = []

    def spy(db_path: Path, fmt: str, where: ExportFilter, path: Path) -> int:
        count = export_to_file(db_path, fmt, where, path)
        seen.append((mode(path), mode(path.parent), fmt))
        paths.append(path)
        return count

    monkeypatch.setattr(organizer, "export_to_file", spy)
    async with running_bot(fake, tmp_path, TOWNHALL_ORGANIZERS=str(ORGANIZER)) as bot:
        fake.push_message(5, "What will the ministry do for the press?")
        await fake.wait_for_messages(5, 1)
        for n, fmt in enumerate(("csv", "xlsx", "json")):
            fake.push_message(ORGANIZER, f"/export {fmt}")
            [*_, document] = await fake.wait_for_messages(ORGANIZER, n + 1)
            assert document.document is not None
        assert mode(bot.settings.db_path) == 0o600
    assert seen == [(0o600, 0o700, "csv"), (0o600, 0o700, "xlsx"), (0o600, 0o700, "json")]
    assert not any(path.parent.exists() for path in paths)  # deleted once sent


# ---- the helper ------------------------------------------------------------------------------


def test_private_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    for n, umask in enumerate((0o000, 0o022, 0o077, 0o277)):
        os.umask(umask)
        path = tmp_path / f"f{n}"
        descriptor = create_private_file(path)
        os.close(descriptor)
        assert mode(path) == 0o600, oct(umask)
    os.umask(0o022)
    with pytest.raises(FileExistsError):
        os.close(create_private_file(tmp_path / "f0"))
    (tmp_path / "dangling").symlink_to(tmp_path / "absent")
    with pytest.raises(FileExistsError):
        os.close(create_private_file(tmp_path / "dangling"))
    assert not (tmp_path / "absent").exists()


async def test_a_database_created_under_any_umask_is_0600(tmp_path: Path) -> None:
    for umask in (0o000, 0o002, 0o022, 0o077, 0o277):
        os.umask(umask)
        db = tmp_path / f"umask-{umask:03o}.db"
        database = await open_database(db)
        try:
            await database.fetchall("SELECT count(*) FROM submissions")
            assert [mode(p) for p in (db, *journals(db))] == [0o600] * 3, oct(umask)
        finally:
            await database.close()
