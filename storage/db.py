"""Connection, PRAGMAs and migrations.

One aiosqlite connection does all the writing (SQLite allows one writer at a time anyway; a
single connection avoids SQLITE_BUSY between our own coroutines). An asyncio lock keeps one
coroutine's transaction from interleaving with another's statements on that connection.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import MigrationError

# The files' modes and the read-only connection live in storage.files (no asyncio there, for
# the export command); re-exported here, where callers have always found them.
from storage.files import BUSY_TIMEOUT_MS as BUSY_TIMEOUT_MS
from storage.files import PRIVATE_FILE_MODE as PRIVATE_FILE_MODE
from storage.files import PRIVATE_FOLDER_MODE as PRIVATE_FOLDER_MODE
from storage.files import create_private_file as create_private_file
from storage.files import journals_of
from storage.files import open_reader as open_reader
from storage.files import private_database_files as private_database_files

_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")


def migrations() -> list[tuple[int, str]]:
    """The numbered migrations shipped in storage/schema, in order."""
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.schema").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def schema_version() -> int:
    return len(migrations())


async def _apply_pragmas(conn: aiosqlite.Connection) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the
    # last commits), and it spares an fsync per commit during a burst.
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    # Deleted or overwritten content is zeroed on disk, not left in free pages: erasure on
    # request (/forget) must really erase.
    await conn.execute("PRAGMA secure_delete = ON")


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    available = migrations()
    if current > len(available):
        raise MigrationError(
            f"the database is at schema version {current}, newer than this program "
            f"({len(available)}); upgrade townhall-bot"
        )
    for number, sql in available[current:]:
        try:
            await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error as exc:
            await conn.rollback()
            raise MigrationError(f"migration {number} failed: {exc}") from exc


class Database:
    """The writer connection plus the lock that serialises transactions on it."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        async with self._lock:
            await self._conn.execute_fetchall("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            await self._conn.commit()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """One statement, atomic on its own (autocommit), rows returned in one round trip.

        Also for single-statement writes (UPDATE ... RETURNING): the lock keeps it out of any
        transaction another coroutine has open on this connection.
        """
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, tuple(params))
        return list(rows)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def checkpoint(self) -> bool:
        """Move the WAL into the main file and truncate it (erased pages leave the -wal too).
        False when a reader's snapshot kept it from completing: SQLite then truncates
        nothing, and says so only in the result, which must not be ignored."""
        async with self._lock:
            rows = list(await self._conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
        busy, log_frames, done = rows[0] if rows else (1, -1, -1)
        return int(busy) == 0 and int(log_frames) == int(done)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()


async def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the database file, set PRAGMAs and run pending migrations.

    The file is created 0600 before SQLite first opens it (SQLite gives its -wal and -shm the
    main file's mode), and an existing one wider than that is narrowed, journals included.
    """
    private_database_files(path, create=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await _apply_pragmas(conn)
        await _migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return Database(conn, str(path))


def backup_database(source: str | Path, target: str | Path, *, replace: bool = False) -> int:
    """An online, consistent copy through SQLite's backup API; returns the pages copied.

    Safe while the bot writes: the backup API copies a consistent snapshot and restarts by
    itself if the source changes under it. The copy is created 0600 and never through a
    symlink or over an existing file unless `replace` (see `create_private_file`); a failed
    copy is removed.
    """
    private_database_files(source, create=False)
    target = Path(target)
    descriptor = create_private_file(target, replace=replace)
    copied = 0

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal copied
        copied = total

    try:
        src = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True)
        try:
            # SQLite opens by name the empty file made above, and its journal gets that mode.
            dst = sqlite3.connect(str(target))
            try:
                src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                src.backup(dst, pages=256, progress=progress)
                # A backup is one self-contained file: not left in WAL mode with a -wal beside it.
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except BaseException:
        for name in (target, *journals_of(target)):
            name.unlink(missing_ok=True)
        raise
    finally:
        os.close(descriptor)
    return copied


def integrity_problems(path: str | Path) -> list[str]:
    """SQLite's own integrity check; an empty list when the file is sound."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return [] if rows == [("ok",)] else [str(r[0]) for r in rows]
