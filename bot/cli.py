"""The `townhall-bot` command: run | check | export | stats | backup | restore.

Each command imports what it needs when it runs. `export` reads TOWNHALL_DB and no other
setting, and loads no Telegram, asyncio, aiosqlite, logging set-up or event file (see
`python -X importtime -m bot export`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from storage.models import Kind, Status

if TYPE_CHECKING:  # the commands import only what they need when they run
    import sqlite3

    from bot.config import Settings
    from storage import Stores
    from storage.erasure import PostEdits
    from storage.export import ExportQuery

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="townhall-bot",
        description="A Telegram bot for a Global Town Hall. Configured by environment "
        "variables: see README.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--webhook-url", help="receive updates at this https URL (webhook mode)")
    run.add_argument("--listen", help="address the webhook server binds (default 127.0.0.1)")
    run.add_argument("--port", type=int, help="port of the webhook server (default 8443)")
    run.add_argument("--health-port", type=int, help="polling mode: serve /healthz on this port")
    commands.add_parser("check", help="preflight: token, group, translator, database, languages")
    export = commands.add_parser("export", help="export submissions (or the audit log)")
    export.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv")
    export.add_argument(
        "--output",
        "-o",
        type=Path,
        help="write to this new file (mode 0600) instead of standard output",
    )
    export.add_argument(
        "--force", action="store_true", help="replace an existing --output file or symlink"
    )
    export.add_argument(
        "--status",
        action="append",
        choices=[s.value for s in Status],
        help="only this status (repeatable)",
    )
    export.add_argument("--kind", choices=[k.value for k in Kind], help="only questions or ideas")
    export.add_argument(
        "--with-identities",
        action="store_true",
        help="Telegram user ids instead of pseudonyms (people at risk: think twice)",
    )
    export.add_argument("--audit", action="store_true", help="the moderation log instead")
    export.add_argument(
        "--bom",
        action="store_true",
        help="start a CSV with a byte order mark, so that Excel reads it as UTF-8",
    )
    stats = commands.add_parser("stats", help="figures about the bot")
    stats.add_argument("--ops", action="store_true", help="queue depths and ages (as /healthz)")
    stats.add_argument("--chart", type=Path, help="also write the per-language chart (PNG)")
    backup = commands.add_parser("backup", help="online copy of the database (safe while running)")
    backup.add_argument("path", type=Path, help="a new file (mode 0600)")
    backup.add_argument(
        "--force", action="store_true", help="replace an existing file or symlink at PATH"
    )
    restore = commands.add_parser(
        "restore", help="replace the database with a backup (bot stopped)"
    )
    restore.add_argument("path", type=Path)
    purge = commands.add_parser("purge", help="erase the texts of old submissions")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "export":  # reads TOWNHALL_DB and nothing else
        return _export(_database_path(), args)
    from bot.config import ConfigError
    from bot.logs import configure_for

    try:
        settings = _settings(args)
        if args.command in ("run", "check"):
            settings.require_token()
    except ConfigError as error:
        print(f"townhall-bot: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_for(settings)
    handlers = {
        "run": lambda: _run(settings, args.health_port),
        "check": lambda: _check(settings),
        "stats": lambda: _stats(settings, args.ops, args.chart),
        "backup": lambda: _backup(settings, args.path, args.force),
        "restore": lambda: _restore(settings, args.path),
        "purge": lambda: _purge(settings, args.older_than),
    }
    return handlers[args.command]()


def _settings(args: argparse.Namespace) -> Settings:
    """Environment first; `run`'s flags override it."""
    import dataclasses

    from bot.config import ConfigError, load_settings

    settings = load_settings()
    if args.command != "run":
        return settings
    overrides = {
        "webhook_url": args.webhook_url,
        "listen": args.listen,
        "port": args.port,
    }
    settings = dataclasses.replace(
        settings, **{k: v for k, v in overrides.items() if v is not None}
    )
    if settings.webhook_url and not settings.webhook_url.startswith("https://"):
        raise ConfigError("--webhook-url", "Telegram only calls https:// URLs")
    return settings


