"""The `townhall-bot` command: run | check | export | stats | backup | restore."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_for
from storage.models import Kind, Status

if TYPE_CHECKING:  # the commands import only what they need when they run
    from storage import Stores
    from storage.erasure import PostEdits

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
        "export": lambda: _export(settings, args),
        "stats": lambda: _stats(settings, args.ops, args.chart),
        "backup": lambda: _backup(settings, args.path, args.force),
        "restore": lambda: _restore(settings, args.path),
        "purge": lambda: _purge(settings, args.older_than),
    }
    return handlers[args.command]()


def _settings(args: argparse.Namespace) -> Settings:
    """Environment first; `run`'s flags override it."""
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
    from bot.runner import StartupError, run_bot

    try:
        asyncio.run(run_bot(settings, health_port=health_port))
    except StartupError as error:
        print(f"townhall-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _check(settings: Settings) -> int:
    from bot.check import run_checks

    results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line())
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILURE


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import export
    from storage.db import open_reader
    from storage.export import (
        AUDIT_COLUMNS,
        ExportFilter,
        iter_audit_rows,
        iter_export_rows,
    )

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        print("townhall-bot: an XLSX file is binary: use --output PATH", file=sys.stderr)
        return EXIT_USAGE
    if args.output is not None and (refusal := _refusal(args.output, args.force)):
        return _refuse(refusal)
    where = ExportFilter(tuple(args.status or ()), args.kind, args.with_identities)
    conn = open_reader(settings.db_path)
    try:
        rows = iter_audit_rows(conn) if args.audit else iter_export_rows(conn, where)
        columns = tuple(AUDIT_COLUMNS) if args.audit else export.COLUMNS
        count = _write_export(args.format, rows, columns, args.output, args.bom, args.force)
    except _Refused as refused:
        return _refuse(str(refused))
    finally:
        conn.close()
    if args.output is not None:
        print(f"exported {count} rows to {args.output}", file=sys.stderr)
    return EXIT_OK


def _write_export(
    fmt: str,
    rows: Iterable[Sequence[object]],
    columns: Sequence[str],
    output: Path | None,
    bom: bool = False,
    force: bool = False,
) -> int:
    from bot.services import export

    writer = export.write_csv if fmt == "csv" else export.write_json
    bom = bom and fmt == "csv"
    if output is None:
        if fmt == "xlsx":
            count = export.write_xlsx(rows, sys.stdout.buffer, columns)
            sys.stdout.buffer.flush()
            return count
        if bom:
            sys.stdout.write("\ufeff")
        count = writer(rows, sys.stdout, columns)
        sys.stdout.flush()
        return count
    descriptor = _new_private_file(output, force)
    try:
        if fmt == "xlsx":
            with os.fdopen(descriptor, "wb") as binary:
                return export.write_xlsx(rows, binary, columns)
        encoding = "utf-8-sig" if bom else "utf-8"
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
            return writer(rows, handle, columns)
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
    """`target` created 0600 (storage.db.create_private_file), or _Refused."""
    from storage.db import create_private_file

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
