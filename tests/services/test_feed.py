"""FeedService: a post per new submission in the moderators' group, a digest past the budget,
and post edits only for what was posted."""

from __future__ import annotations

import dataclasses

from bot import render
from bot.services.feed import POST_BUDGET, FeedService
from storage.models import Status
from tests.services.conftest import MODERATOR_CHAT, World


async def test_each_new_submission_gets_one_post_once_its_language_had_time(
    world: World,
) -> None:
    first = await world.submit(10, "How will civil society be heard after the summit?")
    second = await world.submit(11, "Wie wird die Zivilgesellschaft danach gehört?", "de")
    await world.feed.feed_once()  # language not detected yet, and too new: they wait
    assert await world.outbox(MODERATOR_CHAT) == []

    await world.post_to_moderators()
    await world.feed.feed_once()  # nothing new: nothing more

    group = world.tr("en")
    posts = await world.outbox(MODERATOR_CHAT)
    assert [(p.method, p.dedup_key) for p in posts] == [
        ("send_message", f"post:{first.id}"),
        ("send_message", f"post:{second.id}"),
    ]
    for post, sub in zip(posts, (first, second), strict=True):
        shown = await world.submission(sub.id)
        assert shown.feed == "post"
        assert post.text == render.moderation.moderator_post(group, shown).text
        assert f"#{sub.id}" in post.text
        assert post.payload["reply_markup"]  # the moderation buttons


async def test_past_the_groups_budget_new_ones_go_into_one_digest(world: World) -> None:
    for n in range(POST_BUDGET + 1):
        await world.submit(100 + n, f"Question number {n} about the summit")

    await world.post_to_moderators()

    [digest] = await world.outbox(MODERATOR_CHAT)
    assert digest.dedup_key is not None and digest.dedup_key.startswith("digest:")
    assert all(f"#{n}" in digest.text for n in range(1, POST_BUDGET + 2))
    feeds = await world.rows("SELECT DISTINCT feed FROM submissions")
    assert [r[0] for r in feeds] == ["digest"]


async def test_post_edits_only_for_posted_submissions_and_only_the_latest_stays(
    world: World,
) -> None:
    posted = await world.submit(10, "How will civil society be heard after the summit?")
    await world.post_to_moderators()
    unposted = await world.submit(11, "A question that arrived after the feed ran")
    feed = world.feed

    assert feed.post_edits(await world.submission(unposted.id)) == []
    [edit] = feed.post_edits(await world.submission(posted.id))
    assert (edit.chat_id, edit.coalesce_key, edit.message_ref) == (
        MODERATOR_CHAT,
        f"postedit:{posted.id}",
        f"post:{posted.id}",
    )

    await world.set_status(posted.id, Status.SHORTLISTED)
    await feed.refresh_post(posted.id)
    await world.set_status(posted.id, Status.APPROVED)
    await feed.refresh_post(posted.id)
    await feed.refresh_post(unposted.id)

    edits = [r for r in await world.outbox(MODERATOR_CHAT) if r.method == "edit_message_text"]
    assert len(edits) == 1  # coalesced: the post shows the submission as it is now
    now = await world.submission(posted.id)
    assert edits[0].text == render.moderation.moderator_post(world.tr("en"), now).text


async def test_without_a_moderators_group_there_is_no_feed(world: World) -> None:
    feed = FeedService(
        world.stores.moderation,
        world.stores.submissions,
        world.readers,
        world.replies,
        None,
        world.clock,
    )
    sub = await world.submit(10, "How will civil society be heard after the summit?")
    world.clock.advance(minutes=5)

    await feed.feed_once()

    assert (await world.submission(sub.id)).feed is None
    assert feed.post_edits(dataclasses.replace(sub, feed="post")) == []
    assert [r.dedup_key for r in await world.outbox()] == [f"confirm:{sub.id}"]
