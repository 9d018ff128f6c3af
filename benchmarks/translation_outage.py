"""Confirmations while the translator hangs, and how fast translations catch up after.

The bot runs as a process against the fake Bot API and a fake LibreTranslate server. Rounds
alternate: translation off (`none`) and a LibreTranslate server that accepts requests and never
answers. For each, 100 participants write at once; the script prints the time until every one
is confirmed. Then the hanging server recovers and the script prints how long until every
question is translated (the bot's real backoff and circuit-breaker timings, no shortcuts).

    python benchmarks/translation_outage.py [--participants 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.botprocess import start_bot  # noqa: E402
from tests.fakes.libretranslate import FakeLibreTranslate  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TEXT = "Comment allez-vous protéger les journalistes dans les zones de conflit ? ({n})"


def translated(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT count(*) FROM submissions WHERE translation_status = 'done'"
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


async def one_round(mode: str, participants: int) -> tuple[float, float | None]:
    """(seconds until all confirmed, seconds from recovery until all translated)."""
    async with FakeTelegram(latency=0.05) as fake, FakeLibreTranslate() as libre:
        libre.mode = "hang" if mode == "hang" else "ok"
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "townhall.db"
            proc = await start_bot(
                fake,
                Path(tmp),
                TOWNHALL_RATE_LIMIT="1000",
                TOWNHALL_TRANSLATOR="libre" if mode == "hang" else "none",
                TOWNHALL_TRANSLATOR_URL=libre.url,
            )
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=30)
                users = range(50_000, 50_000 + participants)
                started = time.perf_counter()
                for user in users:
                    fake.push_message(user, TEXT.format(n=user), language_code="fr")
                await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), 120)
                confirmed = time.perf_counter() - started
                if mode != "hang":
                    return confirmed, None
                assert translated(db) == 0
                await asyncio.sleep(5)  # let the outage last: backoff and breaker engage
                libre.mode = "ok"
                recovered = time.perf_counter()
                await fake.wait_for(lambda: translated(db) == participants, timeout=300)
                return confirmed, time.perf_counter() - recovered
            finally:
                proc.terminate()
                await proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    confirm: dict[str, list[float]] = {"none": [], "hang": []}
    catch_up: list[float] = []
    for i in range(args.rounds):
        for mode in ("none", "hang"):
            seconds, recovery = await one_round(mode, args.participants)
            confirm[mode].append(seconds)
            if recovery is not None:
                catch_up.append(recovery)
            extra = f", all translated {recovery:.1f} s after recovery" if recovery else ""
            print(
                f"round {i + 1} translator={mode:4}: all {args.participants} confirmed "
                f"in {seconds:.2f} s{extra}",
                flush=True,
            )
    none, hang = statistics.median(confirm["none"]), statistics.median(confirm["hang"])
    print(
        f"\nmedian time to confirm {args.participants}: translation off {none:.2f} s, "
        f"translator hanging {hang:.2f} s (ratio {hang / none:.2f})"
    )
    print(
        f"slowest catch-up after the translator came back: {max(catch_up):.1f} s "
        f"(target: within 60 s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
