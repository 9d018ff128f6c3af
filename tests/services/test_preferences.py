"""PreferencesService: the language a participant chooses is stored, and every service uses it."""

from __future__ import annotations

import pytest

from bot import render
from bot.i18n import native_name
from bot.services.intake import Author, Received
from bot.services.preferences import PreferencesService
from bot.services.readers import Readers
from storage.models import Kind
from storage.participants import ParticipantStore
from tests.services.conftest import World

BOB = Author(user_id=601, chat_id=601, language_code="de")


@pytest.fixture
def preferences(world: World) -> PreferencesService:
    return PreferencesService(world.stores.participants, world.readers, world.replies, world.clock)


async def test_choosing_a_language_stores_it_and_turns_the_menu_into_a_confirmation(
    world: World, preferences: PreferencesService
) -> None:
    toast = await preferences.choose_language(BOB, update_id=10, menu_message_id=55, locale="fr")

    fr = world.tr("fr")
    assert toast == render.language.language_chosen_toast(fr, "Français")
    assert await world.value("SELECT locale FROM participants WHERE user_id = 601") == "fr"
    assert await world.value("SELECT language_code FROM participants WHERE user_id = 601") == "de"
    [edit] = await world.outbox()
    assert (edit.chat_id, edit.method, edit.dedup_key) == (601, "edit_message_text", "lang:10")
    assert edit.payload["message_id"] == 55
    assert edit.text == render.language.language_chosen(fr, native_name("fr")).text
    # Not only remembered by this store: a fresh one (a restart) reads the same choice.
    fresh = Readers(ParticipantStore(world.db), world.stores.parties, world.locales, "en")
    assert await fresh.locale_of(BOB) == "fr"


async def test_the_chosen_language_is_used_by_other_services(
    world: World, preferences: PreferencesService
) -> None:
    await preferences.choose_language(BOB, update_id=10, menu_message_id=55, locale="es")
    intake = world.make_intake()
    await intake.submit(
        Received(11, BOB, 56, "¿Cómo participará la sociedad civil?"), Kind.QUESTION
    )

    sub = await world.submission(1)
    assert sub.locale == "es"
    confirmation = (await world.outbox(601))[-1]
    assert confirmation.text == render.intake.confirmation(world.tr("es"), sub).text
    assert "#1" in confirmation.text

    await preferences.show_language_menu(BOB, update_id=12)
    menu = (await world.outbox(601))[-1]
    expected = render.language.language_menu(world.tr("es"), preferences.language_options(), "es")
    assert (menu.dedup_key, menu.text) == ("reply:12", expected.text)


async def test_a_forged_locale_is_refused_and_nothing_is_stored(
    world: World, preferences: PreferencesService
) -> None:
    toast = await preferences.choose_language(BOB, update_id=10, menu_message_id=55, locale="xx")

    assert toast == render.common.stale_button(world.tr("de"))
    assert await world.value("SELECT count(*) FROM participants") == 0
    assert await world.outbox() == []
    assert await preferences.current_locale(BOB) == "de"
