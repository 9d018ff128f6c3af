"""The database's files, kept 0600, and the read-only connection exports read from.

Plain sqlite3 and os, no asyncio or aiosqlite: `townhall-bot export` loads this module and not
storage.db (the writer connection and migrations), which re-exports everything here.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path

# Readers (exports while the bot runs) wait this long for the writer instead of failing.
BUSY_TIMEOUT_MS = 5000
# Files that hold participants' words (the database and its journals, backups, exports) are
# readable by their owner only, whatever the umask; folders we create for them likewise.
PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700
_JOURNALS = ("-wal", "-shm", "-journal")
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def open_reader(path: str | Path) -> sqlite3.Connection:
    """A read-only connection for exports: streams rows while the bot keeps writing (WAL)."""
    private_database_files(path, create=False)  # SQLite may create the -shm for a reader
    uri = f"file:{Path(path).resolve()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def create_private_file(path: str | Path, *, replace: bool = False) -> int:
    """Create `path` for writing, mode 0600 whatever the umask; returns its open descriptor.

    Never writes through a symlink or over what is there: an existing path (a file, a
    directory, a symlink even dangling) raises FileExistsError. With `replace`, an existing
    file or symlink is removed first (the link itself, never what it points to); a directory
    still raises IsADirectoryError.
    """
    target = Path(path)
    if replace:
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            pass
        else:
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
            target.unlink()
    # O_EXCL alone refuses any existing name, a dangling symlink included; O_NOFOLLOW too.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
    descriptor = os.open(target, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # a umask may have removed owner bits too
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def private_database_files(path: str | Path, *, create: bool) -> None:
    """Make the database file (created if `create` and missing) and its -wal, -shm and
    -journal readable and writable by their owner only: a new or empty file becomes exactly
    0600, one with content loses every permission beyond 0600 (it is never widened).

    Follows a symlink the operator set for TOWNHALL_DB, as SQLite does. Best effort: a file
    whose mode cannot be changed is left for SQLite to report, and logged.

    Existing files are never opened here, only stat'ed and chmod'ed by name: closing any
    descriptor of the database file drops every POSIX lock this process holds on it,
    SQLite's included (an in-chat /export runs in the bot's process, beside its open
    connection); without it, another program closing its own connection (a backup, `export`)
    takes itself for the last one and deletes the -wal and -shm from under the running bot.
    """
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return
    database = Path(path)
    _narrow(database, create)
    for journal in journals_of(database):
        _narrow(journal, create=False)


def _narrow(name: Path, create: bool) -> None:
    try:
        info = os.stat(name)
    except FileNotFoundError:
        if create:
            _create_empty_private(name)
        return
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a folder in the way: SQLite will say
        return
    mode = stat.S_IMODE(info.st_mode)
    wanted = PRIVATE_FILE_MODE if info.st_size == 0 else mode & PRIVATE_FILE_MODE
    if mode == wanted:
        return
    try:
        os.chmod(name, wanted)
    except OSError as error:
        import logging  # only here: the export command loads no logging otherwise

        logging.getLogger("storage.db").warning(
            "%s: could not make it 0600 (%s)", name, error.strerror
        )


def _create_empty_private(name: Path) -> None:
    """A new, empty 0600 file (no one has it open: closing it drops no one's lock)."""
    try:
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600)
    except OSError:
        return  # created meanwhile, or a folder we cannot write: SQLite will say
    os.fchmod(descriptor, PRIVATE_FILE_MODE)  # whatever the umask
    os.close(descriptor)


def journals_of(database: Path) -> list[Path]:
    return [database.with_name(database.name + suffix) for suffix in _JOURNALS]
