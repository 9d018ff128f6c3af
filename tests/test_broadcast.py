"""Organizers' announcements: preview, confirm, every participant once, in their language."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render
from bot.i18n import load_locales
from bot.workers.broadcast import WINDOW
from storage import open_database
from storage.broadcasts import Broadcast, BroadcastStore, Progress
from tests.conftest import RunningBot, bot_env, running_bot, wait_idle
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.process import BotProcess, db_rows

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
EN = LOCALES.get("en")
ORGANIZER, MODERATOR = 961, 962
STAFF = {"TOWNHALL_ORGANIZERS": str(ORGANIZER), "TOWNHALL_MODERATORS": str(MODERATOR)}
ANNOUNCEMENT = "We are live in 10 minutes! Watch at https://example.org/live & ask away."
SPANISH = "¡Estamos en directo en 10 minutos!"


@pytest.fixture
async def libre() -> AsyncIterator[FakeLibreTranslate]:
    async with FakeLibreTranslate() as server:
        yield server


async def start_bot(bot: RunningBot, user: int, language: str) -> None:
    before = len(bot.fake.messages_to(user))
    bot.fake.push_message(user, "/start", language_code=language)
    await bot.reply_to(user, before)


async def preview_of(bot: RunningBot, text: str) -> SentMessage:
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, text)
    return (await bot.fake.wait_for_messages(ORGANIZER, before + 1))[before]


def press(bot: RunningBot, user: int, message: SentMessage, index: int) -> None:
    button = message.reply_markup["inline_keyboard"][0][index]
    bot.fake.push_callback(user, message.message_id, button["callback_data"])


def announcements(fake: FakeTelegram, chat: int) -> list[SentMessage]:
    return [m for m in fake.messages_to(chat) if "📢" in (m.text or "")]


async def test_broadcast_reaches_everyone_in_their_language(
    fake: FakeTelegram, libre: FakeLibreTranslate, tmp_path: Path
) -> None:
    env = {**STAFF, "TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
    async with running_bot(fake, tmp_path, **env) as bot:
        people = {601: "en", 602: "fr", 603: "es", 604: "sw", 605: "fr", 606: "de"}
        for user, language in people.items():
            await start_bot(bot, user, language)
        fake.blocked_users.add(606)
        preview = await preview_of(bot, f"/broadcast {ANNOUNCEMENT}\nes: {SPANISH}")
        assert (
            "<blockquote>We are live in 10 minutes! Watch at https://example.org/live &amp;"
            in (preview.text or "")
        )
        # Six participants (the organizer wrote nothing, so is not one).
        assert preview.reply_markup["inline_keyboard"][0][0]["text"] == "📢 Send to 6"
        # Nothing goes out before the confirmation: a draft, with nothing queued for anyone.
        assert bot.values("SELECT state FROM broadcasts") == [("draft",)]
        assert bot.values("SELECT count(*) FROM outbox WHERE broadcast_id IS NOT NULL") == [(0,)]
        assert not announcements(fake, 601)
        press(bot, ORGANIZER, preview, 0)
        await fake.wait_for(lambda: all(announcements(fake, u) for u in (601, 602, 603, 604, 605)))
        await fake.wait_for(lambda: "✅" in (preview.current_text or ""), timeout=15)
        await wait_idle(fake, bot.settings.db_path)  # a second copy would have gone out by now

        def text_of(user: int) -> str:
            [message] = announcements(fake, user)
            return message.text or ""

        english = render.base.escape(ANNOUNCEMENT)
        assert english in text_of(601) and "Automatic translation" not in text_of(601)
        assert render.base.escape(f"[en->fr] {ANNOUNCEMENT}") in text_of(602)
        assert LOCALES.get("fr").gettext("<i>Automatic translation</i>") in text_of(602)
        assert SPANISH in text_of(603) and "[en->" not in text_of(603)
        # The fake translator has no Swahili: the original goes out, not marked as a translation.
        assert english in text_of(604)
        # Translated once per language, not once per person.
        french = [r for r in libre.requests if r.get("target") == "fr"]
        assert len(french) == 1
        assert announcements(fake, 606) == []
        assert bot.values(
            "SELECT blocked_at IS NOT NULL FROM participants WHERE user_id = 606"
        ) == [(1,)]
        final = preview.current_text or ""
        assert "Delivered: 5 of 6" in final and "1 participant has blocked the bot" in final
        # The next announcement skips the one who blocked the bot.
        second = await preview_of(bot, "/broadcast Thank you all for taking part today.")
        assert second.reply_markup["inline_keyboard"][0][0]["text"] == "📢 Send to 5"


async def test_broadcast_is_for_organizers_only_and_can_be_cancelled(
    bot_with_staff: RunningBot,
) -> None:
    bot = bot_with_staff
    await start_bot(bot, 611, "en")
    for user in (611, MODERATOR):
        before = len(bot.fake.messages_to(user))
        bot.fake.push_message(user, "/broadcast Hello everyone")
        assert (
            await bot.reply_to(user, before) == render.common.staff_only(EN, organizers=True).text
        )
    preview = await preview_of(bot, "/broadcast An announcement we will not send")
    # A participant forging the Send button changes nothing.
    send = preview.reply_markup["inline_keyboard"][0][0]["callback_data"]
    forged = bot.fake.push_callback(611, bot.fake.messages_to(611)[0].message_id, send)
    press(bot, ORGANIZER, preview, 1)  # Cancel
    await bot.fake.wait_for(lambda: bool(preview.edits))
    assert preview.edits[-1] == render.broadcast.broadcast_cancelled(EN).text
    late = bot.fake.push_callback(ORGANIZER, preview.message_id, send)  # a late Send (old client)
    await bot.fake.wait_for(lambda: {forged, late} <= set(bot.fake.callback_answers))
    # (Refused before the broadcast is looked at, as any staff button pressed by a participant.)
    assert bot.fake.callback_answers[forged]["text"] == render.base.plain(
        render.common.staff_only(EN).text
    )
    assert bot.fake.callback_answers[late]["text"] == render.broadcast.broadcast_already(EN)
    assert bot.values("SELECT state FROM broadcasts") == [("cancelled",)]
    # Never confirmed, so nothing was queued for anyone; and once everything owed is sent,
    # the participant has had no announcement.
    assert bot.values("SELECT count(*) FROM outbox WHERE broadcast_id IS NOT NULL") == [(0,)]
    await wait_idle(bot.fake, bot.settings.db_path)
    assert announcements(bot.fake, 611) == []
    # Usage: no text, or not in a private chat.
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/broadcast")
    assert await bot.reply_to(ORGANIZER, before) == render.common.usage(EN, "broadcast").text


@pytest.fixture
async def bot_with_staff(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(fake, tmp_path, **STAFF) as running:
        yield running


async def test_broadcast_keeps_telegrams_pace(tmp_path: Path) -> None:
    """With the fake enforcing Telegram's limits and the bot at its default pace, 120
    announcements and a question asked meanwhile all go through without a single 429."""
    async with (
        FakeTelegram(enforce_rate_limits=True) as fake,
        running_bot(fake, tmp_path, TOWNHALL_SEND_RATE="25", **STAFF) as bot,
    ):
        seed_participants(bot.settings.db_path, range(20_000, 20_120))
        preview = await preview_of(bot, "/broadcast The live show starts now.")
        press(bot, ORGANIZER, preview, 0)
        await fake.wait_for(lambda: len(announcements_to_range(fake)) >= 30, timeout=20)
        fake.push_message(612, "A question asked in the middle of the announcement")
        asked_at = len(announcements_to_range(fake))
        [confirmation] = await fake.wait_for_messages(612, 1, timeout=5)
        await fake.wait_for(lambda: len(announcements_to_range(fake)) == 120, timeout=30)
        assert fake.rate_limited == 0
        # Not stuck behind the 90 or so announcements still to go when it was asked: at most
        # the window of them already queued went out before its confirmation.
        answered_at = sum(1 for m in announcements_to_range(fake) if m.at < confirmation.at)
        assert answered_at <= asked_at + WINDOW < 120, (asked_at, answered_at)
        # Nor behind the window: announcements go at notice priority, so some of those
        # queued before the confirmation went out after it.
        sent_after = {m.chat_id for m in announcements_to_range(fake) if m.at > confirmation.at}
        queued_before = {
            int(chat)
            for (chat,) in bot.values(
                "SELECT b.chat_id FROM outbox AS b, outbox AS c WHERE c.chat_id = 612"
                " AND b.dedup_key LIKE 'bc:%' AND b.id < c.id"
            )
        }
        assert sent_after & queued_before, "the confirmation waited behind every announcement"


def announcements_to_range(fake: FakeTelegram) -> list[SentMessage]:
    return [m for m in fake.sent if 20_000 <= m.chat_id < 22_000 and "📢" in (m.text or "")]


def seed_participants(db: Path, users: range, language: str = "en") -> None:
    """Participants known to the bot (as if each had written once), straight into its file."""
    conn = sqlite3.connect(db)
    try:
        conn.executemany(
            "INSERT INTO participants (user_id, language_code, pseudonym, created_at)"
            " VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            [(u, language, f"P-SEED{u}") for u in users],
        )
        conn.commit()
    finally:
        conn.close()


async def test_broadcast_killed_halfway_resumes_exactly_once(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """2,000 participants; the bot is SIGKILLed with requests on the wire, halfway through;
    Telegram (the fake) still delivers what it received; the restarted bot finishes, and
    every participant has the announcement exactly once."""
    db = tmp_path / "townhall.db"
    env = bot_env(fake, db, **STAFF)
    first = BotProcess(env, tmp_path / "bot1.log")
    await first.start()
    await fake.wait_for(lambda: fake.active_polls > 0, timeout=20)
    users = range(30_000, 32_000)
    seed_participants(db, users)
    preview = await preview_of_process(fake, "/broadcast Ten minutes to the live show!")
    send = preview.reply_markup["inline_keyboard"][0][0]["callback_data"]
    fake.push_callback(ORGANIZER, preview.message_id, send)
    await fake.wait_for(lambda: len(delivered(fake, users)) >= 1000, timeout=60)
    fake.gates["sendmessage"] = gate = asyncio.Event()
    await fake.wait_for(lambda: fake.held >= 8, timeout=20)  # every sending slot on the wire
    first.kill()
    await first.wait()
    on_the_wire = fake.held
    gate.set()  # Telegram handles what it received, whether or not the client is still there
    await fake.wait_for(lambda: fake.held == 0)
    halfway = len(delivered(fake, users))
    assert 1000 <= halfway < 2000, halfway
    second = BotProcess(env, tmp_path / "bot2.log")
    await second.start()
    try:
        await fake.wait_for(lambda: len(delivered(fake, users)) >= 2000, timeout=90)
        await fake.wait_for(lambda: "✅" in (preview.current_text or ""), timeout=30)
        # Done, and nothing left to send: anything sent twice would have been sent by now.
        assert db_rows(db, "SELECT state FROM broadcasts") == [("done",)]
        await wait_idle(fake, db, timeout=30)
    finally:
        await second.terminate()
    counts = Counter(m.chat_id for m in delivered(fake, users))
    assert set(counts) == set(users)
    assert set(counts.values()) == {1}, [c for c, n in counts.items() if n > 1][:10]
    expected = render.broadcast.broadcast_progress(
        EN,
        await load_broadcast(db),
        Progress(2000, 0, 2000 - on_the_wire, 0, on_the_wire),
        finished=True,
    ).text
    assert preview.current_text == expected


async def preview_of_process(fake: FakeTelegram, text: str) -> SentMessage:
    before = len(fake.messages_to(ORGANIZER))
    fake.push_message(ORGANIZER, text)
    return (await fake.wait_for_messages(ORGANIZER, before + 1, timeout=20))[before]


def delivered(fake: FakeTelegram, users: range) -> list[SentMessage]:
    return [m for m in fake.sent if m.chat_id in users]


async def load_broadcast(db: Path) -> Broadcast:
    database = await open_database(db)
    try:
        found = await BroadcastStore(database).get(1)
    finally:
        await database.close()
    assert found is not None
    return found
