"""Shared fixtures: the fake Bot API on loopback and the real bot running against it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.runner import run_polling
from storage import open_database
from storage.models import Submission
from storage.submissions import SubmissionStore
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:TEST-token-never-logged"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def bot_env(fake: FakeTelegram, db_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.api_url,
        "TOWNHALL_DB": str(db_path),
        "TOWNHALL_TRANSLATOR": "none",
        # Tests that are not about Telegram's pace run faster than the real limit.
        "TOWNHALL_SEND_RATE": "500",
    }
    env.update(extra)
    return env


@dataclass
class RunningBot:
    fake: FakeTelegram
    settings: Settings
    task: asyncio.Task[None]
    stop: asyncio.Event

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.settings.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def values(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.query(sql, params)]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Change the database behind the bot's back (what a moderator's action would do)."""
        conn = sqlite3.connect(self.settings.db_path)
        try:
            conn.execute(sql, params)
            conn.commit()
        finally:
            conn.close()

    def submissions(self) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM submissions ORDER BY id")

    async def reply_to(self, chat_id: int, before: int, timeout: float = 5.0) -> str:
        """The text of the next message the bot sends into `chat_id` after `before` messages."""
        messages = await self.fake.wait_for_messages(chat_id, before + 1, timeout)
        text = messages[before].text
        assert text is not None
        return text

    async def shutdown(self) -> None:
        """Stop the bot as SIGTERM would. It must finish; if it has not after 30 s (the
        subprocess test holds it to 10 s), say where it is stuck rather than just time out."""
        self.stop.set()
        done, _ = await asyncio.wait({self.task}, timeout=30)
        if not done:
            stacks = "\n".join(
                f"{task.get_name()}: {task.get_stack(limit=3)}" for task in asyncio.all_tasks()
            )
            self.task.cancel()
            raise AssertionError(f"the bot did not stop within 30 s; tasks:\n{stacks}")
        self.task.result()


def idle(fake: FakeTelegram, db_path: Path) -> bool:
    """Whether the bot has handled every update pushed so far and sent everything it owes.

    Its stored offset past the last update means each one is in its inbox or was handled
    (both are committed together); an empty inbox, that each was handled; no outbox row open,
    that whatever the handling owed somebody has gone out. Read from the database file, so it
    works for a bot in a child process too.
    """
    conn = sqlite3.connect(db_path)
    try:
        offset = conn.execute(
            "SELECT value FROM settings WHERE key = 'telegram_offset'"
        ).fetchone()
        inbox = conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
        owed = conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')"
        ).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return False
    finally:
        conn.close()
    last = fake.pushed[-1]["update_id"] if fake.pushed else 0
    return offset is not None and int(offset[0]) > last and inbox == 0 and owed == 0


def raw_bytes(path: Path) -> bytes:
    """A database file's bytes as they are on disk, read by another process: a descriptor
    closed in this one (where the bot runs) would drop SQLite's POSIX locks on the file, and
    another connection closing could then delete the -wal and -shm under the bot."""
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout


def free_port() -> int:
    """A port free on 127.0.0.1 now (tests run in parallel workers: never a fixed one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_idle(fake: FakeTelegram, db_path: Path, timeout: float = 10.0) -> None:
    """Wait until the bot is `idle`: a sign that whatever it was going to do with the updates
    pushed so far is done, before checking that something did not happen."""
    await fake.wait_for(lambda: idle(fake, db_path), timeout)


async def load_submission(bot: RunningBot, submission_id: int) -> Submission:
    """A submission as the bot's own repository reads it."""
    db = await open_database(bot.settings.db_path)
    try:
        return await SubmissionStore(db).submission(submission_id)
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeTelegram, tmp_path: Path, **extra: str
) -> AsyncIterator[RunningBot]:
    settings = load_settings(bot_env(fake, tmp_path / "townhall.db", **extra))
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop))
    bot = RunningBot(fake, settings, task, stop)
    try:
        await fake.wait_for(lambda: fake.active_polls > 0 or task.done(), timeout=10)
        if task.done():
            task.result()
        yield bot
    finally:
        if not task.done():
            await bot.shutdown()


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(fake, tmp_path) as running:
        yield running


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent
