"""LiveService: /live and /next put one question on air and tell everyone behind it once."""

from __future__ import annotations

import pytest

from bot import render
from bot.services.live import LiveService
from bot.services.moderation import Staff
from storage.models import NOTICE_PRIORITY, Kind, Status
from tests.services.conftest import MODERATOR, MODERATOR_CHAT, OTHER_MODERATOR, World

PUBLIC = ("shortlisted", "approved")
ASKER, VOTER = 30, 31


@pytest.fixture
def live(world: World) -> LiveService:
    return LiveService(
        world.stores.live,
        world.stores.submissions,
        world.readers,
        world.replies,
        world.feed,
        world.settings,
        world.clock,
    )


@pytest.fixture
def ana(world: World) -> Staff:
    return world.make_moderation().staff(MODERATOR, MODERATOR_CHAT, "Ana", "en")


async def test_live_puts_the_question_on_air_and_tells_asker_and_voters(
    world: World, live: LiveService, ana: Staff
) -> None:
    q = await world.submit(ASKER, "Wie wird die Zivilgesellschaft danach gehört?", "de")
    await world.set_status(q.id, Status.SHORTLISTED)
    await world.stores.participants.register_participant(VOTER, "fr", world.clock())
    await world.stores.votes.set_vote(q.id, VOTER, True, PUBLIC, world.clock())

    answer = await live.go_live(ana, 500, q.id)

    assert answer.text == render.live.live_told(world.tr("en"), 2).text
    assert await world.stores.live.live_now() == q.id
    on_air = await world.submission(q.id)
    assert (on_air.status, on_air.position) == (Status.APPROVED, 1)
    [to_asker] = [r for r in await world.outbox(ASKER) if r.dedup_key == f"live:1:{ASKER}"]
    assert to_asker.priority == NOTICE_PRIORITY
    assert to_asker.text == render.live.now_answering(world.tr("de"), q.id, True, None).text
    [to_voter] = await world.outbox(VOTER)
    assert to_voter.dedup_key == f"live:1:{VOTER}"
    assert to_voter.text == render.live.now_answering(world.tr("fr"), q.id, False, None).text
    [board] = await world.outbox(MODERATOR_CHAT)
    assert board.dedup_key == "board:1"
    assert board.text == render.live.live_board(world.tr("en"), on_air, []).text


async def test_a_replayed_live_command_changes_and_sends_nothing(
    world: World, live: LiveService, ana: Staff
) -> None:
    q = await world.submit(ASKER, "How will civil society be heard afterwards?")
    await live.go_live(ana, 500, q.id)
    before = await world.outbox()

    replay = await live.go_live(ana, 500, q.id)

    assert replay.text == (await live.board(ana)).text
    assert await world.outbox() == before
    assert await world.value("SELECT count(*) FROM live_log") == 1
    assert await world.stores.live.live_now() == q.id


async def test_next_answers_the_one_on_air_and_a_crossed_next_is_refused(
    world: World, live: LiveService, ana: Staff
) -> None:
    first = await world.submit(ASKER, "How will civil society be heard afterwards?")
    second = await world.submit(ASKER + 1, "Who decides which questions are read on air?")
    await world.set_status(second.id, Status.APPROVED)
    await live.go_live(ana, 500, first.id)
    ben = world.make_moderation().staff(OTHER_MODERATOR, MODERATOR_CHAT, "Ben", "en")

    crossed = await live.go_live(ben, 501, None)  # seconds after Ana's change: crossed it
    assert crossed.text == render.live.live_refused(world.tr("en"), "moved_on", None).text
    assert await world.stores.live.live_now() == first.id

    world.clock.advance(seconds=30)
    await live.go_live(ben, 502, None)

    assert await world.stores.live.live_now() == second.id
    assert (await world.submission(first.id)).status is Status.ANSWERED
    assert (await world.submission(first.id)).position is None
    [told] = [r for r in await world.outbox(ASKER + 1) if r.dedup_key == f"live:3:{ASKER + 1}"]
    assert f"#{second.id}" in told.text
    assert [r.dedup_key for r in await world.outbox(ASKER) if r.priority] == [f"live:1:{ASKER}"]


async def test_refusals_leave_the_show_as_it_was(
    world: World, live: LiveService, ana: Staff
) -> None:
    idea = await world.submit(ASKER, "More young people on the panel, please", kind=Kind.IDEA)
    intruder = world.make_moderation().staff(ASKER, ASKER, "Mallory", "en")
    en = world.tr("en")

    assert (await live.go_live(intruder, 600, idea.id)).text == render.common.staff_only(en).text
    refused = await live.go_live(ana, 601, idea.id)
    assert refused.text == render.live.live_refused(en, "not_a_question", idea).text
    missing = await live.go_live(ana, 602, 999)
    assert missing.text == render.moderation.no_such_submission(en, 999)
    assert await world.stores.live.live_now() is None
    assert (await world.submission(idea.id)).status is Status.PENDING
    assert await world.outbox(MODERATOR_CHAT) == []
