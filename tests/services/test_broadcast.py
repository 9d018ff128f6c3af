"""BroadcastService: a draft and its preview; Send confirms it once, Cancel ends it."""

from __future__ import annotations

import pytest

from bot import render
from bot.services.broadcast import BroadcastService
from bot.services.moderation import Staff
from tests.services.conftest import MODERATOR, ORGANIZER, WakeCounter, World

BODY = "We are live in ten minutes!\nfr: Nous sommes en direct dans dix minutes !"


@pytest.fixture
def worker_wakes() -> WakeCounter:
    return WakeCounter()


@pytest.fixture
def broadcasts(world: World, worker_wakes: WakeCounter) -> BroadcastService:
    return BroadcastService(
        world.stores.broadcasts, world.readers, world.replies, worker_wakes, world.clock
    )


@pytest.fixture
def olu(world: World) -> Staff:
    return world.make_moderation().staff(ORGANIZER, ORGANIZER, "Olu", "de")


async def register(world: World, *user_ids: int) -> None:
    for user_id in user_ids:
        await world.stores.participants.register_participant(user_id, "en", world.clock())


async def test_prepare_stores_a_draft_and_queues_its_preview(
    world: World, broadcasts: BroadcastService, olu: Staff
) -> None:
    await register(world, 70, 71, 72)

    await broadcasts.prepare(olu, 5, BODY)

    broadcast = await world.stores.broadcasts.get(1)
    assert broadcast is not None
    assert (broadcast.state, broadcast.text, dict(broadcast.own_texts)) == (
        "draft",
        "We are live in ten minutes!",
        {"fr": "Nous sommes en direct dans dix minutes !"},
    )
    assert (broadcast.source_locale, broadcast.created_by, broadcast.chat_id) == (
        "en",
        ORGANIZER,
        ORGANIZER,
    )
    [preview] = await world.outbox(ORGANIZER)
    assert preview.dedup_key == "reply:5"
    assert preview.text == render.broadcast.broadcast_preview(world.tr("de"), broadcast, 3).text
    [[send, cancel]] = preview.payload["reply_markup"]["inline_keyboard"]
    assert "3" in send["text"] and cancel["callback_data"] != send["callback_data"]

    await broadcasts.prepare(olu, 5, BODY)  # the update replayed: the preview is not sent twice
    assert len(await world.outbox(ORGANIZER)) == 1


async def test_send_confirms_once_and_wakes_the_worker_once(
    world: World, broadcasts: BroadcastService, olu: Staff, worker_wakes: WakeCounter
) -> None:
    await register(world, 70, 71)
    await broadcasts.prepare(olu, 5, BODY)
    world.clock.advance(seconds=30)
    de = world.tr("de")

    first = await broadcasts.decide(olu, 1, True, message_id=321)
    second = await broadcasts.decide(olu, 1, True, message_id=321)
    cancel = await broadcasts.decide(olu, 1, False, message_id=321)

    assert first == render.broadcast.broadcast_started(de, 2)
    assert second == cancel == render.broadcast.broadcast_already(de)
    assert worker_wakes.count == 1
    sent = await world.stores.broadcasts.get(1)
    assert sent is not None
    assert (sent.state, sent.recipients, sent.message_id) == ("sending", 2, 321)


async def test_cancel_ends_the_draft_and_edits_the_preview(
    world: World, broadcasts: BroadcastService, olu: Staff, worker_wakes: WakeCounter
) -> None:
    await broadcasts.prepare(olu, 5, BODY)

    toast = await broadcasts.decide(olu, 1, False, message_id=321)
    too_late = await broadcasts.decide(olu, 1, True, message_id=321)

    de = world.tr("de")
    assert toast == render.base.plain(render.broadcast.broadcast_cancelled(de).text)
    assert too_late == render.broadcast.broadcast_already(de)
    assert worker_wakes.count == 0
    draft = await world.stores.broadcasts.get(1)
    assert draft is not None and draft.state == "cancelled"
    edit = (await world.outbox(ORGANIZER))[-1]
    assert (edit.method, edit.dedup_key, edit.payload["message_id"]) == (
        "edit_message_text",
        "bcdecide:1",
        321,
    )


async def test_refusals_outside_a_private_chat_and_to_moderators(
    world: World, broadcasts: BroadcastService, olu: Staff, worker_wakes: WakeCounter
) -> None:
    moderation = world.make_moderation()
    in_a_group = moderation.staff(ORGANIZER, -100123, "Olu", "de")
    await broadcasts.prepare(in_a_group, 6, BODY)
    await broadcasts.prepare(olu, 7, "fr: only a French text, no main text")
    assert await world.value("SELECT count(*) FROM broadcasts") == 0
    usage = render.common.usage(world.tr("de"), "broadcast").text
    assert [r.text for r in await world.outbox()] == [usage, usage]

    await broadcasts.prepare(olu, 8, BODY)
    ana = moderation.staff(MODERATOR, MODERATOR, "Ana", "en")
    refused = await broadcasts.decide(ana, 1, True, message_id=321)

    assert refused == render.base.plain(
        render.common.staff_only(world.tr("en"), organizers=True).text
    )
    draft = await world.stores.broadcasts.get(1)
    assert draft is not None and draft.state == "draft"
    assert worker_wakes.count == 0
