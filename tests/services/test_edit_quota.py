"""Edits count toward the submission quota: each accepted edit is a new text to translate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import render
from bot.services.intake import Author, IntakeRules, IntakeService, Received
from storage.models import Kind, TranslationStatus
from tests.services.conftest import World

ALICE = Author(user_id=501, chat_id=501, language_code="fr")
QUESTION = "Comment la société civile sera-t-elle entendue après le sommet ?"
WINDOW = timedelta(minutes=10)


class Changes:
    """Stands for the translation worker's wake-up: one per text it will have to translate."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def intake(world: World, changes: Changes) -> IntakeService:
    return IntakeService(
        world.stores.submissions,
        world.stores.participants,
        world.readers,
        world.replies,
        IntakeRules(min_weight=8, quota_limit=3, quota_window=WINDOW),
        world.clock,
        notify_text_changed=changes,
    )


async def translated(world: World, submission_id: int, translation: str) -> None:
    """What the translation worker would have stored for the current text."""
    await world.db.fetchall(
        "UPDATE submissions SET translation = ?, translation_status = 'done', language = 'fr'"
        " WHERE id = ?",
        (translation, submission_id),
    )


async def test_edits_over_the_quota_are_refused_and_not_translated_again(
    world: World, intake: IntakeService, changes: Changes
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)
    assert changes.count == 1
    # The submission and two edits make three: the quota.
    for update_id, word in ((2, "forum"), (3, "congrès")):
        world.clock.advance(seconds=20)
        await intake.edit(Received(update_id, ALICE, 77, QUESTION.replace("sommet", word)))
    assert changes.count == 3
    assert await world.value("SELECT count(*) FROM submission_edits") == 2
    await translated(world, 1, "How will civil society be heard after the congress?")
    before = await world.submission(1)

    world.clock.advance(seconds=20)
    await intake.edit(Received(4, ALICE, 77, QUESTION.replace("sommet", "colloque")))

    after = await world.submission(1)
    assert after.text == before.text  # unchanged
    assert (after.translation, after.translation_status) == (
        "How will civil society be heard after the congress?",
        TranslationStatus.DONE,
    )
    assert changes.count == 3  # nothing new for the translation worker
    assert await world.value("SELECT count(*) FROM submission_edits") == 2
    refused = (await world.outbox(ALICE.chat_id))[-1]
    assert refused.dedup_key == "edit:4"
    # The existing rate-limited text: the window's oldest entry (the submission, 60 s ago)
    # leaves the window in 9 minutes.
    assert refused.text == render.intake.rate_limited(world.tr("fr"), 3, 10, 540.0).text


async def test_edits_and_new_submissions_share_one_quota(
    world: World, intake: IntakeService
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)
    await intake.edit(Received(2, ALICE, 77, QUESTION.replace("sommet", "forum")))
    await intake.edit(Received(3, ALICE, 77, QUESTION.replace("sommet", "congrès")))
    await intake.submit(
        Received(4, ALICE, 78, "Une deuxième question, bien distincte ?"), Kind.IDEA
    )
    assert await world.value("SELECT count(*) FROM submissions") == 1
    refused = (await world.outbox(ALICE.chat_id))[-1]
    assert refused.dedup_key == "reply:4"
    assert refused.text == render.intake.rate_limited(world.tr("fr"), 3, 10, 600.0).text


async def test_edits_are_accepted_again_once_the_window_has_passed(
    world: World, intake: IntakeService
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)
    for update_id in (2, 3, 4):
        await intake.edit(Received(update_id, ALICE, 77, f"{QUESTION} ({update_id})"))
    assert (await world.submission(1)).text == f"{QUESTION} (3)"

    world.clock.advance(seconds=WINDOW.total_seconds() + 1)
    await intake.edit(Received(5, ALICE, 77, f"{QUESTION} (5)"))
    assert (await world.submission(1)).text == f"{QUESTION} (5)"


async def test_a_refused_edit_of_a_reviewed_submission_does_not_use_the_quota(
    world: World, intake: IntakeService
) -> None:
    await intake.submit(Received(1, ALICE, 77, QUESTION), Kind.QUESTION)
    await world.set_status(1, "shortlisted")
    for update_id in (2, 3, 4, 5):
        await intake.edit(Received(update_id, ALICE, 77, f"{QUESTION} ({update_id})"))
    assert await world.value("SELECT count(*) FROM submission_edits") == 0
    await intake.submit(
        Received(6, ALICE, 78, "Une deuxième question, bien distincte ?"), Kind.IDEA
    )
    assert await world.value("SELECT count(*) FROM submissions") == 2
