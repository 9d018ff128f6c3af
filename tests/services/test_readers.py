"""Readers: which language a person, an asker or a listener reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.intake import Author, Received
from bot.services.readers import Readers
from storage.curation import Listener
from storage.models import Kind
from tests.services.conftest import World, settings_for_tests

PARTY_CHAT = -4001


async def test_a_persons_choice_beats_their_apps_language(world: World) -> None:
    readers = world.readers
    person = Author(701, 701, "pt-BR")
    assert await readers.locale_of(person) == "pt"  # the app's language, mapped to a catalog
    await world.stores.participants.set_locale_choice(701, "pt-BR", "ar", world.clock())
    assert await readers.locale_of(person) == "ar"
    tr = await readers.catalog_of(person)
    assert tr.gettext("Question") == world.tr("ar").gettext("Question") != "Question"
    # An app language we have no catalog for falls back to the default.
    assert await readers.locale_of(Author(702, 702, "xx-yy")) == "en"
    assert await readers.locale_of(Author(703, 703, None)) == "en"


async def test_an_askers_language_is_their_choice_now_or_the_language_they_asked_in(
    world: World,
) -> None:
    sub = await world.submit(704, "Une question posée en français, assez longue", "fr")
    assert await world.readers.locale_of_asker(sub) == "fr"
    await world.stores.participants.set_locale_choice(704, "fr", "sw", world.clock())
    assert await world.readers.locale_of_asker(sub) == "sw"


async def test_a_party_question_reads_the_partys_language_as_it_is_now(world: World) -> None:
    party, _ = await world.stores.parties.register(
        PARTY_CHAT, "Nairobi", "fr", 1, world.clock() - timedelta(days=1), "party:1"
    )
    await world.stores.participants.set_locale_choice(705, "en", "de", world.clock())
    intake = world.make_intake()
    await intake.submit(
        Received(1, Author(705, PARTY_CHAT, "en"), 9, "What will change for Kenya after this?"),
        Kind.QUESTION,
        from_command=True,
        party=party,
    )
    sub = await world.submission(1)
    # The member's own choice (de) does not matter: the group reads the party's language.
    assert sub.locale == "fr"
    assert await world.readers.locale_of_asker(sub) == "fr"
    await world.stores.parties.set_locale(PARTY_CHAT, "es")
    assert await world.readers.locale_of_asker(sub) == "es"


def test_a_listener_reads_their_choice_else_the_language_they_asked_in(world: World) -> None:
    readers = world.readers
    assert readers.locale_of_listener(Listener(1, True, "ru", "de", "fr")) == "ru"
    assert readers.locale_of_listener(Listener(1, True, None, "de", "fr")) == "fr"
    assert readers.locale_of_listener(Listener(1, False, None, "de", "")) == "de"


@pytest.mark.parametrize("settings", [settings_for_tests(TOWNHALL_LANGUAGE="fr")])
def test_the_working_language_comes_from_the_settings(world: World) -> None:
    readers: Readers = world.readers
    assert readers.working_locale == "fr"
    assert readers.working_catalog().gettext("Question") == world.tr("fr").gettext("Question")
