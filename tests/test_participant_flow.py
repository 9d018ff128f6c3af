"""End to end: the real application polling the fake Bot API over HTTP, a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot import render
from bot.i18n import Gettext, load_locales
from bot.telegram import callbacks
from storage.models import Kind
from tests.conftest import RunningBot, load_submission, running_bot, wait_idle
from tests.fakes.telegram_api import FakeTelegram

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")


def in_locale(locale: str, build: Callable[[Gettext], render.base.Reply]) -> str:
    """What the bot should say, rendered from that locale's catalog."""
    return build(LOCALES.get(locale)).text


async def test_welcome_in_the_participants_language(bot: RunningBot) -> None:
    bot.fake.push_message(1, "/start", language_code="fr")
    bot.fake.push_message(2, "/start", language_code="xx")
    french = await bot.reply_to(1, 0)
    english = await bot.reply_to(2, 0)
    assert french == in_locale("fr", render.intake.welcome) != english
    assert english == in_locale("en", render.intake.welcome)
    assert "/my" in english and "🔒" in english
    assert bot.submissions() == []  # /start is not a submission


async def test_question_is_stored_and_confirmed_with_reference(bot: RunningBot) -> None:
    sent = bot.fake.push_message(
        11, "Comment protégerez-vous les journalistes ?", language_code="fr"
    )
    text = await bot.reply_to(11, 0)
    [row] = bot.submissions()
    assert f"#{row['id']}" in text
    assert row["kind"] == "question" and row["status"] == "pending"
    assert row["text"] == "Comment protégerez-vous les journalistes ?"
    assert row["locale"] == "fr" and row["message_id"] == sent["message_id"]
    assert row["created_at"].endswith("Z")
    message = bot.fake.messages_to(11)[0]
    assert message.parse_mode == "HTML"
    assert message.params["reply_parameters"]["message_id"] == sent["message_id"]
    # The confirmation offers to switch the kind while the submission is pending.
    data = message.reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert callbacks.decode(data) == callbacks.SwitchKind(row["id"], Kind.IDEA)


async def test_idea_and_ask_commands(bot: RunningBot) -> None:
    bot.fake.push_message(12, "/idea Open the budget data to\nthe public", language_code="es")
    bot.fake.push_message(12, "/ask What is the plan for 2027?", language_code="es")
    bot.fake.push_message(12, "/idea", language_code="es")
    await bot.fake.wait_for_messages(12, 3)
    rows = bot.submissions()
    assert [(r["kind"], r["text"]) for r in rows] == [
        ("idea", "Open the budget data to\nthe public"),
        ("question", "What is the plan for 2027?"),
    ]
    texts = [m.text or "" for m in bot.fake.messages_to(12)]
    assert f"#{rows[0]['id']}" in texts[0] and f"#{rows[1]['id']}" in texts[1]
    assert "/idea" in texts[2]  # explains how to use it; nothing stored


async def test_switch_kind_button(bot: RunningBot) -> None:
    bot.fake.push_message(13, "We need more seats for youth groups", language_code="ru")
    await bot.fake.wait_for_messages(13, 1)
    confirmation = bot.fake.messages_to(13)[0]
    data = confirmation.reply_markup["inline_keyboard"][0][0]["callback_data"]
    query_id = bot.fake.push_callback(13, confirmation.message_id, data, language_code="ru")
    await bot.fake.wait_for(lambda: confirmation.edits != [])
    [row] = bot.submissions()
    assert row["kind"] == "idea"
    assert f"#{row['id']}" in confirmation.edits[-1]
    back = confirmation.reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert callbacks.decode(back).kind is Kind.QUESTION
    answers = [
        c
        for c in bot.fake.calls("answerCallbackQuery")
        if c.params["callback_query_id"] == query_id
    ]
    assert answers and f"#{row['id']}" in answers[0].params["text"]


