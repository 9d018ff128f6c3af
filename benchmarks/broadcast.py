"""A broadcast to 100,000 participants: the send pace held, and newcomers confirmed at once.

1. The outbox claim alone at 100,000 queued messages: the claim as it was (OLD_CLAIM_SQL
   below, the baseline: it checked and sorted every queued row) against the shipped one (it
   reads outbox_heads through an index in its own order). Same database, in alternation,
   each in a transaction rolled back after it, `limit` the sender's most (SEND_CONCURRENCY).
2. The bot as a process (as in production) against the fake Bot API (tests/fakes), with
   100,000 participants seeded straight into its database, at TOWNHALL_SEND_RATE `--rate`,
   translation off. During the first `--seconds` of each run (not all 100,000: at 25/s that
   would take over an hour) a newcomer asks a question every 0.5 s. Printed: what the bot
   sent per second (sendMessage and editMessageText calls answered) against the pace
   configured, and the newcomers' confirmation latency (their message to its confirmation).
   The set-ups, one after the other:
   - broadcast: the organizer sends `/broadcast` and presses Send. The broadcast worker
     queues 60 announcements at a time, so few rows are ever queued: not the claim's test.
   - broadcast p0: the same, the announcements queued at priority 0 (as answers are), as
     the broadcast worker did before, by a patch in that bot process: the baseline for the
     newcomers' confirmation (it waits behind the window of announcements already queued).
   - backlog: no broadcast, but 100,000 notices queued at once (priority 1, as the live
     show's notices to many are) before the bot starts: where the claim's cost shows.
   - backlog, old claim: the same, the bot process swapping in OLD_CLAIM_SQL.

    python benchmarks/broadcast.py [--rate 25] [--seconds 20] [--latency 0.05] [--setups ...]

The sender has at most SEND_CONCURRENCY (8) requests in flight: the pace cannot exceed 8 per
round trip (160/s at 50 ms); a higher --rate needs a shorter --latency. The machine is
shared and the figures are noisy: compare the columns of one run.
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
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import storage.outbox  # noqa: E402
from benchmarks import botprocess  # noqa: E402
from bot.app import SEND_CONCURRENCY  # noqa: E402
from storage import open_database  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from storage.outbox import CLAIM_SQL, OutboxStore  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

PARTICIPANTS = 100_000
FIRST_PARTICIPANT = 1_000_000
ORGANIZER = 900
NEWCOMERS_FROM = 5_000_000
ASK_EVERY_S = 0.5
WINDOW_S = 5.0
CLAIM_LIMIT = SEND_CONCURRENCY  # requests in flight at most: the most the sender claims at once
CLAIM_REPEATS = 15
ANNOUNCEMENT = "We are live in 10 minutes! Watch the town hall at https://example.org/live"

# label, whether 100,000 notices are queued at the start (else a broadcast), the patches
# the bot process runs with (see PATCHES; none: `python -m bot run` as shipped)
SETUPS = {
    "broadcast": ("broadcast", False, ()),
    "broadcast-p0": ("broadcast p0", False, ("answer_priority",)),
    "backlog": ("backlog", True, ()),
    "backlog-old": ("backlog, old claim", True, ("old_claim",)),
}
# The claim before outbox_heads: every queued row checked for an older open one in its chat,
# then all of them sorted by their chat's most urgent open priority.
OLD_CLAIM_SQL = (
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?"
    " WHERE id IN ("
    " SELECT o.id FROM outbox AS o"
    " WHERE o.state = 'queued' AND o.next_attempt_at <= ?"
    " AND o.chat_id NOT IN (SELECT value FROM json_each(?))"
    " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.chat_id = o.chat_id"
    "   AND p.id < o.id AND p.state IN ('queued', 'sending'))"
    " ORDER BY (SELECT min(q.priority) FROM outbox AS q WHERE q.chat_id = o.chat_id"
    "   AND q.state IN ('queued', 'sending')), o.next_attempt_at, o.id LIMIT ?)"
    " RETURNING id, chat_id, method, payload, attempts, message_ref"
)
# Variants of the bot process, for comparison only: the claim as it was, and announcements
# queued at the priority of answers (0) as they were, instead of that of notices to many (1):
# then a confirmation waits behind the window of announcements already queued.
PATCHES = {
    "old_claim": f"""
