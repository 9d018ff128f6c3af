"""PartyService: organizers register viewing parties; /ask in one is the party's question."""

from __future__ import annotations

import pytest

from bot import render
from bot.i18n import native_name
from bot.services.intake import Author, Received
from bot.services.parties import PartyService
from tests.services.conftest import MODERATOR, MODERATOR_CHAT, ORGANIZER, World

GROUP = -5001
QUESTION = "What will change for young people in Kenya after this?"


@pytest.fixture
def parties(world: World) -> PartyService:
    return PartyService(
        world.stores.parties,
        world.make_intake(),
        world.readers,
        world.replies,
        world.settings.moderator_chat,
        world.clock,
    )


async def test_an_organizer_registers_the_group_in_their_language(
    world: World, parties: PartyService
) -> None:
    moderation = world.make_moderation()
    olu = moderation.staff(ORGANIZER, GROUP, "Olu", "fr")

    registered = await parties.register(olu, 1, "  Ambassade   de Nairobi ")

    [row] = await world.rows("SELECT id, chat_id, place, locale, registered_by FROM parties")
    assert tuple(row) == (1, GROUP, "Ambassade de Nairobi", "fr", ORGANIZER)
    fr = world.tr("fr")
    expected = render.parties.party_registered(
        fr, "Ambassade de Nairobi", 1, True, native_name("fr")
    )
    assert registered.text == expected.text

    world.clock.advance(minutes=5)
    renamed = await parties.register(olu, 2, "Nairobi Hub")
    assert renamed.text == render.parties.party_registered(fr, "Nairobi Hub", 1, False, "").text
    assert await world.value("SELECT count(*) FROM parties") == 1


async def test_registration_is_refused_to_moderators_and_outside_party_groups(
    world: World, parties: PartyService
) -> None:
    moderation = world.make_moderation()
    en = world.tr("en")
    ana = moderation.staff(MODERATOR, GROUP, "Ana", "en")
    assert (await parties.register(ana, 3, "Nairobi")).text == render.common.staff_only(
        en, organizers=True
    ).text
    in_private = moderation.staff(ORGANIZER, ORGANIZER, "Olu", "en")
    in_moderators_group = moderation.staff(ORGANIZER, MODERATOR_CHAT, "Olu", "en")
    for staff in (in_private, in_moderators_group):
        refused = await parties.register(staff, 4, "Nairobi")
        assert refused.text == render.parties.party_only_in_groups(en).text
    in_group = moderation.staff(ORGANIZER, GROUP, "Olu", "en")
    assert (await parties.register(in_group, 5, " ")).text == render.common.usage(en, "party").text
    assert await world.value("SELECT count(*) FROM parties") == 0


async def test_ask_in_a_party_group_is_the_partys_question_in_its_language(
    world: World, parties: PartyService
) -> None:
    olu = world.make_moderation().staff(ORGANIZER, GROUP, "Olu", "en")
    await parties.register(olu, 6, "Nairobi")
    await parties.set_language(olu, "sw")
    member = Author(user_id=5100, chat_id=GROUP, language_code="de")

    await parties.ask(Received(70, member, 71, QUESTION))

    sub = await world.submission(1)
    assert (sub.party_id, sub.party_place, sub.chat_id, sub.locale) == (1, "Nairobi", GROUP, "sw")
    assert sub.participant_id == 5100
    [confirmation] = await world.outbox(GROUP)
    assert confirmation.dedup_key == f"confirm:{sub.id}"
    assert confirmation.text == render.intake.confirmation(world.tr("sw"), sub).text
    assert "reply_markup" not in confirmation.payload  # anyone in the group could press
    assert await parties.locale_in(member) == "sw"


async def test_ask_in_a_group_that_is_not_a_party_is_refused(
    world: World, parties: PartyService
) -> None:
    member = Author(user_id=5100, chat_id=-5999, language_code="de")

    await parties.ask(Received(70, member, 71, QUESTION))

    assert await world.value("SELECT count(*) FROM submissions") == 0
    [refusal] = await world.outbox(-5999)
    assert refusal.dedup_key == "reply:70"
    assert refusal.text == render.parties.not_a_party(world.tr("de")).text
