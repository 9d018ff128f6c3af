"""How long "now answering" takes to reach 2,000 people, on the fake Bot API with Telegram's
limits enforced (30 messages/s overall, 1/s per private chat, 20/min per group, 429 with
retry_after beyond them) and 50 ms per request.

The bot runs as a process, as in production, at its default pace (TOWNHALL_SEND_RATE=25/s).
One approved question has an asker and 1,999 voters. A moderator sends `/live 1`; the script
prints the time from that command until the last notice is delivered, and against two
baselines measured in the same run:

- the floor Telegram's limit allows at the bot's pace: recipients / TOWNHALL_SEND_RATE;
- a bare client posting the same 2,000 sendMessage calls to the same fake, paced at the same
  rate with the same concurrency (what any bot would get).

Five seconds into the flood, two people ask a question: one with nothing queued, and one of
the voters whose own notice is still near the end of the queue. Their confirmation times show
the priority of replies over bulk notices (a chat with a reply waiting goes first, its own
notice just before its confirmation).

    python benchmarks/live.py [--recipients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.botprocess import start_bot  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

MODERATOR, ASKER, NEWCOMER = 42, 100_000, 99_999
SEND_RATE = 25.0
CONCURRENCY = 8  # the bot's default in-flight requests (bot/app.py)
LATENCY = 0.05  # simulated Bot API round trip, s


def seed(db: Path, recipients: int) -> None:
    """One approved question, its asker, and recipients - 1 voters."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        stamp = "2026-12-10T12:00:00Z"
        people = [(ASKER + n, "en", f"P-BENCH{n:08d}", stamp) for n in range(recipients)]
        conn.executemany(
            "INSERT INTO participants (user_id, language_code, pseudonym, created_at)"
            " VALUES (?, ?, ?, ?)",
            people,
        )
        conn.execute(
            "INSERT INTO submissions (chat_id, message_id, participant_id, kind, status, text,"
            " locale, language, translation_status, position, created_at, updated_at)"
            " VALUES (?, 1, ?, 'question', 'approved', 'How will journalists be protected?',"
            " 'en', 'en', 'not_needed', 1, ?, ?)",
            (ASKER, ASKER, stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO votes (submission_id, voter_id, created_at) VALUES (1, ?, ?)",
            [(ASKER + n, stamp) for n in range(1, recipients)],
        )
        conn.execute("UPDATE submissions SET votes = ? WHERE id = 1", (recipients - 1,))
        conn.commit()
    finally:
        conn.close()


def notices(fake: FakeTelegram) -> list[float]:
    return [m.at for m in fake.sent if "is being answered now" in (m.text or "")]


async def bot_run(recipients: int) -> tuple[float, float, float, int]:
    """(seconds from /live to the last notice, confirmation seconds mid-flood for a newcomer
    and for a voter still waiting for their notice, 429s)."""
    async with FakeTelegram(latency=LATENCY, enforce_rate_limits=True) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "townhall.db"
            proc = await start_bot(
                fake,
                Path(tmp),
                TOWNHALL_MODERATORS=str(MODERATOR),
                TOWNHALL_SEND_RATE=str(SEND_RATE),
            )
            try:
                await fake.wait_for(lambda: fake.active_polls > 0, timeout=60)
                seed(db, recipients)
                started = time.monotonic()
                fake.push_message(MODERATOR, "/live 1")
                await fake.wait_for(
                    lambda: len(notices(fake)) >= min(5 * SEND_RATE, recipients // 2), timeout=60
                )
                voter = ASKER + recipients - 1  # the last in the queue of notices
                asked = time.monotonic()
                fake.push_message(NEWCOMER, "Will the answer be published in writing later?")
                fake.push_message(voter, "Will the answer be published in writing later?")

                def confirmation(chat: int) -> list[float]:
                    return [m.at for m in fake.messages_to(chat) if "#" in (m.text or "")
                            and "answered now" not in (m.text or "")]  # fmt: skip

                await fake.wait_for(
                    lambda: bool(confirmation(NEWCOMER) and confirmation(voter)), timeout=60
                )
                newcomer = confirmation(NEWCOMER)[0] - asked
                waiting_voter = confirmation(voter)[0] - asked
                await fake.wait_for(
                    lambda: len(notices(fake)) >= recipients, timeout=10 + 3 * recipients / 25
                )
                took = max(notices(fake)) - started
                return took, newcomer, waiting_voter, fake.rate_limited
            finally:
                proc.terminate()
                await proc.wait()


async def bare_client(recipients: int) -> float:
    """The same sends from a minimal paced client: the baseline any bot would get."""
    async with FakeTelegram(latency=LATENCY, enforce_rate_limits=True) as fake:
        url = f"{fake.api_url}1:BENCH/sendMessage"
        interval = 1.0 / SEND_RATE
        slots = asyncio.Semaphore(CONCURRENCY)
        async with httpx.AsyncClient() as client:

            async def send(user: int) -> None:
                async with slots:
                    while True:
                        answer = await client.post(url, json={"chat_id": user, "text": "now"})
                        if answer.status_code != 429:
                            return
                        await asyncio.sleep(answer.json()["parameters"]["retry_after"])

            started = time.monotonic()
            tasks = []
            for n in range(recipients):
                # Paced like the bot: one permit every 1/rate seconds.
                await asyncio.sleep(max(0.0, started + n * interval - time.monotonic()))
                tasks.append(asyncio.create_task(send(ASKER + n)))
            await asyncio.gather(*tasks)
            return time.monotonic() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    args = parser.parse_args()
    n = args.recipients
    print(
        f"recipients: {n}, one run each; send pacing NOT lifted: TOWNHALL_SEND_RATE="
        f"{SEND_RATE:.0f}/s (the bot's default), {LATENCY * 1000:.0f} ms per request, "
        "Telegram limits enforced by the fake"
    )
    print(
        "ratios = seconds from /live to the last notice / the floor (n / pace), and / a bare "
        "client's seconds for the same sends at the same pace (1.000: no overhead)\n",
        flush=True,
    )
    baseline = await bare_client(n)
    took, newcomer, voter, limited = await bot_run(n)
    floor = n / SEND_RATE
    print(f"/live -> last notice delivered: {took:.1f} s ({n / took:.1f} notices/s)")
    print(f"floor at the bot's pace: {floor:.1f} s    ratio {took / floor:.3f}")
    print(f"bare paced client, same fake: {baseline:.1f} s    ratio {took / baseline:.3f}")
    print(f"mid-flood (5 s in), a newcomer's question confirmed after {newcomer:.2f} s")
    print(f"  and a question from a voter whose notice was still queued: {voter:.2f} s")
    print(f"429 answers from the fake during the bot's run: {limited}")


if __name__ == "__main__":
    asyncio.run(main())