import storage.outbox
storage.outbox.CLAIM_SQL = {OLD_CLAIM_SQL!r}
""",
    "answer_priority": """
from dataclasses import replace
from bot.workers.broadcast import BroadcastWorker
_messages = BroadcastWorker._messages
def _at_answer_priority(self, *args):
    return [replace(m, priority=0) for m in _messages(self, *args)]
BroadcastWorker._messages = _at_answer_priority
""",
}
LAUNCH = """
import sys
from bot.cli import main
sys.argv = ["townhall-bot", "run"]
raise SystemExit(main())
"""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def new_database(path: Path) -> None:
    """An empty database at the current schema (every migration applied)."""
    db = await open_database(path)
    await db.close()


def seed_participants(path: Path, count: int) -> None:
    """`count` participants who wrote to the bot yesterday, in a few languages."""
    languages = ["en", "fr", "es", "de", "ar"]
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO participants (user_id, language_code, locale, pseudonym, created_at)"
            " VALUES (?, ?, NULL, ?, '2020-01-01T00:00:00Z')",
            (
                (FIRST_PARTICIPANT + i, languages[i % len(languages)], f"P-{i:010X}")
                for i in range(count)
            ),
        )
    conn.close()


def notices(count: int) -> list[OutboxMessage]:
    """A notice to each of `count` participants, as the live show queues its 'now answering'
    to everyone who voted for a question (priority 1)."""
    text = "Now answering the question you voted for: what will the town do about housing?"
    return [
        OutboxMessage(
            FIRST_PARTICIPANT + i,
            "send_message",
            {"chat_id": FIRST_PARTICIPANT + i, "text": text, "parse_mode": "HTML"},
            f"bench:{i}",
            priority=1,
        )
        for i in range(count)
    ]


async def seed_backlog(path: Path, count: int, at: datetime) -> float:
    """Queue `count` notices in one transaction, as the bot does; returns the seconds it took."""
    messages = notices(count)
    db = await open_database(path)
    try:
        started = time.perf_counter()
        await OutboxStore(db).queue_messages(messages, at)
        return time.perf_counter() - started
    finally:
        await db.close()


# ------------------------------------------------------------------ part 1: the claim alone


async def queue_times(workdir: Path) -> dict[str, float]:
    """Seconds to queue PARTICIPANTS notices in one transaction: as shipped, and without the
    outbox_heads statement (as before it), alternating, three times each; the fastest of each."""
    times: dict[str, list[float]] = {"before": [], "shipped": []}
    shipped = storage.outbox.HEADS_OF_NEW_ROWS
    try:
        for n in range(6):
            name = ("before", "shipped")[n % 2]
            storage.outbox.HEADS_OF_NEW_ROWS = shipped if name == "shipped" else "SELECT ?"
            path = workdir / f"queue{n}.db"
            await new_database(path)
            times[name].append(await seed_backlog(path, PARTICIPANTS, datetime.now(UTC)))
            path.unlink()
    finally:
        storage.outbox.HEADS_OF_NEW_ROWS = shipped
    return {name: min(t) for name, t in times.items()}


async def claim_times(workdir: Path) -> dict[str, list[float]]:
    """Milliseconds per claim at PARTICIPANTS queued (plus a few urgent replies), old vs new."""
    path = workdir / "claim.db"
    await new_database(path)
    now = time.time()
    await seed_backlog(path, PARTICIPANTS, datetime.fromtimestamp(now - 60, UTC))
    # A few people waiting for an answer (priority 0) among the notices.
    db = await open_database(path)
    replies = [
        OutboxMessage(NEWCOMERS_FROM + i, "send_message", {"text": "Thank you"}, f"r{i}")
        for i in range(10)
    ]
    await OutboxStore(db).queue_messages(replies, datetime.fromtimestamp(now - 1, UTC))
    await db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    times: dict[str, list[float]] = {"old": [], "new": []}
    claimed: dict[str, list[int]] = {}
    for _ in range(CLAIM_REPEATS):
        for name, sql in (("old", OLD_CLAIM_SQL), ("new", CLAIM_SQL)):
            conn.execute("BEGIN IMMEDIATE")
            started = time.perf_counter()
            rows = conn.execute(sql, (now, now, "[]", CLAIM_LIMIT)).fetchall()
            times[name].append(1000 * (time.perf_counter() - started))
            conn.execute("ROLLBACK")
            claimed[name] = sorted(r[0] for r in rows)
    conn.close()
    assert claimed["old"] == claimed["new"], "the two claims disagree"
    return times


# ------------------------------------------------------------------ parts 2 and 3: the bot


@dataclass
class Run:
    label: str
    sends: list[float]  # arrival times of every message the bot sent or edited
    latencies: list[float]  # newcomers: message to confirmation, seconds
    unanswered: int
    start: float
    seconds: float
    cpu: float  # the bot process's CPU seconds over the measured span
    fake_cpu: float  # this process's (the fake Bot API's) CPU seconds over the span

    def windows(self, width: float = WINDOW_S) -> list[float]:
        """Messages per second in each full window of `width` s of the measured span."""
        count = int(self.seconds // width)
        rates = [0.0] * count
        for at in self.sends:
            index = int((at - self.start) // width)
            if 0 <= index < count:
                rates[index] += 1 / width
        return rates


class FirstMessages:
    """When each chat got its first message from the bot (fake.sent read once, as it grows:
    fake.messages_to scans it all, too slow to poll with thousands sent)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake
        self._seen = 0
        self.at: dict[int, float] = {}

    def update(self) -> dict[int, float]:
        sent = self._fake.sent
        for message in sent[self._seen :]:
            self.at.setdefault(message.chat_id, message.at)
        self._seen = len(sent)
        return self.at


