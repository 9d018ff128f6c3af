"""The `townhall-bot` command: run | export. One place for every entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
_log = logging.getLogger("townhall")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="townhall-bot",
        description="A Telegram bot for a Global Town Hall. Configured by environment "
        "variables: see README.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the bot (long polling)")
    export = commands.add_parser("export", help="export submissions")
    export.add_argument("--format", choices=("csv",), default="csv", help="file format (csv)")
    export.add_argument(
        "--output", "-o", type=Path, help="write to this file instead of standard output"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "run":
            settings.require_token()
    except ConfigError as error:
        print(f"townhall-bot: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, [settings.token, settings.translator_key])
    if args.command == "run":
        return _run(settings)
    return _export(settings, args.output)


def _run(settings: Settings) -> int:
    from bot.runner import StartupError, run_polling

    try:
        asyncio.run(run_polling(settings))
    except StartupError as error:
        print(f"townhall-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


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


if __name__ == "__main__":
    raise SystemExit(main())
