"""Export speed and memory: 100k generated submissions in CSV, XLSX and JSON, next to the
sqlite3 command-line shell dumping the same rows as CSV, in the same run.

Each export runs in a fresh process that reports its own peak RSS; "memory flat as rows grow"
is shown by running 25k and 100k rows. Needs the `sqlite3` shell (Debian: apt install sqlite3).

    python benchmarks/export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import open_database  # noqa: E402

WORDS = ["civil", "society", "question", "budget", "youth", "climate", "press", "freedom"]
MEASURE = """
import resource, sys
from bot.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def make_database(path: Path, rows: int) -> None:
    import asyncio

    async def create() -> None:
        db = await open_database(path)
        await db.close()

    asyncio.run(create())
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO participants (user_id, pseudonym, created_at) VALUES (?, ?, ?)",
        [(u, f"P-{u:010X}", "2026-11-26T10:00:00Z") for u in range(1, 5001)],
    )
    conn.executemany(
        "INSERT INTO submissions (chat_id, message_id, participant_id, kind, status, text,"
        " locale, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                u := rng.randint(1, 5000),
                n,
                u,
                rng.choice(("question", "idea")),
                rng.choice(("pending", "approved", "rejected")),
                " ".join(rng.choices(WORDS, k=rng.randint(8, 40))) + "?",
                "en",
                "en",
                "2026-11-26T10:00:00Z",
                "2026-11-26T10:00:00Z",
            )
            for n in range(1, rows + 1)
        ),
    )
    conn.commit()
    conn.close()


def timed(command: list[str], env: dict[str, str], output: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one export process."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    rss_kib = int(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else 0
    assert output.exists() and output.stat().st_size > 0
    return seconds, rss_kib / 1024


def sqlite_shell(db: Path, output: Path) -> float:
    sql = (
        "SELECT s.id, s.kind, s.status, s.language, s.text, s.translation, s.created_at"
        " FROM submissions s JOIN participants p ON p.user_id = s.participant_id ORDER BY s.id;"
    )
    started = time.perf_counter()
    with output.open("w") as handle:
        subprocess.run(["sqlite3", "-csv", "-header", str(db), sql], stdout=handle, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        sys.exit("needs the sqlite3 shell (apt install sqlite3)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(
        f"{args.rows // 4:,} and {args.rows:,} generated rows, one run each (no network, no "
        "pacing); each export a fresh process (`townhall-bot export --format F --output FILE`)"
    )
    print(
        "vs sqlite3 = wall seconds / the sqlite3 shell's seconds dumping the same rows as CSV, "
        "same run; peak MiB = the export process's peak RSS\n",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'rows':>8} {'format':>7} {'seconds':>8} {'peak MiB':>9} {'vs sqlite3':>11}")
        for rows in (args.rows // 4, args.rows):
            db = Path(tmp) / f"t{rows}.db"
            make_database(db, rows)
            env["TOWNHALL_DB"] = str(db)
            baseline = sqlite_shell(db, Path(tmp) / "shell.csv")
            print(f"{rows:>8} {'sqlite3':>7} {baseline:>8.2f} {'':>9} {'1.00':>11}")
            for fmt in ("csv", "xlsx", "json"):
                out = Path(tmp) / f"out{rows}.{fmt}"
                command = [sys.executable, "-c", MEASURE, "export", "--format", fmt,
                           "--output", str(out)]  # fmt: skip
                seconds, peak = timed(command, env, out)
                print(f"{rows:>8} {fmt:>7} {seconds:>8.2f} {peak:>9.1f} "
                      f"{seconds / baseline:>11.2f}")  # fmt: skip
    print("target: CSV <= 2x the sqlite3 time; peak memory the same at 25k and 100k rows")


if __name__ == "__main__":
    main()
