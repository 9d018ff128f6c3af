"""ModerationService: status changes are compare-and-set, role-checked, and owe notices."""

from __future__ import annotations

import dataclasses

import pytest

from bot import render
from bot.config import Settings
from bot.domain import Action, Role
from bot.services.intake import Author
from bot.services.moderation import ModerationService
from storage.models import Status
from tests.services.conftest import MODERATOR, MODERATOR_CHAT, ORGANIZER, OTHER_MODERATOR, World

ASKER = 1001
QUESTION = "¿Cómo se escuchará a la sociedad civil después del evento?"


@pytest.fixture
def moderation(world: World) -> ModerationService:
    return world.make_moderation()


async def test_the_second_moderator_to_approve_loses_and_the_asker_is_told_once(
    world: World, moderation: ModerationService
) -> None:
    sub = await world.submit(ASKER, QUESTION, "es")
    await world.post_to_moderators()
    ana = moderation.staff(MODERATOR, MODERATOR_CHAT, "Ana", "en")
    ben = moderation.staff(OTHER_MODERATOR, MODERATOR_CHAT, "Ben", "fr")
    assert ana.role is Role.MODERATOR

    [won] = await moderation.act(ana, Action.APPROVE, [sub.id], None)
    [lost] = await moderation.act(ben, Action.APPROVE, [sub.id], None)

    en, fr = world.tr("en"), world.tr("fr")
    assert won == render.moderation.action_done(en, Action.APPROVE, sub.id)
    assert lost == render.moderation.action_lost(fr, sub.id, Status.APPROVED, "Ana")
    approved = await world.submission(sub.id)
    assert (approved.status, approved.decided_by, approved.position) == (Status.APPROVED, "Ana", 1)
    audit = await world.rows("SELECT actor_name, action, from_status, to_status FROM audit_log")
    assert [tuple(r) for r in audit] == [("Ana", "approve", "pending", "approved")]
    notices = [r for r in await world.outbox(ASKER) if r.dedup_key is None]
    expected = render.intake.status_notice(world.tr("es"), approved)
    assert expected is not None
    assert [n.text for n in notices] == [expected.text]
    assert f"#{sub.id}" in notices[0].text
    [edit] = [r for r in await world.outbox(MODERATOR_CHAT) if r.method == "edit_message_text"]
    assert (edit.coalesce_key, edit.message_ref) == (f"postedit:{sub.id}", f"post:{sub.id}")
    assert edit.text == render.moderation.moderator_post(en, approved).text


async def test_the_role_is_checked_again_whatever_the_handler_let_through(
    world: World, moderation: ModerationService
) -> None:
    sub = await world.submit(ASKER, QUESTION, "es")
    before = await world.outbox()
    intruder = moderation.staff(4242, 4242, "Mallory", "de")
    assert intruder.role is Role.PARTICIPANT
    [refused] = await moderation.act(intruder, Action.APPROVE, [sub.id], None)
    # A moderator is not an organizer: /reopen is refused to them.
    await world.set_status(sub.id, Status.REJECTED)
    ana = moderation.staff(MODERATOR, MODERATOR_CHAT, "Ana", "en")
    [not_organizer] = await moderation.act(ana, Action.REOPEN, [sub.id], None)

    assert refused == render.common.staff_only(world.tr("de")).text
    assert not_organizer == render.common.staff_only(world.tr("en"), organizers=True).text
    assert (await world.submission(sub.id)).status is Status.REJECTED
    assert await world.value("SELECT count(*) FROM audit_log") == 0
    assert await world.outbox() == before

    # The role comes from the settings when the Staff is made: an organizer may reopen.
    organizer = moderation.staff(ORGANIZER, ORGANIZER, "Olu", "en")
    [reopened] = await moderation.act(organizer, Action.REOPEN, [sub.id], None)
    assert reopened == render.moderation.action_done(world.tr("en"), Action.REOPEN, sub.id)
    assert (await world.submission(sub.id)).status is Status.PENDING


def moderation_with(world: World, settings: Settings) -> ModerationService:
    return ModerationService(
        world.stores.moderation,
        world.stores.submissions,
        world.readers,
        world.replies,
        world.feed,
        settings,
        world.clock,
    )


async def test_rejection_reason_reaches_the_asker_unless_notices_are_off(world: World) -> None:
    first = await world.submit(ASKER, QUESTION, "es")
    second = await world.submit(ASKER + 1, QUESTION + " (2)", "es")
    notices_on = moderation_with(world, world.settings)
    notices_off = moderation_with(
        world, dataclasses.replace(world.settings, rejection_notices=False)
    )
    ana = notices_on.staff(MODERATOR, MODERATOR_CHAT, "Ana", "en")
    await notices_on.act(ana, Action.REJECT, [first.id], "Off topic")
    await notices_off.act(ana, Action.REJECT, [second.id], "Off topic")

    [notice] = [r for r in await world.outbox(ASKER) if r.dedup_key is None]
    rejected = await world.submission(first.id)
    expected = render.intake.status_notice(world.tr("es"), rejected)
    assert expected is not None and notice.text == expected.text
    assert "Off topic" in notice.text
    assert [r for r in await world.outbox(ASKER + 1) if r.dedup_key is None] == []
    assert (await world.submission(second.id)).status is Status.REJECTED


async def test_withdraw_only_by_the_owner_and_only_while_pending(
    world: World, moderation: ModerationService
) -> None:
    sub = await world.submit(ASKER, QUESTION, "es")
    later = await world.submit(ASKER, QUESTION + " otra vez", "es")
    await world.set_status(later.id, Status.SHORTLISTED)
    owner = Author(ASKER, ASKER, "es")
    stranger = Author(ASKER + 7, ASKER + 7, "es")
    es = world.tr("es")

    await moderation.withdraw(stranger, 20, sub.id)
    assert (await world.submission(sub.id)).status is Status.PENDING
    assert (await world.outbox(ASKER + 7))[-1].text == render.moderation.no_such_submission(
        es, sub.id
    )

    await moderation.withdraw(owner, 21, sub.id)
    await moderation.withdraw(owner, 22, later.id)
    await moderation.withdraw(owner, 23, None)

    assert (await world.submission(sub.id)).status is Status.WITHDRAWN
    assert (await world.submission(later.id)).status is Status.SHORTLISTED
    replies = {r.dedup_key: r.text for r in await world.outbox(ASKER)}
    assert replies["reply:21"] == render.intake.withdrawn(es, sub.id).text
    assert replies["reply:22"] == render.intake.cannot_withdraw(es, later.id).text
    assert replies["reply:23"] == render.common.usage(es, "withdraw").text
    audit = await world.rows("SELECT actor_id, actor_name, action FROM audit_log")
    assert [tuple(r) for r in audit] == [(ASKER, "participant", "withdraw")]
