"""Retention: texts erased by themselves `retention_days` after the event closes.

The setting (event file and TOWNHALL_RETENTION_DAYS), the worker against a real SQLite file,
the running bot purging at start, and /privacy giving the day in the participant's language.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import render
from bot.config import ConfigError, Settings, load_settings
from bot.event import erasure_moment
from bot.i18n import load_locales
from bot.workers.retention import (
    MAX_WAIT_S,
    RetentionWorker,
    build_retention_worker,
    retention_status,
)
from storage import Stores, open_database
from storage.models import Kind, OutboxMessage
from storage.submissions import NewSubmission
from tests.conftest import TOKEN, raw_bytes, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
NAIROBI = ZoneInfo("Africa/Nairobi")
VARIABLE = "TOWNHALL_RETENTION_DAYS"


def event_file(tmp_path: Path, privacy: str = "", closes_at: str | None = None) -> Path:
    path = tmp_path / "event.toml"
    window = f"closes_at = {closes_at}\n" if closes_at else ""
    path.write_text(
        f'[event]\ntimezone = "Africa/Nairobi"\n{window}\n{privacy}\n', encoding="utf-8"
    )
    return path


def settings(
    tmp_path: Path, privacy: str = "", closes_at: str | None = None, **env: str
) -> Settings:
    values = {"TOWNHALL_CONFIG": str(event_file(tmp_path, privacy, closes_at))}
    values.update(env)
    return load_settings(values)


# ---- the setting ---------------------------------------------------------------------------


def test_retention_days_from_the_event_file(tmp_path: Path) -> None:
    loaded = settings(tmp_path, "[privacy]\nretention_days = 30", "2026-12-10T16:30:00")
    assert loaded.retention_days == 30
    # 16:30 in Nairobi is 13:30 UTC; thirty days later.
    assert erasure_moment(loaded.event, loaded.retention_days) == datetime(
        2027, 1, 9, 13, 30, tzinfo=UTC
    )


def test_the_variable_wins_over_the_event_file(tmp_path: Path) -> None:
    privacy = "[privacy]\nretention_days = 30"
    assert settings(tmp_path, privacy, **{VARIABLE: "7"}).retention_days == 7
    assert settings(tmp_path, privacy, **{VARIABLE: "0"}).retention_days == 0
    assert settings(tmp_path, privacy, **{VARIABLE: " "}).retention_days == 30  # blank: unset
    assert load_settings({VARIABLE: "14"}).retention_days == 14  # without an event file


def test_without_either_there_is_no_retention(tmp_path: Path) -> None:
    assert load_settings({}).retention_days is None
    assert settings(tmp_path, closes_at="2026-12-10T16:30:00").retention_days is None


@pytest.mark.parametrize("value", ["-1", "thirty", "1.5", "36501"])
def test_a_bad_variable_names_it(value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({VARIABLE: value})
    assert error.value.variable == VARIABLE and value in str(error.value)


@pytest.mark.parametrize(
    "privacy",
    [
        "[privacy]\nretention_days = -1",
        '[privacy]\nretention_days = "30"',
        "[privacy]\nretention_days = 1.5",
        "[privacy]\nretention_days = true",
        "[privacy]\nretention_days = 36501",
    ],
)
def test_a_bad_value_in_the_event_file_names_the_key(tmp_path: Path, privacy: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings(tmp_path, privacy)
    assert error.value.variable == "TOWNHALL_CONFIG"
    assert "privacy.retention_days must be a whole number of days from 0 to 36500" in str(
        error.value
    )


def test_an_unknown_privacy_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key privacy\.keep_days"):
        settings(tmp_path, "[privacy]\nkeep_days = 3")
    top_level = tmp_path / "top.toml"
    top_level.write_text('privacy = 3\n[event]\ntimezone = "UTC"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="privacy must be a table"):
        load_settings({"TOWNHALL_CONFIG": str(top_level)})


def test_a_moment_past_the_calendar_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="past the year 9999"):
        settings(tmp_path, closes_at="9999-06-01T00:00:00", **{VARIABLE: "365"})


async def test_a_bad_value_stops_the_start_with_one_line(tmp_path: Path) -> None:
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOWNHALL_DB": str(tmp_path / "x.db")}
    code, out, err = await run_cli("run", env={**base, VARIABLE: "soon"})
    assert code == 2 and out == "" and not (tmp_path / "x.db").exists()
    assert err.strip() == (
        "townhall-bot: configuration error: TOWNHALL_RETENTION_DAYS: 'soon' is not a whole "
        "number of days"
    )
    config = event_file(tmp_path, "[privacy]\nretention_days = -3")
    code, out, err = await run_cli("run", env={**base, "TOWNHALL_CONFIG": str(config)})
    assert code == 2 and out == "" and not (tmp_path / "x.db").exists()
    assert err.strip() == (
        "townhall-bot: configuration error: TOWNHALL_CONFIG: privacy.retention_days must be "
        "a whole number of days from 0 to 36500, such as 90"
    )


def test_the_example_event_file_and_the_readme_agree(repo_root: Path) -> None:
    """deploy/event.example.toml: closes_at 2026-12-10T16:30 in Nairobi, 90 days; the README
    quotes what /privacy then says."""
    example = load_settings({"TOWNHALL_CONFIG": str(repo_root / "deploy/event.example.toml")})
    assert example.event is not None and example.retention_days == 90
    erase_at = erasure_moment(example.event, example.retention_days)
    assert erase_at == datetime(2027, 3, 10, 13, 30, tzinfo=UTC)
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    for locale in ("en", "fr"):
        day = render.privacy.erasure_day(locale, erase_at, example.event.timezone)
        sentence = render.privacy.privacy(LOCALES.get(locale), day).text.split("\n\n")[3]
        assert f'"{sentence}"' in " ".join(readme.split())


def test_without_a_closing_time_retention_cannot_apply(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Days set, no closes_at: no worker, a warning at start, and `check` can say so."""
    loaded = settings(tmp_path, "[privacy]\nretention_days = 30")
    assert erasure_moment(loaded.event, loaded.retention_days) is None
    with caplog.at_level(logging.WARNING, logger="bot.workers.retention"):
        assert build_retention_worker(loaded, None) is None  # type: ignore[arg-type]
    assert "no event.closes_at: nothing will be erased by itself" in caplog.text
    ok, detail = retention_status(loaded)
    assert not ok and "no event.closes_at" in detail
    # Without days nothing is said at start, and check reports retention off.
    caplog.clear()
    assert build_retention_worker(load_settings({}), None) is None  # type: ignore[arg-type]
    assert caplog.text == ""
    assert retention_status(load_settings({})) == (
        True,
        "off (TOWNHALL_RETENTION_DAYS and [privacy] retention_days not set)",
    )
    on = settings(tmp_path, "[privacy]\nretention_days = 30", "2026-12-10T16:30:00")
    assert retention_status(on) == (
        True,
        "texts received before 2027-01-09T13:30:00Z are erased at that moment "
        "(30 days after event.closes_at)",
    )


