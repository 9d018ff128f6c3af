"""Every shipped language end to end, the /language picker, and Telegram's localized menus."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot import render
from bot.i18n import Gettext, load_locales, native_name
from bot.telegram import callbacks
from tests.conftest import RunningBot, load_submission, running_bot
from tests.fakes.telegram_api import FakeTelegram

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
# Telegram's language_code for each shipped locale, as apps send it.
TELEGRAM_CODES = {
    "en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "zh-hans", "pt": "pt-br",
    "fa": "fa", "tr": "tr", "uk": "uk", "id": "id", "sw": "sw", "hi": "hi", "ur": "ur",
    "bn": "bn", "de": "de", "vi": "vi", "am": "am", "ha": "ha", "my": "my",
}  # fmt: skip


def said(locale: str, build: Callable[[Gettext], render.base.Reply]) -> str:
    return build(LOCALES.get(locale)).text


MODERATOR = 6999


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(fake, tmp_path, TOWNHALL_MODERATORS=str(MODERATOR)) as running:
        yield running


@pytest.mark.parametrize("locale", sorted(TELEGRAM_CODES))
async def test_a_new_participant_is_answered_in_their_language(
    bot: RunningBot, locale: str
) -> None:
    code, user = TELEGRAM_CODES[locale], 7000
    fake = bot.fake
    fake.push_message(user, "/start", language_code=code)
    question = fake.push_message(user, "Question from a new participant here", language_code=code)
    fake.push_message(user, "/my", language_code=code)
    fake.push_message(user, "/help", language_code=code)
    fake.push_message(user, kind="sticker", language_code=code)
    fake.push_edited_message(user, question["message_id"], "Edited question from a participant",
                             language_code=code)  # fmt: skip
    messages = await fake.wait_for_messages(user, 6)
    [row] = bot.query("SELECT id FROM submissions")
    edited = await load_submission(bot, row["id"])
    original = dataclasses.replace(edited, text="Question from a new participant here")
    minutes = max(1, round(bot.settings.rate_window_s / 60))
    expected = [
        said(locale, render.intake.welcome),
        said(locale, lambda tr: render.intake.confirmation(tr, original)),
        said(locale, lambda tr: render.intake.my_submissions(tr, [original], 1)),
        said(locale, lambda tr: render.intake.help_text(tr, bot.settings.rate_limit, minutes)),
        said(locale, render.intake.unsupported_media),
        said(locale, lambda tr: render.intake.edit_accepted(tr, edited)),
    ]
    assert [m.text for m in messages] == expected
    assert edited.locale == locale
    # A moderator selects it: the status notice arrives in the participant's language too.
    fake.push_message(MODERATOR, f"/approve {edited.id}")
    notice = (await fake.wait_for_messages(user, 7))[6]
    approved = await load_submission(bot, edited.id)
    expected_notice = render.intake.status_notice(LOCALES.get(locale), approved)
    assert expected_notice is not None and notice.text == expected_notice.text


async def test_language_picker_switches_and_is_remembered(bot: RunningBot) -> None:
    fake = bot.fake
    fake.push_message(8000, "/language", language_code="en")
    menu = (await fake.wait_for_messages(8000, 1))[0]
    buttons = [b for row in menu.reply_markup["inline_keyboard"] for b in row]
    names = {b["text"].removeprefix("✓ ") for b in buttons}
    assert {"English", "العربية", "Español", "አማርኛ", "မြန်မာ", "Kiswahili"} <= names
    assert len(buttons) == len(LOCALES.available) >= 20
    arabic = next(b for b in buttons if b["text"] == "العربية")
    assert callbacks.decode(arabic["callback_data"]) == callbacks.ChooseLanguage("ar")
    fake.push_callback(8000, menu.message_id, arabic["callback_data"], language_code="en")
    await fake.wait_for(lambda: menu.edits != [])
    assert menu.edits[-1] == said(
        "ar", lambda tr: render.language.language_chosen(tr, native_name("ar"))
    )
    # From now on Arabic, although the Telegram app is still in English.
    fake.push_message(8000, "/help", language_code="en")
    fake.push_message(8000, "A question after choosing Arabic", language_code="en")
    help_text, confirmation = (await fake.wait_for_messages(8000, 3))[1:]
    minutes = max(1, round(bot.settings.rate_window_s / 60))
    assert help_text.text == said("ar", lambda tr: render.intake.help_text(tr, 5, minutes))
    [row] = bot.query("SELECT id, locale FROM submissions")
    assert row["locale"] == "ar" and f"#{row['id']}" in (confirmation.text or "")


async def test_forged_language_button_is_refused(bot: RunningBot) -> None:
    fake = bot.fake
    fake.push_message(8100, "/language", language_code="fr")
    menu = (await fake.wait_for_messages(8100, 1))[0]
    fake.push_callback(8100, menu.message_id, "l:xx", language_code="fr")
    await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) == 1)
    toast = fake.calls("answerCallbackQuery")[0].params["text"]
    assert toast == render.common.stale_button(LOCALES.get("fr"))
    assert bot.query("SELECT locale FROM participants WHERE user_id = 8100") == []


async def test_menus_are_published_in_every_language(fake: FakeTelegram, bot: RunningBot) -> None:
    def published() -> bool:
        # Every locale, plus the default for apps in other languages; then the staff's menus.
        descriptions = len(fake.bot_settings.get("short_description", {}))
        return descriptions > len(LOCALES.available) and (
            (f"chat:{MODERATOR}", "") in fake.bot_settings.get("commands", {})
        )

    await fake.wait_for(published, timeout=10)
    commands = fake.bot_settings["commands"]
    for locale in LOCALES.available:
        tr = LOCALES.get(locale)
        listed = commands[("default", locale)]
        assert [c["command"] for c in listed] == [n for n, _ in render.language.bot_commands(tr)]
        assert [c["description"] for c in listed] == [
            d for _, d in render.language.bot_commands(tr)
        ]
        assert fake.bot_settings["description"][locale] == render.language.bot_description(tr)
        assert fake.bot_settings["short_description"][
            locale
        ] == render.language.bot_short_description(tr)
    # Moderators see their commands too, in the working language, in their private chat.
    staff = [c["command"] for c in commands[(f"chat:{MODERATOR}", "")]]
    assert "review" in staff and "approve" in staff and "ask" in staff
    assert "invite" not in staff  # organizers' commands only for organizers
    # Apps in a language we have no catalog for get the English menus.
    english = LOCALES.get("en")
    assert [c["description"] for c in commands[("default", "")]] == [
        d for _, d in render.language.bot_commands(english)
    ]
