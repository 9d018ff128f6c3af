"""CurationService: merges move votes and askers to the question standing for them all."""

from __future__ import annotations

import pytest

from bot import render
from bot.services.curation import CurationService
from bot.services.moderation import Staff
from storage.models import Kind, Status
from tests.services.conftest import MODERATOR, MODERATOR_CHAT, World

PUBLIC = ("shortlisted", "approved")


@pytest.fixture
def curation(world: World) -> CurationService:
    return CurationService(
        world.stores.curation,
        world.stores.submissions,
        world.readers,
        world.replies,
        world.feed,
        world.settings,
        world.make_translator(),
        world.clock,
    )


@pytest.fixture
def ana(world: World) -> Staff:
    return world.make_moderation().staff(MODERATOR, MODERATOR_CHAT, "Ana", "en")


async def voters(world: World, submission_id: int) -> set[int]:
    rows = await world.rows("SELECT voter_id FROM votes WHERE submission_id = ?", submission_id)
    return {int(r[0]) for r in rows}


async def test_merges_move_votes_and_askers_and_tell_each_asker_in_their_language(
    world: World, curation: CurationService, ana: Staff
) -> None:
    a = await world.submit(10, "How will civil society be heard after the summit?", "en")
    b = await world.submit(11, "Wie wird die Zivilgesellschaft nach dem Gipfel gehört?", "de")
    c = await world.submit(12, "Comment la société civile sera-t-elle entendue ensuite ?", "fr")
    for sub in (a, b, c):
        await world.set_status(sub.id, Status.SHORTLISTED)
    await world.db.fetchall("UPDATE submissions SET language = locale")
    for voter, target in ((20, b), (21, a), (21, b), (10, b)):
        await world.stores.votes.set_vote(target.id, voter, True, PUBLIC, world.clock())

    await curation.merge(ana, c.id, b.id)
    done = await curation.merge(ana, b.id, a.id)

    after_a, after_b, after_c = [await world.submission(s.id) for s in (a, b, c)]
    assert (after_b.status, after_b.merged_into, after_b.votes) == (Status.MERGED, a.id, 0)
    assert after_c.merged_into == a.id  # what pointed at b points at a now
    # b's voters and the askers merged into a, each once; never a's own asker.
    assert await voters(world, a.id) == {20, 21, 11, 12}
    assert after_a.votes == 4
    assert await voters(world, b.id) == set()
    assert done.text == render.curation.merge_done(world.tr("en"), b.id, a.id, 3, 3, 4).text
    de_notice = next(r for r in await world.outbox(11) if r.dedup_key == f"merged:{b.id}:{a.id}")
    assert de_notice.text == render.curation.merge_notice(world.tr("de"), after_b, a.id, 3, 3).text
    fr_notice = next(r for r in await world.outbox(12) if r.dedup_key == f"merged:{c.id}:{a.id}")
    assert fr_notice.text == render.curation.merge_notice(world.tr("fr"), after_c, a.id, 3, 3).text
    assert [r.dedup_key for r in await world.outbox(10)] == [f"confirm:{a.id}"]  # not told
    actions = await world.rows("SELECT submission_id, action, reason FROM audit_log ORDER BY id")
    assert [tuple(r) for r in actions][-2:] == [
        (b.id, "merge", f"→ #{a.id}"),
        (a.id, "merge", f"← #{b.id}"),
    ]


async def test_refused_merges_change_nothing(
    world: World, curation: CurationService, ana: Staff
) -> None:
    question = await world.submit(10, "How will civil society be heard after the summit?")
    idea = await world.submit(12, "More young people on the panel, please", kind=Kind.IDEA)
    rejected = await world.submit(13, "A question the moderators did not select")
    await world.set_status(rejected.id, Status.REJECTED)
    await world.stores.votes.set_vote(question.id, 20, True, (*PUBLIC, "pending"), world.clock())
    before = (await world.rows("SELECT * FROM submissions"), await world.outbox())
    en = world.tr("en")

    itself = await curation.merge(ana, question.id, question.id)
    kinds = await curation.merge(ana, idea.id, question.id)
    closed_source = await curation.merge(ana, rejected.id, question.id)
    closed_target = await curation.merge(ana, question.id, rejected.id)
    missing = await curation.merge(ana, question.id, 999)

    assert itself.text == render.curation.merge_refused(en, "same", question, question).text
    assert "itself" in itself.text
    assert kinds.text == render.curation.merge_refused(en, "kinds_differ", idea, question).text
    assert f"#{rejected.id}" in closed_source.text and "cannot be merged" in closed_source.text
    assert (
        f"#{rejected.id}" in closed_target.text and "nothing can be merged" in closed_target.text
    )
    assert missing.text == render.moderation.no_such_submission(en, 999)
    assert [tuple(r) for r in await world.rows("SELECT * FROM submissions")] == [
        tuple(r) for r in before[0]
    ]
    assert await world.outbox() == before[1]
    assert await voters(world, question.id) == {20}


async def test_a_merge_that_already_happened_the_other_way_is_refused(
    world: World, curation: CurationService, ana: Staff
) -> None:
    a = await world.submit(10, "How will civil society be heard after the summit?")
    b = await world.submit(11, "How will civil society be heard after this summit?")
    await curation.merge(ana, b.id, a.id)

    again = await curation.merge(ana, b.id, a.id)
    back = await curation.merge(ana, a.id, b.id)

    en = world.tr("en")
    merged_b = await world.submission(b.id)
    assert again.text == render.curation.merge_refused(en, "source_closed", merged_b, None).text
    assert (
        back.text
        == render.curation.merge_refused(en, "same", await world.submission(a.id), merged_b).text
    )
    assert (await world.submission(a.id)).status is Status.PENDING
    assert await world.value("SELECT count(*) FROM audit_log WHERE action = 'merge'") == 2


async def test_a_participant_cannot_merge(world: World, curation: CurationService) -> None:
    a = await world.submit(10, "How will civil society be heard after the summit?")
    b = await world.submit(11, "How will civil society be heard after this summit?")
    intruder = world.make_moderation().staff(11, 11, "Mallory", "de")

    refused = await curation.merge(intruder, b.id, a.id)

    assert refused.text == render.common.staff_only(world.tr("de")).text
    assert (await world.submission(b.id)).status is Status.PENDING
    assert await world.value("SELECT count(*) FROM audit_log") == 0