# ---- the worker, on a real SQLite file -----------------------------------------------------

CLOSES_AT = datetime(2026, 12, 10, 13, 30, tzinfo=UTC)
ERASE_AT = CLOSES_AT + timedelta(days=30)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def db_values(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def submit(stores: Stores, user_id: int, text: str, at: datetime) -> int:
    def confirmation(sub: object) -> OutboxMessage:
        return OutboxMessage(user_id, "send_message", {"chat_id": user_id, "text": "ok"}, None)

    result = await stores.submissions.submit(
        NewSubmission(user_id, "en", user_id, int(at.timestamp()), Kind.QUESTION, text, "en", at),
        None,
        confirmation,
    )
    return result.submission.id


async def test_the_worker_purges_exactly_what_came_before_the_moment_once_it_passed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "townhall.db"
    db = await open_database(path)
    try:
        stores = Stores.on(db)
        before_close = await submit(
            stores, 11, "Sent before the closing", CLOSES_AT - timedelta(1)
        )
        after_close = await submit(stores, 12, "Sent after the closing", CLOSES_AT + timedelta(1))
        last_second = await submit(stores, 13, "Sent a second early", ERASE_AT - timedelta(0, 1))
        at_moment = await submit(stores, 14, "Sent at the very moment", ERASE_AT)
        clock = Clock(CLOSES_AT)
        worker = RetentionWorker(stores.participants, ERASE_AT, clock)
        texts = "SELECT id, text, participant_id FROM submissions ORDER BY id"
        kept = db_values(path, texts)

        # Before the moment: nothing erased; the next look is at most an hour away, and
        # exactly the remaining time in the last hour.
        assert await worker.tick() == MAX_WAIT_S
        clock.now = ERASE_AT - timedelta(seconds=90)
        assert await worker.tick() == 90.0
        clock.now = ERASE_AT - timedelta(microseconds=1)
        assert 0 < await worker.tick() < 0.001
        assert db_values(path, texts) == kept

        # The moment has passed: everything received before it, and nothing else.
        clock.now = ERASE_AT
        with caplog.at_level(logging.INFO, logger="bot.workers.retention"):
            assert await worker.tick() == MAX_WAIT_S
        assert db_values(path, texts) == [
            (before_close, "", 0),
            (after_close, "", 0),
            (last_second, "", 0),
            (at_moment, "Sent at the very moment", 14),
        ]
        # The participants who sent nothing since are gone with their texts.
        assert db_values(path, "SELECT user_id FROM participants ORDER BY user_id") == [
            (0,),
            (14,),
        ]
        # Counts only: no text, no Telegram id.
        assert [r.getMessage() for r in caplog.records] == [
            "retention: erased the texts of 3 submission(s)"
        ]

        # An hour later, a text that reached the database late is erased too.
        late = await submit(stores, 15, "Stamped before the moment", ERASE_AT - timedelta(0, 5))
        clock.now = ERASE_AT + timedelta(hours=1)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.workers.retention"):
            assert await worker.tick() == MAX_WAIT_S
            assert await worker.tick() == MAX_WAIT_S  # nothing left: nothing logged
        assert db_values(
            path, f"SELECT text, participant_id FROM submissions WHERE id = {late}"
        ) == [("", 0)]
        assert db_values(path, f"SELECT text FROM submissions WHERE id = {at_moment}") == [
            ("Sent at the very moment",)
        ]
        assert [r.getMessage() for r in caplog.records] == [
            "retention: erased the texts of 1 submission(s)"
        ]
        assert b"Sent before the closing" not in raw_bytes(path)
    finally:
        await db.close()


async def test_the_running_bot_purges_at_start_once_the_moment_has_passed(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Wired in: a question sent, then the bot restarted with an event file whose closing
    plus retention lies in the past. Its /privacy then gives no day (it has passed)."""
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(21, "A question from before the closing", language_code="en")
        await bot.reply_to(21, 0)
        db = bot.settings.db_path
    # Received long before the closing.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE submissions SET created_at = '2020-01-01T00:00:00Z'")
    conn.close()
    closed = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = event_file(tmp_path, "[privacy]\nretention_days = 1", closed)
    async with running_bot(fake, tmp_path, TOWNHALL_CONFIG=str(config)) as bot:
        assert bot.settings.db_path == db
        await fake.wait_for(
            lambda: db_values(db, "SELECT text FROM submissions") == [("",)], timeout=10
        )
        before = len(fake.messages_to(22))
        fake.push_message(22, "/privacy", language_code="en")
        assert await bot.reply_to(22, before) == render.privacy.privacy(LOCALES.get("en")).text


# ---- /privacy, through the real bot -------------------------------------------------------

# 16:30 in Nairobi on 10 December 2098, plus 30 days: 9 January 2099.
FUTURE_CLOSE = "2098-12-10T16:30:00"
FUTURE_ERASE = datetime(2099, 1, 9, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("en", "Your texts will be erased on Friday, January 9, 2099."),
        ("fr", "Vos textes seront effacés le vendredi 9 janvier 2099."),
        ("ar", "ستُمحى نصوصكم يوم الجمعة، 9 يناير 2099."),
    ],
)
async def test_privacy_gives_the_day_in_the_participants_language(
    fake: FakeTelegram, tmp_path: Path, locale: str, sentence: str
) -> None:
    config = event_file(tmp_path, "[privacy]\nretention_days = 30", FUTURE_CLOSE)
    async with running_bot(fake, tmp_path, TOWNHALL_CONFIG=str(config)) as bot:
        fake.push_message(31, "/privacy", language_code=locale)
        text = await bot.reply_to(31, 0)
    assert sentence in text.split("\n\n")
    day = render.privacy.erasure_day(locale, FUTURE_ERASE, NAIROBI)
    assert text == render.privacy.privacy(LOCALES.get(locale), day).text


async def test_privacy_mentions_no_day_without_retention(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    plain = render.privacy.privacy(LOCALES.get("fr")).text
    # No retention at all; then days set but no closing time to count from.
    configs: list[dict[str, str]] = [
        {},
        {"TOWNHALL_CONFIG": str(event_file(tmp_path, "[privacy]\nretention_days = 30"))},
    ]
    for number, extra in enumerate(configs):
        (tmp_path / str(number)).mkdir()
        async with running_bot(fake, tmp_path / str(number), **extra) as bot:
            before = len(fake.messages_to(41))
            fake.push_message(41, "/privacy", language_code="fr")
            text = await bot.reply_to(41, before)
        assert text == plain
        assert "effacés le" not in text and "2099" not in text