def announcements(fake: FakeTelegram) -> int:
    return sum(1 for m in fake.sent if "📢" in (m.text or "") and m.chat_id >= FIRST_PARTICIPANT)


async def start_broadcast(fake: FakeTelegram) -> None:
    fake.push_message(ORGANIZER, f"/broadcast {ANNOUNCEMENT}")
    [preview] = await fake.wait_for_messages(ORGANIZER, 1, timeout=60)
    button = preview.reply_markup["inline_keyboard"][0][0]
    fake.push_callback(ORGANIZER, preview.message_id, button["callback_data"])
    await fake.wait_for(lambda: announcements(fake) > 0, timeout=120)


async def one_run(
    label: str,
    rate: float,
    seconds: float,
    latency: float,
    backlog: bool,
    patches: tuple[str, ...],
) -> Run:
    async with FakeTelegram(latency=latency) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "townhall.db"
            await new_database(db)
            seed_participants(db, PARTICIPANTS)
            if backlog:
                await seed_backlog(db, PARTICIPANTS, datetime.now(UTC))
            launcher = ("-m", "bot", "run")
            if patches:
                launcher = ("-c", "".join(PATCHES[p] for p in patches) + LAUNCH)
            proc = await botprocess.start_bot(
                fake,
                Path(tmp),
                launcher,
                TOWNHALL_TRANSLATOR="none",
                TOWNHALL_ORGANIZERS=str(ORGANIZER),
                TOWNHALL_SEND_RATE=f"{rate:g}",
            )
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=60)
                if backlog:  # the notices start at once: measure from the bot's first
                    await fake.wait_for(lambda: len(fake.sent) > 0, timeout=60)
                else:
                    await botprocess.settled(fake)
                    await start_broadcast(fake)
                first_call = len(fake.requests)
                cpu_before = botprocess.cpu_seconds(proc.pid)
                fake_cpu_before = time.process_time()
                start = time.monotonic()
                asked: dict[int, float] = {}
                user = NEWCOMERS_FROM
                while time.monotonic() < start + seconds:
                    asked[user] = time.monotonic()
                    fake.push_message(user, f"Newcomer {user}: how can I take part in the panel?")
                    user += 1
                    await asyncio.sleep(ASK_EVERY_S)
                cpu = botprocess.cpu_seconds(proc.pid) - cpu_before
                fake_cpu = time.process_time() - fake_cpu_before
                # Late confirmations count, with their latency; wait a little for them.
                first = FirstMessages(fake)
                deadline = time.monotonic() + 30
                while not asked.keys() <= first.update().keys() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                latencies = [first.at[u] - t for u, t in asked.items() if u in first.at]
                sends = [
                    c.at
                    for c in fake.requests[first_call:]
                    if c.method in ("sendMessage", "editMessageText") and c.outcome == "ok"
                ]
            finally:
                proc.terminate()
                await proc.wait()
    return Run(label, sends, latencies, len(asked) - len(latencies), start, seconds, cpu, fake_cpu)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=25.0, help="TOWNHALL_SEND_RATE, msg/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="span measured per run")
    parser.add_argument("--latency", type=float, default=0.05, help="simulated round trip, s")
    parser.add_argument("--setups", default=",".join(SETUPS), help="which runs, in order")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        times = await claim_times(Path(tmp))
        queued = await queue_times(Path(tmp))
    print(f"outbox claim at {PARTICIPANTS:,} queued (limit {CLAIM_LIMIT}), {CLAIM_REPEATS} each:")
    for name in ("old", "new"):
        t = times[name]
        print(
            f"   {name}: median {statistics.median(t):8.3f} ms   max {max(t):8.3f} ms",
        )
    ratio = statistics.median(times["old"]) / statistics.median(times["new"])
    print(f"   old/new: {ratio:,.0f}x")
    print(
        f"queueing {PARTICIPANTS:,} notices in one transaction (the fastest of 3 each): "
        f"{queued['shipped']:.2f} s, against {queued['before']:.2f} s without outbox_heads "
        f"({queued['shipped'] / queued['before']:.2f}x)\n",
        flush=True,
    )

    print(
        f"{PARTICIPANTS:,} participants seeded; TOWNHALL_SEND_RATE={args.rate:g}; "
        f"{args.latency * 1000:.0f} ms Bot API round trip; a newcomer asks every "
        f"{ASK_EVERY_S} s; the first {args.seconds:g} s of each run measured; sent = "
        "sendMessage + editMessageText calls the fake answered",
        flush=True,
    )
    runs: list[Run] = []
    for label, backlog, patches in [SETUPS[name] for name in args.setups.split(",")]:
        r = await one_run(label, args.rate, args.seconds, args.latency, backlog, patches)
        runs.append(r)
        print(
            f"   {label}: sent per s by {WINDOW_S:g} s window "
            + " ".join(f"{w:.0f}" for w in r.windows(WINDOW_S)),
            flush=True,
        )

    def row(name: str, cell: Callable[[Run], str]) -> None:
        print(f"{name:40}" + "".join(f"{cell(r):>20}" for r in runs))

    print()
    row("", lambda r: r.label)
    row(f"sent per s (mean of {WINDOW_S:g} s windows)", lambda r: f"{mean(r.windows()):.1f}")
    row(f"  of the {args.rate:g} configured", lambda r: f"{mean(r.windows()) / args.rate:.0%}")
    row(
        "  1 s windows, lowest - highest",
        lambda r: f"{min(r.windows(1.0)):.0f} - {max(r.windows(1.0)):.0f}",
    )
    row(
        "newcomers confirmed (asked)",
        lambda r: f"{len(r.latencies)} ({len(r.latencies) + r.unanswered})",
    )
    for q, name in ((0.5, "p50"), (0.95, "p95"), (1.0, "max")):
        row(f"  confirmation {name}, s", lambda r, q=q: f"{pct(r.latencies, q):.2f}")
    row("bot process CPU, share of a core", lambda r: f"{r.cpu / r.seconds:.0%}")
    row("fake Bot API's CPU, share of a core", lambda r: f"{r.fake_cpu / r.seconds:.0%}")


if __name__ == "__main__":
    asyncio.run(main())