async def test_forged_callback_changes_nothing(bot: RunningBot) -> None:
    bot.fake.push_message(14, "A question from participant fourteen", language_code="en")
    await bot.fake.wait_for_messages(14, 1)
    [row] = bot.submissions()
    # Participant 15 forges a button for #row on a message of their own chat.
    bot.fake.push_message(15, "A question from participant fifteen", language_code="en")
    await bot.fake.wait_for_messages(15, 1)
    own = bot.fake.messages_to(15)[0]
    forged = callbacks.encode(callbacks.SwitchKind(row["id"], Kind.IDEA))
    bot.fake.push_callback(15, own.message_id, forged)
    bot.fake.push_callback(15, own.message_id, "m:a:1")  # a moderator's Approve, forged
    bot.fake.push_callback(15, own.message_id, "x:garbage")
    await bot.fake.wait_for(lambda: len(bot.fake.calls("answerCallbackQuery")) == 3)
    assert [(r["kind"], r["status"]) for r in bot.submissions()] == [("question", "pending")] * 2
    toasts = [c.params.get("text", "") for c in bot.fake.calls("answerCallbackQuery")]
    assert "no longer be changed" in toasts[0]
    assert toasts[1] == render.base.plain(render.common.staff_only(LOCALES.get("en")).text)
    assert toasts[2] == render.common.stale_button(LOCALES.get("en"))


async def test_my_lists_own_submissions_escaped(bot: RunningBot) -> None:
    bot.fake.push_message(16, "Is <b>R&D</b> funding < 1% & why?", language_code="pt-br")
    bot.fake.push_message(16, "/idea A second <idea> with & signs", language_code="pt-br")
    bot.fake.push_message(17, "Someone else's question here", language_code="en")
    await bot.fake.wait_for_messages(16, 2)
    await bot.fake.wait_for_messages(17, 1)
    bot.fake.push_message(16, "/my", language_code="pt-br")
    text = await bot.reply_to(16, 2)
    ids = [r["id"] for r in bot.submissions() if r["participant_id"] == 16]
    assert all(f"#{i}" in text for i in ids)
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in bot.fake.messages_to(16)[2].params["text"]
    other = next(r["id"] for r in bot.submissions() if r["participant_id"] == 17)
    assert f"#{other}" not in text
    bot.fake.push_message(18, "/my", language_code="en")
    assert "not sent anything" in await bot.reply_to(18, 0)


async def test_help_and_unknown_command(bot: RunningBot) -> None:
    bot.fake.push_message(19, "/help", language_code="ar")
    bot.fake.push_message(19, "/frobnicate", language_code="ar")
    help_text = await bot.reply_to(19, 0)
    unknown = await bot.reply_to(19, 1)
    assert "/idea" in help_text and "/my" in help_text
    assert "/help" in unknown and unknown != help_text


@pytest.mark.parametrize(
    "kind", ["sticker", "photo", "voice", "video", "document", "location", "contact", "poll"]
)
async def test_media_without_text_is_refused_politely(bot: RunningBot, kind: str) -> None:
    bot.fake.push_message(20, kind=kind, language_code="zh-hans")
    reply = await bot.reply_to(20, 0)
    assert reply == in_locale("zh", render.intake.unsupported_media)
    assert bot.submissions() == []


async def test_photo_caption_is_the_text(bot: RunningBot) -> None:
    bot.fake.push_message(21, kind="photo", caption="What about press freedom in the region?")
    reply = await bot.reply_to(21, 0)
    [row] = bot.submissions()
    assert row["text"] == "What about press freedom in the region?"
    assert f"#{row['id']}" in reply


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "   \n  ", "\u3164\u2800", "ok??", "😀😀"])
async def test_empty_or_too_short_text_is_refused(bot: RunningBot, text: str) -> None:
    bot.fake.push_message(22, text, language_code="es")
    reply = await bot.reply_to(22, 0)
    expected = {
        in_locale("es", render.intake.empty_text),
        in_locale("es", lambda tr: render.intake.too_short(tr, 8)),
    }
    assert reply in expected
    assert bot.submissions() == []


