"""IntakeService: a private message becomes one submission and one confirmation, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import render
from bot.services.intake import Author, IntakeRules, IntakeService, Received
from storage.models import Kind, Status
from tests.services.conftest import World

QUESTION = "Wie wird die Zivilgesellschaft nach dem Gipfel beteiligt?"
ALICE = Author(user_id=501, chat_id=501, language_code="de")


@pytest.fixture
def intake(world: World) -> IntakeService:
    return world.make_intake()


async def test_submit_stores_one_submission_and_confirms_it_quoting_its_number(
    world: World, intake: IntakeService
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)

    [row] = await world.rows("SELECT * FROM submissions")
    assert (row["participant_id"], row["chat_id"], row["message_id"]) == (501, 501, 77)
    assert (row["text"], row["kind"], row["status"], row["locale"]) == (
        QUESTION,
        "question",
        "pending",
        "de",
    )
    [confirmation] = await world.outbox()
    assert confirmation.chat_id == 501
    assert confirmation.method == "send_message"
    assert confirmation.dedup_key == f"confirm:{row['id']}"
    assert confirmation.payload["reply_parameters"]["message_id"] == 77
    sub = await world.submission(row["id"])
    assert confirmation.text == render.intake.confirmation(world.tr("de"), sub).text
    assert f"#{sub.id}" in confirmation.text
    assert "Frage" in confirmation.text  # German, the participant's app language
    assert world.wakes.count == 1


async def test_a_replayed_or_repeated_message_is_still_one_submission(
    world: World, intake: IntakeService
) -> None:
    message = Received(1, ALICE, 77, QUESTION)
    await intake.submit(message, Kind.QUESTION)
    await intake.submit(message, Kind.QUESTION)  # the same update after a crash
    world.clock.advance(seconds=5)
    await intake.submit(Received(2, ALICE, 77, QUESTION), Kind.QUESTION)  # same message again

    assert await world.value("SELECT count(*) FROM submissions") == 1
    assert [row.dedup_key for row in await world.outbox()] == ["confirm:1"]


async def test_an_edit_changes_the_pending_text_and_is_refused_once_reviewed(
    world: World, intake: IntakeService
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)
    edited = QUESTION.replace("Gipfel", "Treffen")
    await intake.edit(Received(2, ALICE, 77, edited))

    sub = await world.submission(1)
    assert sub.text == edited
    [_, accepted] = await world.outbox()
    assert accepted.dedup_key == "edit:2"
    assert accepted.text == render.intake.edit_accepted(world.tr("de"), sub).text

    await world.set_status(1, Status.SHORTLISTED)
    await intake.edit(Received(3, ALICE, 77, "Etwas ganz anderes, bitte"))
    assert (await world.submission(1)).text == edited  # unchanged
    refused = (await world.outbox())[-1]
    assert refused.dedup_key == "edit:3"
    assert refused.text == render.intake.edit_refused(world.tr("de"), sub).text

    await intake.edit(Received(4, ALICE, 999, "An edit of a message that was never taken"))
    assert (await world.outbox())[-1].text == render.intake.edit_not_submission(
        world.tr("de")
    ).text


async def test_quota_refuses_with_the_wait_and_stores_nothing(world: World) -> None:
    intake = world.make_intake(IntakeRules(8, quota_limit=2, quota_window=timedelta(minutes=10)))
    for update in (1, 2):
        await intake.submit(Received(update, ALICE, 70 + update, QUESTION), Kind.QUESTION)
        world.clock.advance(minutes=1)

    await intake.submit(Received(3, ALICE, 73, QUESTION), Kind.QUESTION)

    assert await world.value("SELECT count(*) FROM submissions") == 2
    refusal = (await world.outbox())[-1]
    assert refusal.dedup_key == "reply:3" and refusal.chat_id == 501
    # The first one leaves the window 10 minutes after it was sent: 8 minutes from now.
    expected = render.intake.rate_limited(world.tr("de"), 2, 10, 8 * 60)
    assert refusal.text == expected.text

    world.clock.advance(minutes=9)  # the oldest has left the window
    await intake.submit(Received(4, ALICE, 74, QUESTION), Kind.QUESTION)
    assert await world.value("SELECT count(*) FROM submissions") == 3


async def test_closed_intake_stores_nothing_and_says_so_until_reopened(
    world: World, intake: IntakeService
) -> None:
    await world.stores.submissions.set_intake_open(False, world.clock())
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)

    assert await world.value("SELECT count(*) FROM submissions") == 0
    [closed] = await world.outbox()
    assert closed.dedup_key == "reply:1"
    assert closed.text == render.intake.intake_closed(world.tr("de")).text

    await world.stores.submissions.set_intake_open(True, world.clock.advance(minutes=1))
    await intake.submit(Received(2, ALICE, 78, QUESTION), Kind.QUESTION)
    assert await world.value("SELECT count(*) FROM submissions") == 1


async def test_a_message_replayed_after_intake_closed_is_not_refused(
    world: World, intake: IntakeService
) -> None:
    message = Received(1, ALICE, 77, QUESTION)
    await intake.submit(message, Kind.QUESTION)
    await world.stores.submissions.set_intake_open(False, world.clock.advance(seconds=30))

    await intake.submit(message, Kind.QUESTION)  # the same update, replayed after a crash

    assert await world.value("SELECT count(*) FROM submissions") == 1
    # Only the confirmation: telling them it "was not recorded" contradicts it.
    assert [row.dedup_key for row in await world.outbox()] == ["confirm:1"]
