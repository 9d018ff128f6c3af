"""Honest askers during a flood: confirmation latency with flood control, against the same
run with flood control off (the baseline, measured in the same run).

The bot runs as a process, as in production, against the fake Bot API (tests/fakes) with a
50 ms round trip, at its default pace (25 messages/s; the fake does not enforce Telegram's
own limits). Translation is off; every other part of intake runs.

Five flooding accounts each first ask one question (so they have a pending question to edit
and a confirmation with a button). Then, within 3 s, each sends 80 updates, cycling through:
an edit of their pending question, /help, /start, an unknown command, a press of the
confirmation's kind button (400 updates in all). Meanwhile 60 other people each ask one
question, spread evenly over the same 3 s. The script prints, for each set-up:

- the honest askers' confirmation latency (from their message to its confirmation): p50,
  p95, max (target: p95 <= 5 s with flood control);
- how many of the flood's 400 updates were answered: messages sent into the flooding chats
  (each answers one update) and button presses answered, and the edits of the confirmation
  the presses caused;
- how many edits changed the question's text (each one a new translation with an engine on).

Three set-ups, one after the other in each round: flood control on (shipped); flood control
off (the baseline); and flood control off with the outbox claim ordered as it was before
chats took turns (oldest message first: that bot process drops the trigger that passes a
claim's moment on to the chat's next message), which is how the bot behaved before.

    python benchmarks/flood.py [--rounds 1] [--latency 0.05]

The figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import botprocess  # noqa: E402
from bot.telegram import callbacks  # noqa: E402
from storage.models import Kind  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

FLOODERS = list(range(50_001, 50_006))
HONEST = list(range(60_001, 60_061))
PER_FLOODER = 80
FLOOD_SECONDS = 3.0
TICK = 0.05  # the pushes are spread over the flood in ticks of 50 ms
KINDS = ("edit", "help", "start", "unknown", "button")
SETUPS = ("on", "off", "off-unfair")
# The claim's order before chats took turns, put back in the bot process of "off-unfair":
# without the trigger that passes a claim's moment on to the chat's next message, the claim
# orders chats by their oldest message, as it did before.
TURNS_TRIGGER = "outbox_next_in_chat_waits_its_turn"
UNFAIR_LAUNCHER = """
import sys
import storage
import storage.db
_open = storage.db.open_database
async def open_database(path):
    db = await _open(path)
    assert await db.fetchall("SELECT 1 FROM sqlite_master WHERE name = '@NAME@'")
    await db.fetchall("DROP TRIGGER @NAME@")
    return db
