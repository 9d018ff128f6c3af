"""Long texts through the services: an announcement or a written answer too long for one
message (a translation runs longer than the original) reaches each person whole, in order,
as several messages each with its own key; an announcement's recipient is counted once in its
progress; a message Telegram refuses as it is (400) counts as failed, never as "blocked the
bot" (403); a reason over the limit changes nothing. See tests/test_text_limits.py for the
texts themselves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden

from bot import render
from bot.domain import Action
from bot.render.base import TEXT_LIMIT, escape, size
from bot.services.broadcast import BroadcastService
from bot.services.curation import CurationService
from bot.workers.broadcast import BroadcastWorker
from bot.workers.sender import OutboxSender
from storage.broadcasts import Broadcast, Progress
from storage.models import Status
from storage.outbox import BLOCKED
from tests.services.conftest import ORGANIZER, World
from tests.test_golden import SHIPPED
from tests.test_text_limits import ANNOUNCEMENT, ANSWER, TITLE, longer

# ---- announcements and answers through the services -------------------------------------


class LongerTranslator:
    """The translation worker's `translate_many`, as a fake engine 1.5 times as verbose."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def translate_many(
        self, text: str, source: str, targets: Iterable[str], *_: Any, **__: Any
    ) -> dict[str, str]:
        self.calls += list(targets)
        return {target: longer(text, target) for target in targets}


class FakeBot:
    """Telegram for the sender: refuses some chats (`refuse`), delivers the rest."""

    def __init__(self, refuse: dict[int, Exception] | None = None) -> None:
        self.refuse = refuse or {}
        self.sent: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []

    async def send_message(self, **params: Any) -> None:
        if (error := self.refuse.get(params["chat_id"])) is not None:
            raise error
        self.sent.append(params)

    async def edit_message_text(self, **params: Any) -> None:
        self.edits.append(params)


# Participants by the language their app reports: each gets the announcement in theirs.
PEOPLE = {7000 + i: locale for i, locale in enumerate(SHIPPED)}
TOO_LONG, BLOCKER = 7100, 7101  # Telegram refuses the first's message, the second blocked us


async def announce(world: World, body: str, people: dict[int, str]) -> BroadcastWorker:
    for user_id, locale in people.items():
        await world.stores.participants.register_participant(user_id, locale, world.clock())
    service = BroadcastService(
        world.stores.broadcasts, world.readers, world.replies, lambda: None, world.clock
    )
    olu = world.make_moderation().staff(ORGANIZER, ORGANIZER, "Olu", "en")
    await service.prepare(olu, 5, body)
    assert await service.decide(olu, 1, True, message_id=321)
    return BroadcastWorker(
        world.stores.broadcasts,
        world.readers,
        LongerTranslator(),  # type: ignore[arg-type]
        world.replies,
        lambda locale: TITLE,
        world.clock,
    )


async def run_until_done(world: World, worker: BroadcastWorker, sender: OutboxSender) -> None:
    for _ in range(200):
        await worker.tick()
        await sender.tick()
        await sender.drain(10)
        if await world.value("SELECT state FROM broadcasts WHERE id = 1") == "done":
            return
    pytest.fail("the announcement did not finish")


def sender_for(world: World, bot: FakeBot) -> OutboxSender:
    return OutboxSender(
        world.stores.outbox,
        world.stores.participants,
        bot,
        rate=10_000,
        wall_clock=lambda: 1e12,  # type: ignore[arg-type]
    )


async def test_a_long_announcement_reaches_everyone_whole_once_and_is_counted_once(
    world: World,
) -> None:
    people = {**PEOPLE, TOO_LONG: "fr", BLOCKER: "de"}
    worker = await announce(world, ANNOUNCEMENT, people)
    bot = FakeBot(
        {
            TOO_LONG: BadRequest("Message is too long"),
            BLOCKER: Forbidden("Forbidden: bot was blocked by the user"),
        }
    )
    await run_until_done(world, worker, sender_for(world, bot))

    texts = await world.stores.broadcasts.texts(1)
    for user_id, locale in PEOPLE.items():
        received = [m["text"] for m in bot.sent if m["chat_id"] == user_id]
        translated, origin = texts[locale]
        # The organizer's own language fits in one message; the longer translations do not.
        assert len(received) >= (2 if origin == "machine" else 1)
        assert all(size(t) <= TEXT_LIMIT for t in received)
        title = f"📢 <b>{escape(TITLE)}</b>\n\n"
        note = "\n\n" + world.tr(locale).gettext("<i>Automatic translation</i>")
        note = note if origin == "machine" else ""
        assert received[0].startswith(title) and received[-1].endswith(note)
        body = "".join(received).removeprefix(title)
        assert html.unescape(body.removesuffix(note) if note else body) == translated
    keys = await world.rows("SELECT chat_id, dedup_key FROM outbox WHERE broadcast_id = 1")
    for chat_id, key in keys:
        assert re.fullmatch(rf"bc:1:{chat_id}:\d+", key)
    assert len({key for _, key in keys}) == len(keys)  # none twice
    progress = await world.stores.broadcasts.progress(await broadcast(world))
    assert progress == Progress(len(people), 0, len(PEOPLE), 1, 0, 1)
    blocked = await world.rows("SELECT user_id FROM participants WHERE blocked_at IS NOT NULL")
    assert [r[0] for r in blocked] == [BLOCKER]  # the refused message blocks no one
    errors = await world.rows(
        "SELECT chat_id, last_error FROM outbox WHERE state = 'failed' AND broadcast_id = 1"
    )
    assert {c for c, e in errors if e.startswith(BLOCKED)} == {BLOCKER}
    result = render.broadcast.broadcast_progress(
        world.tr("en"), await broadcast(world), progress, True
    )
    assert bot.edits[-1]["text"] == result.text
    assert "1 participant did not get it" in result.text
    assert "1 participant has blocked the bot" in result.text


