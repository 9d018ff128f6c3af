"""The `townhall-bot` command: run | check | export | stats | backup | restore."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

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
    export = commands.add_parser("export", help="export submissions")
    export.add_argument("--format", choices=("csv",), default="csv", help="file format (csv)")
    export.add_argument(
        "--output", "-o", type=Path, help="write to this file instead of standard output"
    )
    stats = commands.add_parser("stats", help="figures about the bot")
    stats.add_argument("--ops", action="store_true", help="queue depths and ages (as /healthz)")
    backup = commands.add_parser("backup", help="online copy of the database (safe while running)")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser(
        "restore", help="replace the database with a backup (bot stopped)"
    )
    restore.add_argument("path", type=Path)
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
    configure_logging(settings.log_level, [settings.token, settings.translator_key])
    handlers = {
        "run": lambda: _run(settings, args.health_port),
        "check": lambda: _check(settings),
        "export": lambda: _export(settings, args.output),
        "stats": lambda: _stats(settings),
        "backup": lambda: _backup(settings, args.path),
        "restore": lambda: _restore(settings, args.path),
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


def _export(settings: Settings, output: Path | None) -> int:
    from bot.services.export import write_csv
    from storage.db import open_reader
    from storage.repository import iter_export_rows

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE
    conn = open_reader(settings.db_path)
    try:
        if output is None:
            write_csv(iter_export_rows(conn), sys.stdout)
            sys.stdout.flush()
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = write_csv(iter_export_rows(conn), handle)
            print(f"exported {count} submissions to {output}", file=sys.stderr)
    finally:
        conn.close()
    return EXIT_OK


def _stats(settings: Settings) -> int:
    from bot.ops import health_document
    from storage import Repository, open_database

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE

    async def figures() -> tuple[int, dict[str, object]]:
        db = await open_database(settings.db_path)
        try:
            return health_document(await Repository(db).ops_figures(time.time()))
        finally:
            await db.close()

    status, body = asyncio.run(figures())
    print(json.dumps(body, indent=2))
    return EXIT_OK if status == 200 else EXIT_FAILURE


def _backup(settings: Settings, target: Path) -> int:
    from storage.db import backup_database, integrity_problems

    if not settings.db_path.exists():
        print(f"townhall-bot: no database at {settings.db_path} (TOWNHALL_DB)", file=sys.stderr)
        return EXIT_FAILURE
    if target.exists():
        print(f"townhall-bot: {target} exists; choose a new file name", file=sys.stderr)
        return EXIT_FAILURE
    pages = backup_database(settings.db_path, target)
    problems = integrity_problems(target)
    if problems:
        print(f"townhall-bot: the copy is damaged: {problems[:3]}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"backed up {settings.db_path} to {target} ({pages} pages, integrity ok)")
    return EXIT_OK


def _restore(settings: Settings, source: Path) -> int:
    from bot.ops import AlreadyRunning, hold_database_lock
    from storage.db import integrity_problems

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
        shutil.copyfile(source, settings.db_path)
    finally:
        lock.close()
    print(f"restored {settings.db_path} from {source}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
