"""BrowseService: the public questions in the reader's language; one vote each, undoable."""

from __future__ import annotations

import pytest

from bot import render
from bot.render.browse import BrowseItem
from bot.services.browse import PAGE_SIZE, BrowseService
from bot.services.intake import Author
from bot.telegram.callbacks import Upvote, decode
from storage.models import Kind, Status
from storage.votes import Sort, VoteOutcome
from tests.services.conftest import World

ASKER = 40
READER = Author(user_id=49, chat_id=49, language_code="fr")


@pytest.fixture
def browse(world: World) -> BrowseService:
    return BrowseService(
        world.stores.votes,
        world.stores.participants,
        world.readers,
        world.replies,
        world.make_translator(),
        world.settings.browse_statuses,
        world.settings.language,
        world.clock,
    )


async def test_a_vote_counts_once_and_its_take_back_button_takes_it_back(
    world: World, browse: BrowseService
) -> None:
    q = await world.submit(ASKER, "How will civil society be heard after the summit?")
    await world.set_status(q.id, Status.SHORTLISTED)
    fr = world.tr("fr")

    added = await browse.vote(READER, 1, 300, Upvote(q.id, Sort.VOTES, 0))

    assert added == render.browse.vote_toast(fr, q.id, VoteOutcome.ADDED, 1)
    assert (await world.submission(q.id)).votes == 1
    assert (
        await world.value("SELECT voter_id FROM votes WHERE submission_id = ?", q.id)
        == READER.user_id
    )
    assert (
        await world.value(
            "SELECT language_code FROM participants WHERE user_id = ?", READER.user_id
        )
        == "fr"
    )
    [page] = await world.outbox(READER.chat_id)
    assert (page.method, page.dedup_key, page.payload["message_id"]) == (
        "edit_message_text",
        "browse:1",
        300,
    )
    voted = await world.submission(q.id)
    expected = render.browse.browse_page(
        fr, [BrowseItem(voted, voted.text, False, True)], 1, 0, PAGE_SIZE, Sort.VOTES, None
    )
    assert page.text == expected.text
    assert page.payload["reply_markup"]["inline_keyboard"][0][0]["text"].startswith("✅")
    take_back = page.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert decode(take_back) == Upvote(q.id, Sort.VOTES, 0, vote=False)

    # The same press again (a double tap, or the update replayed): still one vote.
    for update_id in (1, 3):
        again = await browse.vote(READER, update_id, 300, Upvote(q.id, Sort.VOTES, 0))
        assert again == render.browse.vote_toast(fr, q.id, VoteOutcome.ADDED, 1)
    assert (await world.submission(q.id)).votes == 1
    assert await world.value("SELECT count(*) FROM votes") == 1

    removed = await browse.vote(READER, 2, 300, Upvote(q.id, Sort.VOTES, 0, vote=False))

    assert removed == render.browse.vote_toast(fr, q.id, VoteOutcome.REMOVED, 0)
    assert (await world.submission(q.id)).votes == 0
    assert await world.value("SELECT count(*) FROM votes") == 0


async def test_no_vote_for_ones_own_question_nor_for_one_not_public(
    world: World, browse: BrowseService
) -> None:
    public = await world.submit(ASKER, "How will civil society be heard after the summit?")
    pending = await world.submit(ASKER + 1, "A question still waiting for the moderators")
    await world.set_status(public.id, Status.APPROVED)
    asker = Author(ASKER, ASKER, "en")
    en, fr = world.tr("en"), world.tr("fr")

    own = await browse.vote(asker, 1, 300, Upvote(public.id, Sort.VOTES, 0))
    hidden = await browse.vote(READER, 2, 300, Upvote(pending.id, Sort.VOTES, 0))
    gone = await browse.vote(READER, 3, 300, Upvote(999, Sort.VOTES, 0))

    assert own == render.browse.vote_toast(en, public.id, VoteOutcome.OWN, 0)
    assert hidden == render.browse.vote_toast(fr, pending.id, VoteOutcome.NOT_PUBLIC, 0)
    assert gone == render.browse.vote_toast(fr, 999, VoteOutcome.NOT_PUBLIC, 0)
    assert await world.value("SELECT count(*) FROM votes") == 0
    assert await world.value("SELECT sum(votes) FROM submissions") == 0
    assert [r for r in await world.outbox() if r.method == "edit_message_text"] == []


async def test_browse_shows_only_public_questions_in_the_readers_language(
    world: World, browse: BrowseService
) -> None:
    shown = await world.submit(ASKER, "How will civil society be heard after the summit?")
    await world.submit(ASKER + 1, "A question still waiting for the moderators")
    idea = await world.submit(ASKER + 2, "An idea is never listed as a question", kind=Kind.IDEA)
    await world.set_status(shown.id, Status.SHORTLISTED)
    await world.set_status(idea.id, Status.SHORTLISTED)

    await browse.show(READER, 9)

    [page] = await world.outbox(READER.chat_id)
    assert page.dedup_key == "reply:9"
    expected = render.browse.browse_page(
        world.tr("fr"), [BrowseItem(shown, shown.text, False, False)], 1, 0, PAGE_SIZE,
        Sort.VOTES, None,
    )  # fmt: skip
    assert page.text == expected.text
    assert f"#{shown.id}" in page.text and "#2" not in page.text and "#3" not in page.text
