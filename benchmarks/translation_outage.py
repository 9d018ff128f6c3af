"""Confirmations while the translator hangs, and how fast translations catch up after.

The bot runs as a process against the fake Bot API and a fake LibreTranslate server. Rounds
alternate: translation off (`none`) and a LibreTranslate server that accepts requests and never
answers. For each, 100 participants write at once; the script prints the time until every one
is confirmed. Then the hanging server recovers and the script prints how long until every
question is translated (the bot's real backoff and circuit-breaker timings, no shortcuts).

Send pacing is lifted (TOWNHALL_SEND_RATE=1000 by default, not the bot's 25/s): at 25/s, 100
confirmations take 4 s whatever happens, which would hide a block of the event loop by
translation. With pacing lifted, the time to confirm everyone is the pipeline's own, so a
translator that held up intake would show as a ratio well above 1.

    python benchmarks/translation_outage.py [--participants 100] [--rounds 3] [--send-rate 1000]
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

LATENCY = 0.05  # simulated Bot API round trip, s
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


async def one_round(mode: str, participants: int, send_rate: str) -> tuple[float, float | None]:
    """(seconds until all confirmed, seconds from recovery until all translated)."""
    async with FakeTelegram(latency=LATENCY) as fake, FakeLibreTranslate() as libre:
        libre.mode = "hang" if mode == "hang" else "ok"
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "townhall.db"
            proc = await start_bot(
                fake,
                Path(tmp),
                TOWNHALL_RATE_LIMIT="1000",
                TOWNHALL_SEND_RATE=send_rate,
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--send-rate", default="1000", help="TOWNHALL_SEND_RATE, messages/s (bot default: 25)"
    )
    args = parser.parse_args()
    print(
        f"{args.participants} participants at once, {LATENCY * 1000:.0f} ms Bot API round trip, "
        f"send pacing {'lifted' if float(args.send_rate) > 30 else 'kept'} "
        f"(TOWNHALL_SEND_RATE={args.send_rate}), "
        f"{args.rounds} alternating rounds (translation off / translator hanging)"
    )
    print(
        "ratio = median seconds to confirm everyone, translator hanging / translation off "
        "(1.00: the hanging translator costs intake nothing)\n",
        flush=True,
    )
    confirm: dict[str, list[float]] = {"none": [], "hang": []}
    catch_up: list[float] = []
    for i in range(args.rounds):
        for mode in ("none", "hang"):
            seconds, recovery = await one_round(mode, args.participants, args.send_rate)
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
        f"\nmedian of {args.rounds} rounds, time to confirm {args.participants}: translation off "
        f"{none:.2f} s, translator hanging {hang:.2f} s (ratio hanging/off {hang / none:.2f})"
    )
    print(
        f"slowest catch-up after the translator came back: {max(catch_up):.1f} s "
        f"(target: within 60 s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