async def test_longest_telegram_text_is_accepted(bot: RunningBot) -> None:
    text = ("Pourquoi & comment <" * 300)[:4096]
    bot.fake.push_message(23, text)
    reply = await bot.reply_to(23, 0)
    [row] = bot.submissions()
    assert row["text"] == text and f"#{row['id']}" in reply
    bot.fake.push_message(23, "/my")
    listing = await bot.reply_to(23, 1)
    assert f"#{row['id']}" in listing  # a long, HTML-hostile text still lists cleanly


async def test_groups_and_channels_are_never_submissions(bot: RunningBot) -> None:
    bot.fake.push_message(
        24, "This is a group message, not a question", chat_id=-100500, chat_type="supergroup"
    )
    bot.fake.push_message(24, "/start", chat_id=-100500, chat_type="group")
    bot.fake.push_message(
        24, "A channel post, not a question", chat_id=-100600, chat_type="channel"
    )
    bot.fake.push_message(25, "A real private question after them")
    await bot.fake.wait_for_messages(25, 1)
    # A group's messages are handled, and answered, in order: the answer to a later /ask there
    # (this group is no viewing party) comes after anything the chatter and /start got.
    bot.fake.push_message(24, "/ask Is this a question?", chat_id=-100500, chat_type="supergroup")
    [refusal] = await bot.fake.wait_for_messages(-100500, 1)
    assert refusal.text == in_locale("en", render.parties.not_a_party)
    # Nothing answers in a channel: wait until the bot has handled every update.
    await wait_idle(bot.fake, bot.settings.db_path)
    assert [r["participant_id"] for r in bot.submissions()] == [25]
    assert bot.fake.messages_to(-100600) == []
    assert len(bot.fake.messages_to(-100500)) == 1


async def test_edit_updates_a_pending_submission_never_a_second(bot: RunningBot) -> None:
    sent = bot.fake.push_message(26, "Wht is the agenda for the dialogue?")
    await bot.fake.wait_for_messages(26, 1)
    bot.fake.push_edited_message(26, sent["message_id"], "What is the agenda for the dialogue?")
    notice = await bot.reply_to(26, 1)
    [row] = bot.submissions()
    assert row["text"] == "What is the agenda for the dialogue?"
    assert f"#{row['id']}" in notice
    # Once review has started, an edit is refused and nothing changes.
    bot.execute("UPDATE submissions SET status = 'approved'")
    bot.fake.push_edited_message(26, sent["message_id"], "Changed after approval, sneaky")
    refusal = await bot.reply_to(26, 2)
    assert f"#{row['id']}" in refusal
    [after] = bot.submissions()
    assert after["text"] == "What is the agenda for the dialogue?"


async def test_rate_limit_answers_when_to_come_back(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running_bot(
        fake, tmp_path, TOWNHALL_RATE_LIMIT="3", TOWNHALL_RATE_WINDOW="600"
    ) as bot:
        for i in range(4):
            bot.fake.push_message(27, f"Question number {i} about the budget", language_code="fr")
        await bot.fake.wait_for_messages(27, 4)
        assert len(bot.submissions()) == 3
        last = bot.fake.messages_to(27)[3].text or ""
        assert last == in_locale("fr", lambda tr: render.intake.rate_limited(tr, 3, 10, 600))


async def test_replayed_update_is_not_stored_or_confirmed_twice(bot: RunningBot) -> None:
    message = bot.fake.push_message(28, "Will the recordings be public?")
    await bot.fake.wait_for_messages(28, 1)
    # Telegram delivering the very same message again (new update id, same message).
    bot.fake.push_raw_update({"message": message})
    bot.fake.push_message(28, "/my")
    # Handled and answered in order: a second confirmation would come before the listing.
    confirmation, listing = await bot.fake.wait_for_messages(28, 2)
    [row] = bot.submissions()
    assert f"#{row['id']}" in (confirmation.text or "")
    sub = await load_submission(bot, row["id"])
    assert listing.text == in_locale("en", lambda tr: render.intake.my_submissions(tr, [sub], 1))
