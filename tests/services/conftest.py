"""Services on a temporary SQLite file, wired as bot/app.py wires them, without Telegram.

The `world` fixture opens a fresh database with every store on it, and builds what the
services share: a `Readers`, a `ReplyWriter` whose sender wake-up only counts, a
`FeedService` for the moderators' group, `Settings` and a clock that moves only when a test
moves it. Each test module builds the service it is about from these, with the same
arguments as `build_application`. What a service owes people is read back from the outbox.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.i18n import Gettext, Locales, load_locales
from bot.services.feed import LANGUAGE_WAIT, FeedService
from bot.services.intake import Author, IntakeRules, IntakeService, Received
from bot.services.language import Detector, make_detector
from bot.services.moderation import ModerationService
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from bot.workers.translation import TranslationWorker
from storage import Database, Stores, open_database
from storage.models import Kind, Submission

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ORGANIZER = 1
MODERATOR = 2
OTHER_MODERATOR = 3
MODERATOR_CHAT = -100777


class FixedClock:
    """The services' clock: fixed, moved on by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class WakeCounter:
    """Stands for the outbox sender's (or a worker's) wake-up: counts the calls."""

    count: int = 0

    def __call__(self) -> None:
        self.count += 1


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    dedup_key: str | None
    coalesce_key: str | None
    message_ref: str | None
    priority: int
    state: str

    @property
    def text(self) -> str:
        return str(self.payload["text"])


def settings_for_tests(**env: str) -> Settings:
    """Two fixed moderators, one organizer, a moderators' group, no translation engine."""
    values = {
        "TOWNHALL_TRANSLATOR": "none",
        "TOWNHALL_ORGANIZERS": str(ORGANIZER),
        "TOWNHALL_MODERATORS": f"{MODERATOR},{OTHER_MODERATOR}",
        "TOWNHALL_MODERATOR_CHAT": str(MODERATOR_CHAT),
        "TOWNHALL_LOCALES": str(LOCALES_DIR),
    }
    values.update(env)
    return load_settings(values)


@dataclass
class World:
    """One temporary database and what the services share on it."""

    db: Database
    stores: Stores
    locales: Locales
    settings: Settings
    clock: FixedClock
    wakes: WakeCounter
    readers: Readers
    replies: ReplyWriter
    feed: FeedService
    detector: Detector
    _intake: IntakeService | None = None
    _translators: list[TranslationWorker] = field(default_factory=list)
    _messages: int = 1000

    def tr(self, locale: str) -> Gettext:
        return self.locales.get(locale)

    # ---- reading the database back ------------------------------------------------------

    async def rows(self, sql: str, *params: object) -> list[sqlite3.Row]:
        return await self.db.fetchall(sql, params)

    async def value(self, sql: str, *params: object) -> Any:
        row = await self.db.fetchone(sql, params)
        assert row is not None, sql
        return row[0]

    async def outbox(self, chat_id: int | None = None) -> list[OutboxRow]:
        """The queued messages (in queue order), all or those into one chat."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE chat_id = coalesce(?, chat_id) ORDER BY id", (chat_id,)
        )
        return [
            OutboxRow(
                r["id"],
                r["chat_id"],
                r["method"],
                json.loads(r["payload"]),
                r["dedup_key"],
                r["coalesce_key"],
                r["message_ref"],
                r["priority"],
                r["state"],
            )
            for r in rows
        ]

    async def submission(self, submission_id: int) -> Submission:
        return await self.stores.submissions.submission(submission_id)

    # ---- the services most tests need -----------------------------------------------------

    def make_intake(self, rules: IntakeRules | None = None) -> IntakeService:
        settings = self.settings
        return IntakeService(
            self.stores.submissions,
            self.stores.participants,
            self.readers,
            self.replies,
            rules
            or IntakeRules(
                min_weight=settings.min_length,
                quota_limit=settings.rate_limit,
                quota_window=timedelta(seconds=settings.rate_window_s),
            ),
            self.clock,
            event=settings.event,
            working_language=settings.language,
            refresh_post=self.feed.refresh_post,
        )

    def make_moderation(self) -> ModerationService:
        return ModerationService(
            self.stores.moderation,
            self.stores.submissions,
            self.readers,
            self.replies,
            self.feed,
            self.settings,
            self.clock,
        )

    def make_translator(self) -> TranslationWorker:
        """The translation worker without an engine (closed with the world)."""
        worker = TranslationWorker(
            self.stores.translations, self.detector, None, self.settings.language
        )
        self._translators.append(worker)
        return worker

    def next_message_id(self) -> int:
        self._messages += 1
        return self._messages

    async def submit(
        self,
        user_id: int,
        text: str,
        language_code: str | None = "en",
        kind: Kind = Kind.QUESTION,
    ) -> Submission:
        """A private message taken in by intake, as a participant would send it."""
        if self._intake is None:
            self._intake = self.make_intake()
        message_id = self.next_message_id()
        author = Author(user_id, user_id, language_code)
        await self._intake.submit(Received(message_id, author, message_id, text), kind)
        stored = await self.stores.submissions.submission_by_message(user_id, message_id)
        assert stored is not None, f"intake refused {text!r}"
        return stored

    async def post_to_moderators(self) -> None:
        """Let the feed show everything new to the moderators' group as posts."""
        self.clock.advance(seconds=LANGUAGE_WAIT.total_seconds() + 1)
        await self.feed.feed_once()

    async def set_status(self, submission_id: int, status: str) -> None:
        """Put a submission in a status behind the services' back (a test's precondition)."""
        await self.db.fetchall(
            "UPDATE submissions SET status = ?, position = CASE WHEN ? = 'approved' THEN"
            " (SELECT coalesce(max(position), 0) + 1 FROM submissions) END WHERE id = ?",
            (status, status, submission_id),
        )

    async def close(self) -> None:
        for worker in self._translators:
            await worker.drain(0)
        await self.db.close()


@pytest.fixture(scope="session")
def locales() -> Locales:
    return load_locales(LOCALES_DIR)


@pytest.fixture(scope="session")
def detector() -> Detector:
    return make_detector("py3langid")


@pytest.fixture
def settings() -> Settings:
    """Override in a module (or a test) for other settings."""
    return settings_for_tests()


@pytest.fixture
async def world(
    tmp_path: Path, locales: Locales, detector: Detector, settings: Settings
) -> AsyncIterator[World]:
    db = await open_database(tmp_path / "townhall.db")
    stores = Stores.on(db)
    clock = FixedClock(NOW)
    wakes = WakeCounter()
    replies = ReplyWriter(stores.outbox, wakes, clock)
    readers = Readers(stores.participants, stores.parties, locales, settings.language)
    feed = FeedService(
        stores.moderation, stores.submissions, readers, replies, settings.moderator_chat, clock
    )
    world = World(db, stores, locales, settings, clock, wakes, readers, replies, feed, detector)
    try:
        yield world
    finally:
        await world.close()