storage.db.open_database = storage.open_database = open_database
from bot.cli import main
sys.argv = ["townhall-bot", "run"]
raise SystemExit(main())
""".replace("@NAME@", TURNS_TRIGGER)


async def start_bot(fake: FakeTelegram, workdir: Path, setup: str) -> asyncio.subprocess.Process:
    """`townhall-bot run` as benchmarks/botprocess.py starts it, for one of SETUPS."""
    launcher = ("-c", UNFAIR_LAUNCHER) if setup == "off-unfair" else ("-m", "bot", "run")
    return await botprocess.start_bot(
        fake,
        workdir,
        launcher,
        TOWNHALL_TRANSLATOR="none",
        TOWNHALL_FLOOD="on" if setup == "on" else "off",
    )


@dataclass
class Run:
    setup: str
    latencies: list[float]  # honest askers, seconds
    messages: int  # sendMessage into the flooding chats during the flood
    presses: int  # flood button presses answered
    edits_of_confirmations: int  # editMessageText in the flooding chats
    text_edits: int  # edits that changed a question's text
    seconds: float  # from the flood's start until the bot owed nothing

    @property
    def answered(self) -> int:
        return self.messages + self.presses

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def owes_nothing(db: Path) -> bool:
    conn = sqlite3.connect(db, timeout=30)
    try:
        inbox = conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
        owed = conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')"
        ).fetchone()[0]
    finally:
        conn.close()
    return bool(inbox == 0 and owed == 0)


def text_edits(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM submission_edits").fetchone()[0])
    finally:
        conn.close()


def flood_updates(
    fake: FakeTelegram, user: int, message_id: int, sid: int
) -> list[Callable[[], object]]:
    """One flooder's 80 updates, as callables pushing them (cycling through KINDS)."""
    switches = [
        callbacks.encode(callbacks.SwitchKind(sid, Kind.IDEA)),
        callbacks.encode(callbacks.SwitchKind(sid, Kind.QUESTION)),
    ]
    confirmation = fake.messages_to(user)[0].message_id
    pushes: list[Callable[[], object]] = []
    for n in range(PER_FLOODER):
        kind = KINDS[n % len(KINDS)]
        if kind == "edit":
            text = f"What is the plan for the region, version {n} of my question?"
            pushes.append(partial(fake.push_edited_message, user, message_id, text))
        elif kind == "button":
            data = switches[(n // len(KINDS)) % 2]
            pushes.append(partial(fake.push_callback, user, confirmation, data))
        else:
            text = {"help": "/help", "start": "/start", "unknown": f"/whatever{n}"}[kind]
            pushes.append(partial(fake.push_message, user, text))
    return pushes


async def one_run(setup: str, latency: float) -> Run:
    async with FakeTelegram(latency=latency) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "townhall.db"
            proc = await start_bot(fake, Path(tmp), setup)
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=60)
                await botprocess.settled(fake)
                # Each flooder's pending question, confirmed, before the flood.
                asked = {
                    user: fake.push_message(user, "What is the plan for the region?")
                    for user in FLOODERS
                }
                await fake.wait_for(lambda: all(fake.messages_to(u) for u in FLOODERS), 60)
                conn = sqlite3.connect(db, timeout=30)
                sids = dict(conn.execute("SELECT participant_id, id FROM submissions"))
                conn.close()
                queues = [
                    flood_updates(fake, u, asked[u]["message_id"], sids[u]) for u in FLOODERS
                ]
                flood = [push for round_ in zip(*queues, strict=True) for push in round_]
                before_sent = {u: len(fake.messages_to(u)) for u in FLOODERS}
                before_calls = len(fake.requests)

                ticks = round(FLOOD_SECONDS / TICK)
                sent_at: dict[int, float] = {}
                started = time.monotonic()
                for tick in range(ticks):
                    await asyncio.sleep(max(0.0, started + tick * TICK - time.monotonic()))
                    lo, hi = len(flood) * tick // ticks, len(flood) * (tick + 1) // ticks
                    for push in flood[lo:hi]:
                        push()
                    first, last = len(HONEST) * tick // ticks, len(HONEST) * (tick + 1) // ticks
                    for user in HONEST[first:last]:
                        sent_at[user] = time.monotonic()
                        fake.push_message(user, f"My question number {user} for the panel?")
                await fake.wait_for(lambda: all(fake.messages_to(u) for u in HONEST), 300)
                latencies = [fake.messages_to(u)[0].at - sent_at[u] for u in HONEST]
                await fake.wait_for(lambda: owes_nothing(db), 300)
                took = time.monotonic() - started

                flood_chats = set(FLOODERS)
                messages = sum(len(fake.messages_to(u)) - before_sent[u] for u in FLOODERS)
                calls = fake.requests[before_calls:]
                presses = sum(
                    1
                    for c in calls
                    if c.method.lower() == "answercallbackquery" and c.outcome == "ok"
                )
                edits = sum(
                    1
                    for c in calls
                    if c.method.lower() == "editmessagetext"
                    and int(c.params.get("chat_id", 0)) in flood_chats
                )
                return Run(setup, latencies, messages, presses, edits, text_edits(db), took)
            finally:
                proc.terminate()
                await proc.wait()


def median(runs: list[Run], value: str) -> float:
    return statistics.median(float(getattr(r, value)) for r in runs)


def med(runs: list[Run], q: float) -> float:
    return statistics.median(r.pct(q) for r in runs)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05, help="simulated round trip, s")
    args = parser.parse_args()
    total = len(FLOODERS) * PER_FLOODER
    print(
        f"{len(FLOODERS)} flooding accounts x {PER_FLOODER} updates ({total}: edits, /help, "
        f"/start, unknown commands, button presses) and {len(HONEST)} honest askers, all "
        f"within {FLOOD_SECONDS:.0f} s; {args.latency * 1000:.0f} ms Bot API round trip; send "
        "pacing NOT lifted (TOWNHALL_SEND_RATE default, 25/s); translation off; "
        f"{args.rounds} round(s) of the three set-ups, medians"
    )
    print(
        "latency = from an honest asker's message to its confirmation; flood control off is "
        "the baseline, measured in the same run; 'before' = flood control off and the claim "
        "order from before chats took turns\n",
        flush=True,
    )
    runs: dict[str, list[Run]] = {setup: [] for setup in SETUPS}
    for i in range(args.rounds):
        for setup in SETUPS:
            r = await one_run(setup, args.latency)
            runs[setup].append(r)
            print(
                f"round {i + 1} {setup:10}: honest p50 {r.pct(0.5):.2f} s, p95 "
                f"{r.pct(0.95):.2f} s, max {max(r.latencies):.2f} s; flood answered "
                f"{r.answered}/{total}; done in {r.seconds:.1f} s",
                flush=True,
            )
    columns = [runs[setup] for setup in SETUPS]

    def row(label: str, cell: Callable[[list[Run]], str]) -> None:
        print(f"{label:42}" + "".join(f"{cell(c):>16}" for c in columns))

    print()
    print(f"{'':42}{'flood ctl on':>16}{'off (baseline)':>16}{'before':>16}")
    row("honest confirmation p50, s", lambda c: f"{med(c, 0.5):.2f}")
    row("honest confirmation p95, s", lambda c: f"{med(c, 0.95):.2f}")
    row("honest confirmation max, s", lambda c: f"{med(c, 1.0):.2f}")
    row(f"flood updates answered (of {total})", lambda c: f"{median(c, 'answered'):.0f}")
    row(
        "  as messages / as button answers",
        lambda c: f"{median(c, 'messages'):.0f} / {median(c, 'presses'):.0f}",
    )
    row(
        "  confirmations edited by presses", lambda c: f"{median(c, 'edits_of_confirmations'):.0f}"
    )
    row("question edits taken (a translation each)", lambda c: f"{median(c, 'text_edits'):.0f}")
    row("until the bot owed nothing, s", lambda c: f"{median(c, 'seconds'):.1f}")
    p95 = med(runs["on"], 0.95)
    print(f"\ntarget: honest p95 <= 5 s with flood control: {'met' if p95 <= 5 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
