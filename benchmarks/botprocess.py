"""The bot as a process against a fake Bot API, as benchmarks run it (and as production does)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


async def start_bot(
    fake: FakeTelegram, workdir: Path, launcher: tuple[str, ...] = ("-m", "bot", "run"), **env: str
) -> asyncio.subprocess.Process:
    """`townhall-bot run` with a database in `workdir`, quiet logs, and `env` on top (the
    caller's own TELEGRAM_*/TOWNHALL_* variables are left out, so a run is reproducible).
    `launcher`: the interpreter's arguments (a benchmark may start a variant with `-c`)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TOWNHALL_"))}
    clean.update(
        TELEGRAM_BOT_TOKEN="1:BENCH",
        TELEGRAM_API_URL=fake.api_url,
        PYTHONPATH=str(ROOT),
        TOWNHALL_DB=str(workdir / "townhall.db"),
        TOWNHALL_LOG_LEVEL="WARNING",
    )
    clean.update(env)
    return await asyncio.create_subprocess_exec(
        sys.executable, *launcher, env=clean, cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def settled(fake: FakeTelegram, quiet: float = 1.0) -> None:
    """Start-up work (the menus in 20 languages) is over: no call but the long poll."""
    while True:
        seen = len(fake.requests)
        await asyncio.sleep(quiet)
        if all(c.method == "getUpdates" for c in fake.requests[seen:]):
            return
