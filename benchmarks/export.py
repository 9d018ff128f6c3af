"""Export speed and memory: generated submissions in CSV, XLSX and JSON, next to the sqlite3
command-line shell dumping rows as CSV, in the same round.

Two shell baselines, both `sqlite3 -csv -header DB "SELECT ..." > FILE`:

- "same query": the very SELECT the export runs (its 24 columns, the participants join, the
  latest answer, the CASE), generated from storage/export.py. The ratios and the targets use
  this one: it compares like with like.
- "7 columns": the contract's first seven columns only (the baseline this script used
  before), shown so that the difference is visible.

The rows look like real ones: most in English, the rest in French, Spanish or Arabic with a
machine translation; a detection confidence (a full-precision float) on each; some approved
with a moderator, a position and votes, some rejected with a reason, 1 in 100 answered; texts
with commas, double quotes and line breaks, and 1 in 50 starting with a formula character.

Each export runs in a fresh process (`townhall-bot export --format F --output FILE`: start-up
and imports included) that reports its own peak RSS; "memory flat as rows grow" is shown by
running a quarter of the rows and all of them. Rounds alternate the five commands; the table
gives medians over rounds, and each ratio is the median of the ratios measured within a round.
Needs the `sqlite3` shell (Debian: apt install sqlite3).

    python benchmarks/export.py [--rows 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import open_database  # noqa: E402
from storage.export import submission_query  # noqa: E402

WORDS = ["civil", "society", "question", "budget", "youth", "climate", "press", "freedom"]
EXTRAS = ["budget, youth", 'the "free" press', "line one\nline two", "a & b < c"]
LANGUAGES = ["en", "en", "en", "fr", "es", "ar"]
SEVEN_COLUMNS = (
    "SELECT s.id, s.kind, s.status, s.language, s.text, s.translation, s.created_at"
    " FROM submissions s JOIN participants p ON p.user_id = s.participant_id ORDER BY s.id;"
)
FORMATS = ("csv", "xlsx", "json")
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
        " locale, language, language_confidence, translation, translation_engine,"
        " translation_status, translated_at, decided_by, decided_at, reason, position, votes,"
        " created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (submission(rng, n) for n in range(1, rows + 1)),
    )
    conn.executemany(
        "INSERT INTO answers (submission_id, text, answered_by, request_key, recipients,"
        " created_at) VALUES (?, ?, 'Org', ?, 3, '2026-11-27T10:00:00Z')",
        [(n, f"Answered on air, see #{n}.", f"answer:{n}") for n in range(100, rows + 1, 100)],
    )
    conn.commit()
    conn.close()


def submission(rng: random.Random, n: int) -> tuple[object, ...]:
    user = rng.randint(1, 5000)
    words = rng.choices(WORDS, k=rng.randint(8, 40))
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), rng.choice(EXTRAS))
    text = " ".join(words) + "?"
    if rng.random() < 0.02:
        text = rng.choice("=+-@") + text
    language = rng.choice(LANGUAGES)
    translated = language != "en"
    status = rng.choice(("pending", "approved", "rejected"))
    decided = status != "pending"
    stamp = "2026-11-26T10:00:00Z"
    return (
        user,
        n,
        user,
        rng.choice(("question", "idea")),
        status,
        text,
        language,
        language,
        rng.random(),
        " ".join(rng.choices(WORDS, k=12)) if translated else None,
        "google" if translated else None,
        "done" if translated else "not_needed",
        "2026-11-26T10:00:05Z" if translated else None,
        "Moe" if decided else None,
        "2026-11-26T11:00:00Z" if decided else None,
        "Off topic for this town hall" if status == "rejected" else None,
        n if status == "approved" else None,
        rng.randint(0, 50) if status == "approved" else 0,
        stamp,
        stamp,
    )


def timed(command: list[str], env: dict[str, str], output: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one export process."""
    output.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    rss_kib = int(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else 0
    assert output.exists() and output.stat().st_size > 0
    return seconds, rss_kib / 1024


def sqlite_shell(db: Path, sql: str, output: Path) -> float:
    started = time.perf_counter()
    with output.open("w") as handle:
        subprocess.run(["sqlite3", "-csv", "-header", str(db), sql], stdout=handle, check=True)
    return time.perf_counter() - started


def records(path: Path) -> tuple[list[str], int]:
    """A CSV file's header and its number of records, read back with Python's csv module."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, sum(1 for _ in reader)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        sys.exit("needs the sqlite3 shell (apt install sqlite3)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    same_query = submission_query().sql() + ";"
    print(
        f"{args.rows // 4:,} and {args.rows:,} generated rows, {args.rounds} alternating "
        "round(s), medians (no network, no pacing); each export a fresh process "
        "(`townhall-bot export --format F --output FILE`); sqlite3 "
        f"{sqlite3.sqlite_version} shell `sqlite3 -csv -header DB QUERY > FILE`"
    )
    print(
        "vs same query = export seconds / the shell's seconds running the export's own SELECT "
        "(the target's baseline); vs 7 columns = / the shell dumping the contract's first 7 "
        "columns only; peak MiB = the export process's peak RSS\n",
        flush=True,
    )
    header = f"{'rows':>8} {'command':>18} {'seconds':>8} {'peak MiB':>9} "
    print(header + f"{'vs same query':>14} {'vs 7 columns':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (args.rows // 4, args.rows):
            db = Path(tmp) / f"t{rows}.db"
            make_database(db, rows)
            env["TOWNHALL_DB"] = str(db)
            seconds: dict[str, list[float]] = {}
            peaks: dict[str, list[float]] = {}
            ratios: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.rounds):
                seven = sqlite_shell(db, SEVEN_COLUMNS, Path(tmp) / "seven.csv")
                same = sqlite_shell(db, same_query, Path(tmp) / "same.csv")
                seconds.setdefault("sqlite3 7 columns", []).append(seven)
                seconds.setdefault("sqlite3 same query", []).append(same)
                for fmt in FORMATS:
                    out = Path(tmp) / f"out{rows}.{fmt}"
                    command = [sys.executable, "-c", MEASURE, "export", "--format", fmt,
                               "--output", str(out)]  # fmt: skip
                    took, peak = timed(command, env, out)
                    seconds.setdefault(fmt, []).append(took)
                    peaks.setdefault(fmt, []).append(peak)
                    ratios.setdefault(fmt, []).append((took / same, took / seven))
            # The export's CSV reads back as many records as the shell wrote, same header.
            assert records(Path(tmp) / f"out{rows}.csv") == records(Path(tmp) / "same.csv")
            for name, times in seconds.items():
                took = statistics.median(times)
                if name in ratios:
                    peak = f"{statistics.median(peaks[name]):>9.1f}"
                    vs_same = statistics.median(r[0] for r in ratios[name])
                    vs_seven = statistics.median(r[1] for r in ratios[name])
                    shown = f"{vs_same:>14.2f} {vs_seven:>13.2f}"
                else:
                    peak, shown = f"{'':>9}", ""
                label = name if name.startswith("sqlite3") else f"export {name}"
                print(f"{rows:>8} {label:>18} {took:>8.2f} {peak} {shown}", flush=True)
    print(
        "targets, against the same query: CSV <= 2x, XLSX <= 5x; peak memory the same at "
        f"{args.rows // 4:,} and {args.rows:,} rows"
    )


if __name__ == "__main__":
    main()
