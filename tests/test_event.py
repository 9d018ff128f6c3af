"""The event file: topics after submitting, the schedule of the intake window, limits."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import render
from bot.config import ConfigError, load_settings
from bot.event import EventFileError, intake_is_open, load_event
from bot.i18n import load_locales
from bot.telegram import callbacks
from tests.conftest import RunningBot, load_submission, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
EN = LOCALES.get("en")
ORGANIZER, MODERATOR, GROUP = 951, 952, -100951
STAFF = {
    "TOWNHALL_ORGANIZERS": str(ORGANIZER),
    "TOWNHALL_MODERATORS": str(MODERATOR),
    "TOWNHALL_MODERATOR_CHAT": str(GROUP),
}
EVENT = """
[event]
name = { en = "Global Town Hall on Climate", fr = "Town Hall mondial sur le climat" }
description = "Ask the Secretary"
starts_at = {starts}
timezone = "Africa/Nairobi"
stream_url = "https://example.org/live"
{window}

[limits]
min_length = 12

[[topics]]
id = "climate"
label = { en = "Climate", fr = "Climat", es = "Clima" }

[[topics]]
id = "health"
label = { en = "Health", fr = "Santé" }
"""


def toml_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_event(tmp_path: Path, window: str = "", starts: datetime | None = None) -> Path:
    starts = starts or datetime.now(UTC) + timedelta(days=3)
    path = tmp_path / "event.toml"
    path.write_text(EVENT.replace("{starts}", toml_time(starts)).replace("{window}", window))
    return path


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    config = str(write_event(tmp_path))
    async with running_bot(fake, tmp_path, TOWNHALL_CONFIG=config, **STAFF) as running:
        yield running


# ---- the file --------------------------------------------------------------------------------


def test_event_file_is_read_with_times_in_its_zone(tmp_path: Path) -> None:
    path = tmp_path / "e.toml"
    path.write_text(
        '[event]\nstarts_at = 2026-12-10T15:00:00\ntimezone = "Africa/Nairobi"\n'
        'opens_at = "2026-12-01 09:00"\ncloses_at = 2026-12-10T16:30:00+03:00\n'
        '[[topics]]\nid = "climate"\nlabel = "Climate"\n'
    )
    event = load_event(path)
    assert event.starts_at == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # Nairobi is UTC+3
    assert event.opens_at == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert event.closes_at == datetime(2026, 12, 10, 13, 30, tzinfo=UTC)
    assert event.topic_choices("fr", "en") == [("climate", "Climate")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[event]\ntimezone = 'Mars/Olympus'\n", "unknown time zone"),
        ("[event]\nstarts_at = 'next friday'\n", "event.starts_at"),
        ("[event]\nopens_at = 2026-12-02T00:00:00\ncloses_at = 2026-12-01T00:00:00\n",
         "closes_at must come after"),
        ("[[topics]]\nid = 'Climate Change'\nlabel = 'x'\n", "topics[1].id"),
        ("[[topics]]\nid = 'a'\nlabel = 'x'\n[[topics]]\nid = 'a'\nlabel = 'y'\n", "used twice"),
        ("[[topics]]\nid = 'a'\n", "topics[1].label is missing"),
        ("[limits]\nrate_limit = 0\n", "limits.rate_limit"),
        ("[limits]\nmax_votes = 3\n", "unknown key limits.max_votes"),
        ("[event]\nstream_url = 'ftp://x'\n", "stream_url"),
        ("[event\n", "e.toml"),
        ("[party]\n", "unknown section"),
    ],
)  # fmt: skip
def test_event_file_mistakes_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "e.toml"
    path.write_text(content)
    with pytest.raises(EventFileError, match=re.escape(problem)):
        load_event(path)
    with pytest.raises(ConfigError, match="TOWNHALL_CONFIG"):
        load_settings({"TOWNHALL_CONFIG": str(path)})


def test_limits_from_the_file_and_variables_win(tmp_path: Path) -> None:
    path = tmp_path / "e.toml"
    path.write_text("[limits]\nmin_length = 20\nrate_limit = 9\n")
    settings = load_settings({"TOWNHALL_CONFIG": str(path), "TOWNHALL_RATE_LIMIT": "3"})
    assert (settings.min_length, settings.rate_limit, settings.rate_window_s) == (20, 3, 600)


async def test_a_bad_event_file_stops_the_start_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "e.toml"
    path.write_text("[[topics]]\nid = 'UPPER'\nlabel = 'x'\n")
    code, _, err = await run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": "1:x", "TOWNHALL_CONFIG": str(path)}
    )
    assert code == 2
    assert "TOWNHALL_CONFIG" in err and "topics[1].id" in err and "Traceback" not in err


def test_the_most_recent_of_schedule_and_switch_decides(tmp_path: Path) -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    path = tmp_path / "e.toml"
    path.write_text(
        f"[event]\nopens_at = {toml_time(t0)}\ncloses_at = {toml_time(t0 + timedelta(days=1))}\n"
    )
    event = load_event(path)
    hour = timedelta(hours=1)
    assert not intake_is_open(event, None, t0 - hour)  # before the opening
    assert intake_is_open(event, None, t0 + hour)
    assert not intake_is_open(event, None, t0 + 25 * hour)  # after the closing
    # Opened early by an organizer; the scheduled opening and closing still act.
    assert intake_is_open(event, (True, t0 - 2 * hour), t0 - hour)
    assert not intake_is_open(event, (True, t0 - 2 * hour), t0 + 25 * hour)
    # Closed during the window by an organizer: stays closed until someone opens it.
    assert not intake_is_open(event, (False, t0 + hour), t0 + 2 * hour)
    # Reopened after the scheduled closing: open.
    assert intake_is_open(event, (True, t0 + 26 * hour), t0 + 27 * hour)
    assert intake_is_open(None, None, t0) and not intake_is_open(None, (False, None), t0)


def test_event_times_read_in_each_language() -> None:
    at = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    zone = ZoneInfo("Africa/Nairobi")
    english = render.base.moment("en", at, zone)
    # CLDR's own spacing (a narrow no-break space before PM) varies between versions.
    assert english.startswith("Thursday, December 10, 2026, 3:00") and "PM" in english
    assert english.endswith("(Africa/Nairobi)")
    assert render.base.moment("fr", at, zone).startswith("jeudi 10 décembre 2026")
    assert "15:00" in render.base.moment("de", at, zone)
    assert "2026" in render.base.moment("ar", at, zone) or "٢٠٢٦" in render.base.moment(
        "ar", at, zone, "Africa/Nairobi"
    )


# ---- topics in the chat ----------------------------------------------------------------------


async def confirmation_of(bot: RunningBot, user: int, text: str, language: str) -> tuple[int, str]:
    before = len(bot.fake.messages_to(user))
    bot.fake.push_message(user, text, language_code=language)
    message = (await bot.fake.wait_for_messages(user, before + 1))[before]
    match = re.search(r"#(\d+)", message.text or "")
    assert match
    return int(match.group(1)), str(message.message_id)


async def test_participant_picks_a_topic_in_their_language(bot: RunningBot) -> None:
    sid, _ = await confirmation_of(bot, 501, "Comment financer l'adaptation au climat ?", "fr")
    message = bot.fake.messages_to(501)[0]
    fr = LOCALES.get("fr")
    assert (
        message.text
        == render.intake.confirmation(
            fr, await load_submission(bot, sid), [("climate", "Climat"), ("health", "Santé")]
        ).text
    )
    buttons = [b for row in message.reply_markup["inline_keyboard"] for b in row]
    labels = [b["text"] for b in buttons]
    assert labels[:3] == ["Climat", "Santé", fr.gettext("No topic")]
    # A forged topic, and someone else's submission, change nothing.
    bot.fake.push_callback(501, message.message_id, f"t:{sid}:nuclear", language_code="fr")
    await confirmation_of(bot, 502, "Une autre question, d'un autre participant", "fr")
    own = bot.fake.messages_to(502)[0].message_id
    bot.fake.push_callback(502, own, f"t:{sid}:health", language_code="fr")
    climate = next(b for b in buttons if b["text"] == "Climat")
    bot.fake.push_callback(501, message.message_id, climate["callback_data"], language_code="fr")
    # All three presses answered (participant 502's, in another chat, in its own time).
    await bot.fake.wait_for(lambda: len(bot.fake.calls("answerCallbackQuery")) == 3)
    await bot.fake.wait_for(lambda: bool(message.edits))
    assert bot.values("SELECT topic FROM submissions WHERE id = ?", (sid,)) == [("climate",)]
    assert "🏷" in message.edits[-1] and "Climat" in message.edits[-1]
    answers = [c.params.get("text") for c in bot.fake.calls("answerCallbackQuery")]
    assert render.intake.topic_chosen(fr, sid, "Climat") in answers
    assert render.common.stale_button(fr) in answers
    assert render.intake.cannot_change(fr, sid) in answers
    # The kind switch still works, and keeps the topic shown.
    kind_button = message.reply_markup["inline_keyboard"][-1][0]
    bot.fake.push_callback(
        501, message.message_id, kind_button["callback_data"], language_code="fr"
    )
    await bot.fake.wait_for(lambda: len(message.edits) >= 2)
    assert "Climat" in message.edits[-1]


async def test_no_topic_removes_the_buttons(bot: RunningBot) -> None:
    sid, _ = await confirmation_of(bot, 503, "What is the plan for rural clinics?", "en")
    message = bot.fake.messages_to(503)[0]
    skip = callbacks.encode(callbacks.ChooseTopic(sid, ""))
    bot.fake.push_callback(503, message.message_id, skip)
    await bot.fake.wait_for(lambda: bool(message.edits))
    assert bot.values("SELECT topic FROM submissions WHERE id = ?", (sid,)) == [("",)]
    keyboard = message.reply_markup["inline_keyboard"]
    assert all(not b["callback_data"].startswith("t:") for row in keyboard for b in row)


async def test_moderators_see_and_filter_by_topic_and_stats_count_it(bot: RunningBot) -> None:
    first, _ = await confirmation_of(bot, 504, "How will health workers be protected?", "en")
    second, _ = await confirmation_of(bot, 505, "How will coastal towns adapt to the sea?", "en")
    for user, sid, topic in ((504, first, "health"), (505, second, "climate")):
        message = bot.fake.messages_to(user)[0]
        data = callbacks.encode(callbacks.ChooseTopic(sid, topic))
        bot.fake.push_callback(user, message.message_id, data)
    await bot.fake.wait_for(
        lambda: bot.values("SELECT count(*) FROM submissions WHERE topic != ''") == [(2,)]
    )
    before = len(bot.fake.messages_to(MODERATOR))
    bot.fake.push_message(MODERATOR, "/queue health")
    page = await bot.reply_to(MODERATOR, before)
    assert f"#{first}" in page and f"#{second}" not in page and "🏷 health" in page
    posts = await bot.fake.wait_for_messages(GROUP, 2, timeout=20)
    await bot.fake.wait_for(lambda: any("🏷 health" in (p.current_text or "") for p in posts))
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/stats")
    answers = (await bot.fake.wait_for_messages(ORGANIZER, before + 2))[before:]
    [text] = [m.text or "" for m in answers if m.document is None]
    assert "climate 1" in text and "health 1" in text
    code, out, _ = await run_cli("export", env={"TOWNHALL_DB": str(bot.settings.db_path)})
    assert code == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows[str(first)]["topic"] == "health" and rows[str(second)]["topic"] == "climate"


async def test_limits_of_the_event_file_apply(bot: RunningBot) -> None:
    bot.fake.push_message(506, "Too short q", language_code="en")  # 11 < 12
    assert await bot.reply_to(506, 0) == render.intake.too_short(EN, 12).text


# ---- the schedule ----------------------------------------------------------------------------


async def test_closed_before_the_opening_says_when_it_opens(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    opens = datetime.now(UTC) + timedelta(days=1)
    starts = opens + timedelta(days=2)
    config = write_event(tmp_path, f"opens_at = {toml_time(opens)}", starts)
    async with running_bot(fake, tmp_path, TOWNHALL_CONFIG=str(config), **STAFF) as bot:
        fake.push_message(
            507, "Une question avant l'ouverture des soumissions", language_code="fr"
        )
        text = await bot.reply_to(507, 0)
        zone = ZoneInfo("Africa/Nairobi")
        fr = LOCALES.get("fr")
        assert (
            text
            == render.intake.intake_closed(
                fr,
                render.base.moment("fr", opens, zone),
                render.base.moment("fr", starts, zone),
            ).text
        )
        assert bot.submissions() == []
        # An organizer may open early.
        before = len(fake.messages_to(ORGANIZER))
        fake.push_message(ORGANIZER, "/open")
        await bot.reply_to(ORGANIZER, before)
        fake.push_message(507, "Une question après l'ouverture anticipée", language_code="fr")
        await bot.reply_to(507, 1)
        assert len(bot.submissions()) == 1


async def test_closed_after_the_scheduled_closing(fake: FakeTelegram, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    opened, closed = now - timedelta(days=2), now - timedelta(hours=1)
    window = f"opens_at = {toml_time(opened)}\ncloses_at = {toml_time(closed)}"
    config = write_event(tmp_path, window, now + timedelta(hours=2))
    async with running_bot(fake, tmp_path, TOWNHALL_CONFIG=str(config), **STAFF) as bot:
        fake.push_message(508, "A question after the closing time", language_code="en")
        text = await bot.reply_to(508, 0)
        assert "not recorded" in text and "Africa/Nairobi" in text
        assert bot.submissions() == []


def test_event_example_in_the_deploy_folder_is_valid(repo_root: Path) -> None:
    example = repo_root / "deploy" / "event.example.toml"
    settings = load_settings({"TOWNHALL_CONFIG": str(example)})
    assert settings.event is not None and len(settings.event.topics) >= 2


# ---- /export in the chat ---------------------------------------------------------------------


async def test_export_arrives_as_a_document_for_organizers_only(bot: RunningBot) -> None:
    first, _ = await confirmation_of(bot, 520, '=HYPERLINK("http://evil") comment voter ?', "fr")
    await confirmation_of(bot, 521, "Как защитить журналистов во время выборов?", "ru")
    # A participant (and a moderator) is refused every organizers' command.
    for user, command in [(520, c) for c in ("/export", "/stats", "/open", "/broadcast hi")] + [
        (MODERATOR, "/export")
    ]:
        before = len(bot.fake.messages_to(user))
        bot.fake.push_message(user, command)
        assert (
            await bot.reply_to(user, before) == render.common.staff_only(EN, organizers=True).text
        )
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/export csv pending")
    [document] = (await bot.fake.wait_for_messages(ORGANIZER, before + 1))[before:]
    assert document.document is not None
    name, content = document.document
    assert re.fullmatch(r"townhall-\d{8}-\d{4}\.csv", name)
    assert content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [str(first), str(first + 1)]
    assert rows[0]["text"].startswith("'=HYPERLINK")  # never a formula
    assert rows[1]["text"] == "Как защитить журналистов во время выборов?"
    assert rows[0]["participant"].startswith("P-") and "520" not in content.decode("utf-8-sig")
    assert document.text == render.statistics.export_caption(EN, 2, ["pending"], None).text
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/export xlsx approved")
    [book] = (await bot.fake.wait_for_messages(ORGANIZER, before + 1))[before:]
    assert book.document is not None and book.document[0].endswith(".xlsx")
    assert book.document[1].startswith(b"PK")
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/export everything please")
    assert await bot.reply_to(ORGANIZER, before) == render.common.usage(EN, "export").text