def _run(settings: Settings, health_port: int | None) -> int:
    import asyncio

    from bot.runner import StartupError, run_bot

    try:
        asyncio.run(run_bot(settings, health_port=health_port))
    except StartupError as error:
        print(f"townhall-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _check(settings: Settings) -> int:
    import asyncio

    from bot.check import run_checks

    results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line())
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILURE


def _database_path() -> Path:
    """TOWNHALL_DB, read as bot.config.load_settings reads it: all that `export` needs, so
    it loads and checks no other setting."""
    return Path(os.environ.get("TOWNHALL_DB", "").strip() or "townhall.db")


def _export(db_path: Path, args: argparse.Namespace) -> int:
    from storage.export import ExportFilter, audit_query, submission_query
    from storage.files import open_reader

    if not db_path.exists():
        print(f"townhall-bot: no database at {db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        print("townhall-bot: an XLSX file is binary: use --output PATH", file=sys.stderr)
        return EXIT_USAGE
    if args.output is not None and (refusal := _refusal(args.output, args.force)):
        return _refuse(refusal)
    where = ExportFilter(tuple(args.status or ()), args.kind, args.with_identities)
    query = audit_query() if args.audit else submission_query(where)
    conn = open_reader(db_path)
    try:
        count = _write_export(conn, query, args.format, args.output, args.bom, args.force)
    except _Refused as refused:
        return _refuse(str(refused))
    finally:
        conn.close()
    if args.output is not None:
        print(f"exported {count} rows to {args.output}", file=sys.stderr)
    return EXIT_OK


def _write_export(
    conn: sqlite3.Connection,
    query: ExportQuery,
    fmt: str,
    output: Path | None,
    bom: bool = False,
    force: bool = False,
) -> int:
    """Rendered by SQLite (bot.services.export.write_export), written as UTF-8 bytes: to
    standard output, or to a new file."""
    from bot.services.export import export_format, write_export

    kind = export_format(fmt)

    def write(out: IO[bytes]) -> int:
        return write_export(conn, query, kind, out, bom=bom)

    if output is None:
        sys.stdout.flush()
        count = write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return count
    descriptor = _new_private_file(output, force)
    try:
        with os.fdopen(descriptor, "wb") as binary:
            return write(binary)
    except BaseException:
        output.unlink(missing_ok=True)  # ours, half written
        raise


class _Refused(Exception):
    """A path the command will not write to; the message is the line for standard error."""


def _refusal(target: Path, force: bool) -> str | None:
    """Why a new file may not be written at `target`, or None. A symlink, even one pointing
    nowhere, is never written through; --force replaces the link itself, or a file."""
    if target.is_symlink():
        if force:
            return None
        return (
            f"{target} is a symbolic link; not writing through it "
            "(--force replaces the link itself)"
        )
    if target.is_dir():
        return f"{target} is a directory; give a file name"
    if target.exists() and not force:
        return f"{target} already exists; choose a new file name, or add --force to replace it"
    return None


def _new_private_file(target: Path, force: bool) -> int:
    """`target` created 0600 (storage.files.create_private_file), or _Refused."""
    from storage.files import create_private_file

    refusal = _refusal(target, force)
    if refusal is not None:
        raise _Refused(refusal)
    try:
        return create_private_file(target, replace=force)
    except (FileExistsError, IsADirectoryError):  # appeared since the check above
        raise _Refused(_refusal(target, False) or f"{target} is in the way") from None


def _refuse(message: str) -> int:
    print(f"townhall-bot: {message}", file=sys.stderr)
    return EXIT_USAGE


def _stats(settings: Settings, ops: bool, chart: Path | None) -> int:
    import asyncio
    import dataclasses
    import json
    import time

    from bot.ops import health_document
    from storage import open_database
    from storage.statistics import StatisticsStore

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE

    async def read() -> tuple[int, dict[str, object]]:
        db = await open_database(settings.db_path)
        try:
            figures = StatisticsStore(db)
            if ops:
                # As the running bot last recorded them (a worker that keeps failing).
                workers = {n: json.loads(s) for n, s in (await figures.worker_states()).items()}
                return health_document(await figures.ops_figures(time.time()), workers)
            stats = await figures.statistics()
        finally:
            await db.close()
        if chart is not None:
            from bot.chart import funnel_png

            labels = ("received", "shortlisted or further", "approved")
            chart.write_bytes(funnel_png(stats, labels, "Submissions per language"))
        return 200, dataclasses.asdict(stats)

    status, body = asyncio.run(read())
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return EXIT_OK if status == 200 else EXIT_FAILURE


def _backup(settings: Settings, target: Path, force: bool) -> int:
    from storage.db import backup_database, integrity_problems

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE
    if refusal := _refusal(target, force):
        return _refuse(refusal)
    try:
        pages = backup_database(settings.db_path, target, replace=force)
    except (FileExistsError, IsADirectoryError):  # appeared since the check above
        return _refuse(_refusal(target, False) or f"{target} is in the way")
    problems = integrity_problems(target)
    if problems:
        print(f"townhall-bot: the copy is damaged: {problems[:3]}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"backed up {settings.db_path} to {target} ({pages} pages, integrity ok)")
    return EXIT_OK


def _restore(settings: Settings, source: Path) -> int:
    import shutil

    from bot.ops import AlreadyRunning, hold_database_lock
    from storage.db import integrity_problems, private_database_files

    if not source.exists() or integrity_problems(source):
        print(f"townhall-bot: {source} is not a sound database", file=sys.stderr)
        return EXIT_FAILURE
    try:
        lock = hold_database_lock(settings.db_path)
    except AlreadyRunning:
        print(
            f"townhall-bot: the bot is running on {settings.db_path}; stop it first",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    try:
        for suffix in ("-wal", "-shm"):  # stale journal files would be applied to the backup
            settings.db_path.with_name(settings.db_path.name + suffix).unlink(missing_ok=True)
        private_database_files(settings.db_path, create=True)  # copied into a 0600 file
        shutil.copyfile(source, settings.db_path)
    finally:
        lock.close()
    print(f"restored {settings.db_path} from {source}")
    return EXIT_OK


def _purge(settings: Settings, days: int) -> int:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from storage import Stores, open_database
    from storage.participants import ParticipantStore

    if days < 0:
        print("townhall-bot: --older-than needs a number of days, 0 or more", file=sys.stderr)
        return EXIT_USAGE
    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE

    async def purge() -> int:
        db = await open_database(settings.db_path)
        try:
            now = datetime.now(UTC)
            cutoff = now - timedelta(days=days)
            edits = _post_edits(settings, Stores.on(db))
            # The moderators' posts show the purged texts erased: queued with the purge, and
            # sent by the running bot.
            return await ParticipantStore(db).purge_older_than(cutoff, now, edits)
        finally:
            await db.close()

    erased = asyncio.run(purge())
    print(f"erased the texts of {erased} submissions older than {days} days")
    return EXIT_OK


def _post_edits(settings: Settings, stores: Stores) -> PostEdits:
    """The edits of the moderators' posts, as the bot itself would make them."""
    from datetime import UTC, datetime

    from bot.i18n import load_locales
    from bot.services.feed import FeedService
    from bot.services.readers import Readers
    from bot.services.replies import ReplyWriter

    readers = Readers(
        stores.participants, stores.parties, load_locales(settings.locales_dir), settings.language
    )
    replies = ReplyWriter(stores.outbox, lambda: None, lambda: datetime.now(UTC))
    feed = FeedService(
        stores.moderation,
        stores.submissions,
        readers,
        replies,
        settings.moderator_chat,
        lambda: datetime.now(UTC),
    )
    return feed.post_edits


if __name__ == "__main__":
    raise SystemExit(main())
