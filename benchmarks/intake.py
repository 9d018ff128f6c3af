"""Intake throughput and CPU: townhall-bot against a bare python-telegram-bot echo bot.

Both run as separate processes against the same fake Bot API (tests/fakes) with a simulated
round trip, and get the same burst: N participants each send one question at once. A round
is timed from the push until every participant has an answer; CPU is the bot process's
user+system time over the round (read from /proc); the CPU either bot spends in the second
after its last answer is shown apart, so work left for later (language detection, look-alike
questions) cannot hide outside the round. Rounds alternate A B A B so drift on a shared
machine hits both alike; the ratios compare medians from the same run.

    python benchmarks/intake.py [--participants 300] [--rounds 3] [--latency 0.05]

The echo bot is PTB's stock set-up (its Updater, default sequential handling). Neither bot
paces its sending in the main comparison (townhall-bot's TOWNHALL_SEND_RATE is lifted), so the
figures compare the pipelines; one extra round shows townhall-bot at its default pace of
25 messages/s, which is what Telegram allows a bot, not what the code can do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import botprocess  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCHMARK"
ECHO_BOT = """
import os
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)

app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
       .base_url(os.environ["TELEGRAM_API_URL"]).build())
app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
app.run_polling(poll_interval=0.0, timeout=10)
"""
UNPACED = "100000"  # TOWNHALL_SEND_RATE in the compared rounds: pacing lifted
AFTER_S = 1.0  # how long CPU is watched after the last answer


@dataclass
class Round:
    bot: str
    seconds: float
    cpu: float
    participants: int
    cpu_after: float = 0.0  # CPU seconds in the second after the last answer

    @property
    def cpu_after_ms(self) -> float:
        return 1000 * self.cpu_after / self.participants

    @property
    def per_second(self) -> float:
        return self.participants / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.participants


async def start_bot(
    kind: str, fake: FakeTelegram, workdir: Path, send_rate: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TOWNHALL_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.api_url,
        PYTHONPATH=str(ROOT),
        TOWNHALL_DB=str(workdir / "townhall.db"),
        TOWNHALL_TRANSLATOR="none",
        TOWNHALL_SEND_RATE=send_rate,
        TOWNHALL_LOG_LEVEL="WARNING",
        TOWNHALL_RATE_LIMIT="1000",
    )
    args = ["-m", "bot", "run"] if kind == "townhall" else ["-c", ECHO_BOT]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def one_round(
    kind: str, participants: int, latency: float, send_rate: str = UNPACED
) -> Round:
    async with FakeTelegram(latency=latency) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            proc = await start_bot(kind, fake, Path(tmp), send_rate)
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=30)
                await botprocess.settled(fake)  # start-up is not part of a burst
                users = list(range(10_000, 10_000 + participants))
                cpu_before = botprocess.cpu_seconds(proc.pid)
                started = time.perf_counter()
                for user in users:
                    fake.push_message(user, f"Question {user}: how will civil society be heard?")
                await fake.wait_for(lambda: len(fake.sent) >= participants, timeout=300)
                elapsed = time.perf_counter() - started
                cpu = botprocess.cpu_seconds(proc.pid) - cpu_before
                missing = [u for u in users if not fake.messages_to(u)]
                assert not missing, f"{kind}: {len(missing)} participants got no answer"
                await asyncio.sleep(AFTER_S)
                cpu_after = botprocess.cpu_seconds(proc.pid) - cpu_before - cpu
            finally:
                proc.terminate()
                await proc.wait()
    return Round(kind, elapsed, cpu, participants, cpu_after)


async def quiet_latency(samples: int, latency: float) -> list[float]:
    """Seconds from a participant's message to its confirmation, one question at a time."""
    delays: list[float] = []
    async with FakeTelegram(latency=latency) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            proc = await start_bot("townhall", fake, Path(tmp), send_rate="25")
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=30)
                for user in range(20_000, 20_000 + samples):
                    await asyncio.sleep(0.2)
                    started = time.perf_counter()
                    fake.push_message(user, "A single question on a quiet evening")
                    await fake.wait_for(lambda u=user: bool(fake.messages_to(u)), timeout=10)
                    delays.append(time.perf_counter() - started)
            finally:
                proc.terminate()
                await proc.wait()
    return delays


def median(rounds: list[Round], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in rounds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05, help="simulated round trip, s")
    args = parser.parse_args()
    print(
        f"{args.participants} participants at once, {args.latency * 1000:.0f} ms Bot API round "
        f"trip, {args.rounds} alternating rounds (townhall, echo, townhall, echo...)"
    )
    print(
        f"pacing: lifted for both in the rounds (TOWNHALL_SEND_RATE={UNPACED}; PTB's echo bot has "
        "none), then one townhall round at its default 25 msg/s"
    )
    print(
        "throughput ratio = median questions/s, townhall / echo (higher is better); "
        "CPU ratio = median CPU ms per question, townhall / echo (lower is better)\n",
        flush=True,
    )

    results: dict[str, list[Round]] = {"townhall": [], "echo": []}
    for i in range(args.rounds):
        for kind in ("townhall", "echo"):  # A B A B
            r = await one_round(kind, args.participants, args.latency)
            results[kind].append(r)
            print(
                f"round {i + 1} {kind:8} {r.seconds:6.2f} s  {r.per_second:7.1f} q/s  "
                f"{r.cpu_ms:5.2f} CPU ms/q  (+{r.cpu_after_ms:.2f} in the second after)",
                flush=True,
            )
    paced = await one_round("townhall", args.participants, args.latency, send_rate="25")
    quiet = await quiet_latency(20, args.latency)

    ours, echo = results["townhall"], results["echo"]
    print()
    print(
        f"{args.participants} participants, {args.latency * 1000:.0f} ms round trip, "
        f"medians of {args.rounds} alternating rounds, send pacing lifted"
    )
    print(f"{'':10}{'questions/s':>14}{'CPU ms/question':>18}{'then, in 1 s':>14}")
    for name, rounds in (("townhall", ours), ("echo", echo)):
        print(
            f"{name:10}{median(rounds, 'per_second'):14.1f}{median(rounds, 'cpu_ms'):18.2f}"
            f"{median(rounds, 'cpu_after_ms'):14.2f}"
        )
    throughput_ratio = median(ours, "per_second") / median(echo, "per_second")
    cpu_ratio = median(ours, "cpu_ms") / median(echo, "cpu_ms")
    print(f"throughput ratio townhall/echo: {throughput_ratio:.2f}  (target >= 0.9)")
    print(f"CPU ratio townhall/echo:        {cpu_ratio:.2f}  (target <= 1.15)")
    print(
        f"townhall at its default pace (25 msg/s), one round: {paced.per_second:.1f} q/s, "
        f"{paced.cpu_ms:.2f} CPU ms/q"
    )
    print(
        f"confirmation latency on a quiet system ({len(quiet)} questions one at a time, "
        "default pace 25 msg/s, "
        f"{args.latency * 1000:.0f} ms per API call): median "
        f"{statistics.median(quiet) * 1000:.0f} ms, max {max(quiet) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
