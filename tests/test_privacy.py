"""Erasure on request: /privacy, /forget, purge — checked down to the bytes on disk."""

from __future__ import annotations

from pathlib import Path

from bot import render
from bot.i18n import load_locales
from bot.telegram import callbacks
from tests.conftest import RunningBot, raw_bytes, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
SECRET_TEXT = "Mein Name ist Zeynep Kaya, ich wohne in der Blumenstraße 12, Sivas"


def database_bytes(db: Path) -> bytes:
    """The database file and its WAL, as they are on disk."""
    wal = db.with_name(db.name + "-wal")
    return raw_bytes(db) + (raw_bytes(wal) if wal.exists() else b"")


async def test_privacy_explains_in_the_participants_language(bot: RunningBot) -> None:
    bot.fake.push_message(30, "/privacy", language_code="de")
    assert await bot.reply_to(30, 0) == render.privacy.privacy(LOCALES.get("de")).text


async def test_forget_erases_texts_and_identity_from_the_files(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, TOWNHALL_MODERATOR_CHAT="-100555") as bot:
        fake.push_message(31, SECRET_TEXT, language_code="de")
        fake.push_message(32, "Another participant keeps their question", language_code="en")
        await fake.wait_for_messages(31, 1)
        await fake.wait_for_messages(32, 1)
        post = (await fake.wait_for_messages(-100555, 2, timeout=20))[0]
        assert "Blumenstraße" in (post.text or "")
        assert SECRET_TEXT.encode() in database_bytes(bot.settings.db_path)
        fake.push_message(31, "/forget", language_code="de")
        prompt = (await fake.wait_for_messages(31, 2))[1]
        de = LOCALES.get("de")
        assert prompt.text == render.privacy.forget_prompt(de, 1).text
        [[button]] = prompt.reply_markup["inline_keyboard"]
        assert callbacks.decode(button["callback_data"]) == callbacks.ConfirmForget()
        fake.push_callback(31, prompt.message_id, button["callback_data"], language_code="de")
        await fake.wait_for(lambda: prompt.edits == [render.privacy.forgotten(de).text])
        await fake.wait_for(lambda: bool(post.edits), timeout=10)  # the moderators' post too
        rows = bot.values("SELECT participant_id, text, chat_id FROM submissions ORDER BY id")
        assert rows[0][1] == "" and rows[0][0] == 0 and rows[0][2] < 0
        assert rows[1][1] == "Another participant keeps their question"
        assert bot.values("SELECT count(*) FROM participants WHERE user_id = 31") == [(0,)]
        assert bot.values("SELECT count(*) FROM outbox WHERE chat_id = 31") == [(0,)]
        on_disk = database_bytes(bot.settings.db_path)
        assert SECRET_TEXT.encode() not in on_disk
        assert "Blumenstraße".encode() not in on_disk
        assert "Blumenstraße" not in post.edits[-1]


async def test_purge_erases_old_texts_only(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        fake.push_message(40, "An old question that should be purged", language_code="en")
        fake.push_message(41, "A recent question that should stay", language_code="en")
        await fake.wait_for_messages(40, 1)
        await fake.wait_for_messages(41, 1)
        bot.execute(
            "UPDATE submissions SET created_at = '2020-01-01T00:00:00Z' WHERE participant_id = 40"
        )
        db = bot.settings.db_path
    code, out, _ = await run_cli("purge", "--older-than", "30", env={"TOWNHALL_DB": str(db)})
    assert code == 0 and "1 submissions" in out
    assert b"An old question that should be purged" not in database_bytes(db)
    assert b"A recent question that should stay" in database_bytes(db)
