"""PrivacyService: /privacy, /forget's prompt, and the erasure itself."""

from __future__ import annotations

import pytest

from bot import render
from bot.services.intake import Author
from bot.services.privacy import PrivacyService
from tests.services.conftest import MODERATOR_CHAT, World

SECRET = "Ich heiße Zeynep Kaya und wohne in der Blumenstraße 12"
ZEYNEP = Author(user_id=901, chat_id=901, language_code="de")


@pytest.fixture
def privacy(world: World) -> PrivacyService:
    return PrivacyService(
        world.stores.participants,
        world.stores.submissions,
        world.readers,
        world.replies,
        world.feed,
    )


async def test_privacy_and_the_forget_prompt_are_in_the_participants_language(
    world: World, privacy: PrivacyService
) -> None:
    await world.submit(901, SECRET, "de")
    await world.submit(901, "Noch eine Frage zur Konferenz, bitte", "de")
    await privacy.explain(ZEYNEP, update_id=1)
    await privacy.ask_to_forget(ZEYNEP, update_id=2)

    explained, prompt = (await world.outbox(901))[-2:]
    de = world.tr("de")
    assert (explained.dedup_key, explained.text) == ("reply:1", render.privacy.privacy(de).text)
    assert (prompt.dedup_key, prompt.text) == ("reply:2", render.privacy.forget_prompt(de, 2).text)
    assert prompt.payload["reply_markup"]  # the confirm button


async def test_forget_erases_the_text_and_identity_and_refreshes_the_moderators_post(
    world: World, privacy: PrivacyService
) -> None:
    mine = await world.submit(901, SECRET, "de")
    other = await world.submit(902, "Another participant keeps their question", "en")
    await world.stores.participants.set_locale_choice(901, "de", "de", world.clock())
    await world.post_to_moderators()
    assert SECRET in (await world.outbox(MODERATOR_CHAT))[0].text

    confirmation = await privacy.forget(ZEYNEP)

    assert confirmation.text == render.privacy.forgotten(world.tr("de")).text
    erased = await world.submission(mine.id)
    assert (erased.text, erased.participant_id) == ("", 0)
    assert erased.chat_id < 0 and erased.message_id < 0
    assert (await world.submission(other.id)).text == "Another participant keeps their question"
    assert await world.value("SELECT count(*) FROM participants WHERE user_id = 901") == 0
    assert await world.outbox(901) == []  # no message to or about their chat remains
    # The post is edited to show the erasure; the unsent post itself will not go out.
    rows = await world.outbox(MODERATOR_CHAT)
    post = next(r for r in rows if r.dedup_key == f"post:{mine.id}")
    assert (post.state, post.payload) == ("failed", {})
    [edit] = [r for r in rows if r.coalesce_key == f"postedit:{mine.id}"]
    assert (edit.method, edit.message_ref) == ("edit_message_text", f"post:{mine.id}")
    assert edit.text == render.moderation.moderator_post(world.tr("en"), erased).text
    assert all(SECRET not in str(r.payload) for r in await world.outbox())
    # The reader forgot the choice too: a new message from them reads their app language.
    assert await world.readers.locale_of(Author(901, 901, "fr")) == "fr"


async def test_forget_without_posts_queues_no_post_edit(
    world: World, privacy: PrivacyService
) -> None:
    await world.submit(901, SECRET, "de")  # not shown to moderators yet
    await privacy.forget(ZEYNEP)

    assert await world.value("SELECT count(*) FROM submissions WHERE text != ''") == 0
    assert await world.outbox(MODERATOR_CHAT) == []