async def test_a_crash_mid_announcement_counts_each_recipient_once(world: World) -> None:
    """Parts on the wire at a crash are not sent again (the broadcast's exactly-once rule); the
    later parts of the same person still go; the person is counted once, as unconfirmed."""
    people = dict(list(PEOPLE.items())[:6])
    worker = await announce(world, ANNOUNCEMENT, people)
    await worker.tick()  # everything queued (fewer than a window)
    claimed = await world.stores.outbox.claim_due_messages(1e12, 10)
    on_the_wire = [item for item in claimed if item.chat_id in people][:3]
    for item in claimed:  # the other claims had not started: back to the queue
        if item not in on_the_wire:
            await world.db.fetchall("UPDATE outbox SET state = 'queued' WHERE id = ?", (item.id,))
    assert len(on_the_wire) == 3
    await world.stores.outbox.requeue_interrupted()  # the restart
    bot = FakeBot()
    await run_until_done(world, worker, sender_for(world, bot))
    progress = await world.stores.broadcasts.progress(await broadcast(world))
    assert progress == Progress(6, 0, 3, 0, 3, 0)
    assert progress.settled == 6
    for item in on_the_wire:  # its first part was on the wire, not sent again; the others went
        parts = await world.value(
            "SELECT count(*) FROM outbox WHERE broadcast_id = 1 AND chat_id = ?", item.chat_id
        )
        got = [m["text"] for m in bot.sent if m["chat_id"] == item.chat_id]
        assert len(got) == parts - 1 and item.params["text"] not in got


async def broadcast(world: World) -> Broadcast:
    found = await world.stores.broadcasts.get(1)
    assert found is not None
    return found


async def test_a_long_written_answer_goes_to_each_person_whole(world: World) -> None:
    asker = await world.submit(7200, "How will civil society be heard after the event?", "fr")
    await world.set_status(asker.id, "approved")
    voters = {7201: "zh", 7202: "ar", 7203: "en"}
    for user_id, locale in voters.items():
        await world.stores.participants.register_participant(user_id, locale, world.clock())
        await world.db.fetchall(
            "INSERT INTO votes (submission_id, voter_id, created_at) VALUES (?, ?, ?)",
            (asker.id, user_id, "2026-06-01T12:00:00Z"),
        )
    curation = CurationService(
        world.stores.curation,
        world.stores.submissions,
        world.readers,
        world.replies,
        world.feed,
        world.settings,
        LongerTranslator(),  # type: ignore[arg-type]
        world.clock,
    )
    olu = world.make_moderation().staff(ORGANIZER, ORGANIZER, "Olu", "en")
    await curation.answer(olu, 9, asker.id, ANSWER)

    assert await world.value("SELECT recipients FROM answers") == 4  # people, not messages
    for user_id, locale in {7200: "fr", **voters}.items():
        rows = [
            r for r in await world.outbox(user_id) if (r.dedup_key or "").startswith("answer:")
        ]
        assert [r.dedup_key for r in rows] == [
            f"answer:1:{user_id}:{n}" for n in range(1, len(rows) + 1)
        ]
        assert all(size(r.text) <= TEXT_LIMIT for r in rows)
        expected = ANSWER if locale == "en" else longer(ANSWER, locale)
        assert len(rows) >= (1 if locale == "en" else 2)
        bodies = [r.text for r in rows]
        bodies[0] = bodies[0].split("\n\n", 1)[1]
        if locale != "en":
            bodies[-1] = bodies[-1].rsplit("\n\n", 1)[0]
        assert html.unescape("".join(bodies)) == expected


# ---- reasons -----------------------------------------------------------------------------


async def test_a_reason_over_the_limit_changes_nothing_and_says_why(world: World) -> None:
    moderation = world.make_moderation()
    ana = moderation.staff(2, 2, "Ana", "fr")
    submission = await world.submit(7300, "A question that will not be selected today.")
    too_long = "x" * (render.base.REASON_CHARS + 1)
    [answer] = await moderation.act(ana, Action.REJECT, [submission.id], too_long)
    assert answer == render.moderation.reason_too_long(world.tr("fr"), render.base.REASON_CHARS)
    assert (await world.submission(submission.id)).status is Status.PENDING
    longest_reason = "&" * render.base.REASON_CHARS
    await moderation.act(ana, Action.REJECT, [submission.id], longest_reason)
    rejected = await world.submission(submission.id)
    assert (rejected.status, rejected.reason) == (Status.REJECTED, longest_reason)
    [notice] = [r for r in await world.outbox(7300) if "&amp;" in r.text]
    assert size(notice.text) <= TEXT_LIMIT


async def test_a_command_on_hundreds_of_ids_answers_in_one_message(world: World) -> None:
    moderation = world.make_moderation()
    ana = moderation.staff(2, 2, "Ana", "en")
    lines = await moderation.act(ana, Action.APPROVE, list(range(10**6, 10**6 + 800)), None)
    assert size("\n".join(lines)) <= TEXT_LIMIT
    assert re.fullmatch(r"… and \d+ more", lines[-1])
