"""End to end: moderators and organizers in Telegram, against the fake Bot API."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render
from bot.domain import Action
from bot.i18n import load_locales
from bot.telegram import callbacks
from storage.models import Status, Submission
from tests.conftest import RunningBot, load_submission, running_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
EN = LOCALES.get("en")
ORGANIZER, MODERATOR, MODERATOR_2, GROUP = 901, 902, 903, -1001234
STAFF_ENV = {
    "TOWNHALL_ORGANIZERS": str(ORGANIZER),
    "TOWNHALL_MODERATORS": f"{MODERATOR},{MODERATOR_2}",
    "TOWNHALL_MODERATOR_CHAT": str(GROUP),
}


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(fake, tmp_path, **STAFF_ENV) as running:
        yield running


async def ask(bot: RunningBot, user: int, text: str, language: str = "en") -> int:
    """A participant's question; returns its id once confirmed."""
    before = len(bot.fake.messages_to(user))
    bot.fake.push_message(user, text, language_code=language)
    reply = await bot.reply_to(user, before)
    match = re.search(r"#(\d+)", reply)
    assert match, reply
    return int(match.group(1))


async def say(bot: RunningBot, user: int, text: str, chat: int | None = None) -> str:
    """Send a command; the bot's answer in that chat."""
    where = chat if chat is not None else user
    before = len(bot.fake.messages_to(where))
    bot.fake.push_message(user, text, chat_id=chat, chat_type="supergroup" if chat else "private")
    return await bot.reply_to(where, before)


def refs(text: str) -> list[int]:
    """The #ids in a text, in order."""
    return [int(n) for n in re.findall(r"#(\d+)", text)]


def status_of(bot: RunningBot, submission_id: int) -> str:
    return str(bot.query("SELECT status FROM submissions WHERE id = ?", (submission_id,))[0][0])


async def test_commands_change_status_and_tell_participants(bot: RunningBot) -> None:
    ids = [await ask(bot, 100 + i, f"Question number {i} for the panel", "fr") for i in range(4)]
    assert await say(bot, MODERATOR, f"/approve {ids[0]} #{ids[1]}") == "\n".join(
        [
            render.moderation.action_done(EN, Action.APPROVE, ids[0]),
            render.moderation.action_done(EN, Action.APPROVE, ids[1]),
        ]
    )
    assert await say(bot, MODERATOR, f"/shortlist {ids[2]}") == render.moderation.action_done(
        EN, Action.SHORTLIST, ids[2]
    )
    assert await say(
        bot, MODERATOR, f"/reject {ids[3]}  off topic, sorry"
    ) == render.moderation.action_done(EN, Action.REJECT, ids[3])
    assert await say(bot, MODERATOR, f"/answered {ids[0]}") == render.moderation.action_done(
        EN, Action.ANSWERED, ids[0]
    )
    assert [status_of(bot, i) for i in ids] == ["answered", "approved", "shortlisted", "rejected"]
    # Each participant is told of each decision in their language (French here), through the
    # outbox: after their confirmation, these notices, in this order.
    fr = LOCALES.get("fr")
    subs = [await load_submission(bot, i) for i in ids]

    def notices(sub: Submission, *statuses: Status) -> list[str]:
        built = [
            render.intake.status_notice(fr, dataclasses.replace(sub, status=s)) for s in statuses
        ]
        return [n.text for n in built if n is not None]

    told = {
        100: notices(subs[0], Status.APPROVED, Status.ANSWERED),
        101: notices(subs[1], Status.APPROVED),
        102: notices(subs[2], Status.SHORTLISTED),
        103: notices(subs[3], Status.REJECTED),
    }
    for user, texts in told.items():
        got = await bot.fake.wait_for_messages(user, 1 + len(texts))
        assert [m.text for m in got[1:]] == texts, user
    assert "off topic, sorry" in told[103][0]
    # Reopen is for organizers only.
    assert (
        await say(bot, MODERATOR, f"/reopen {ids[3]}") == render.common.staff_only(EN, True).text
    )
    assert await say(bot, ORGANIZER, f"/reopen {ids[3]}") == render.moderation.action_done(
        EN, Action.REOPEN, ids[3]
    )
    assert status_of(bot, ids[3]) == "pending"
    # Decided again after the reopen: the participant hears about it again.
    await say(bot, MODERATOR, f"/approve {ids[3]}")
    await bot.fake.wait_for(lambda: len(bot.fake.messages_to(103)) == 3)
    approved = render.intake.status_notice(fr, await load_submission(bot, ids[3]))
    assert approved is not None and bot.fake.messages_to(103)[2].text == approved.text


async def test_bad_arguments_and_unknown_ids_change_nothing(bot: RunningBot) -> None:
    sid = await ask(bot, 110, "A question that stays pending")
    for command in ("/approve", "/approve abc", f"/approve {sid} x", "/reject", "/move 1",
                    "/show", "/queue nonsense-filter"):  # fmt: skip
        answer = await say(bot, MODERATOR, command)
        assert answer.startswith(EN.gettext("Please use it like this:")), command
    assert await say(bot, MODERATOR, "/approve 9999") == render.moderation.no_such_submission(
        EN, 9999
    )
    assert status_of(bot, sid) == "pending"


async def test_a_participant_cannot_moderate(bot: RunningBot) -> None:
    sid = await ask(bot, 120, "Someone else's question to approve", "es")
    es = LOCALES.get("es")
    assert await say(bot, 121, f"/approve {sid}") == render.common.staff_only(EN).text
    answer = await say(bot, 121, "/invite")
    assert answer == render.common.staff_only(EN, organizers=True).text
    # A forged press on the participant's own confirmation message.
    confirmation = bot.fake.messages_to(120)[0]
    bot.fake.push_callback(120, confirmation.message_id, f"m:a:{sid}", language_code="es")
    await bot.fake.wait_for(lambda: bool(bot.fake.calls("answerCallbackQuery")))
    assert bot.fake.calls("answerCallbackQuery")[0].params["text"] == render.base.plain(
        render.common.staff_only(es).text
    )
    assert status_of(bot, sid) == "pending"


async def test_group_feed_posts_and_buttons(bot: RunningBot) -> None:
    sid = await ask(bot, 130, "¿Qué pasará con los fondos para la sociedad civil?", "es")
    [post] = await bot.fake.wait_for_messages(GROUP, 1, timeout=20)
    assert f"#{sid}" in (post.text or "") and "¿Qué pasará" in (post.text or "")
    buttons = [b["callback_data"] for row in post.reply_markup["inline_keyboard"] for b in row]
    assert callbacks.encode(callbacks.Moderate(Action.APPROVE, sid)) in buttons
    # A member of the group who is not a moderator presses Approve: refused.
    bot.fake.push_callback(555, post.message_id, f"m:a:{sid}", chat_id=GROUP)
    # A moderator presses it in the group: approved, the post says who, the asker is told.
    bot.fake.push_callback(MODERATOR, post.message_id, f"m:a:{sid}", chat_id=GROUP)
    await bot.fake.wait_for(lambda: len(bot.fake.calls("answerCallbackQuery")) == 2)
    toasts = [c.params.get("text") for c in bot.fake.calls("answerCallbackQuery")]
    assert toasts[0] == render.base.plain(render.common.staff_only(EN).text)
    assert toasts[1] == render.base.plain(render.moderation.action_done(EN, Action.APPROVE, sid))
    await bot.fake.wait_for(lambda: bool(post.edits), timeout=10)
    assert "Approved by Test" in post.edits[-1]
    await bot.fake.wait_for(lambda: len(bot.fake.messages_to(130)) == 2)
    assert status_of(bot, sid) == "approved"


async def test_review_cards_are_not_shared_and_advance(bot: RunningBot) -> None:
    first = await ask(bot, 140, "First question to review, please")
    second = await ask(bot, 141, "Second question to review, please")
    card_a = await say(bot, MODERATOR, "/review")
    card_b = await say(bot, MODERATOR_2, "/review")
    assert f"#{first}" in card_a and f"#{second}" in card_b  # never the same card
    card = bot.fake.messages_to(MODERATOR)[-1]
    bot.fake.push_callback(MODERATOR, card.message_id, f"c:s:{first}")
    await bot.fake.wait_for(lambda: bool(card.edits))
    assert status_of(bot, first) == "shortlisted"
    # Moderator 2 still holds #second, so moderator 1 has nothing left.
    assert card.edits[-1] == render.moderation.review_done(EN).text
    card2 = bot.fake.messages_to(MODERATOR_2)[-1]
    bot.fake.push_callback(MODERATOR_2, card2.message_id, f"s:{second}")  # skip
    await bot.fake.wait_for(lambda: bool(card2.edits))
    assert card2.edits[-1] == render.moderation.review_done(EN).text
    assert status_of(bot, second) == "pending"


async def test_queue_pages_show_order_and_move(bot: RunningBot) -> None:
    ids = [await ask(bot, 150 + i, f"Queue question number {i:02d}") for i in range(10)]
    page = await say(bot, MODERATOR, "/queue")
    assert refs(page) == ids[:8]
    listing = bot.fake.messages_to(MODERATOR)[-1]
    [[following]] = listing.reply_markup["inline_keyboard"]
    bot.fake.push_callback(MODERATOR, listing.message_id, following["callback_data"])
    await bot.fake.wait_for(lambda: bool(listing.edits))
    assert refs(listing.edits[-1]) == ids[8:]
    await say(bot, MODERATOR, f"/approve {ids[0]} {ids[1]} {ids[2]}")
    assert (
        await say(bot, MODERATOR, f"/move {ids[2]} 1")
        == render.moderation.moved(EN, ids[2], 1).text
    )
    order = await say(bot, MODERATOR, "/order")
    assert refs(order) == [ids[2], ids[0], ids[1]]
    shown = await say(bot, MODERATOR, f"/show {ids[2]}")
    assert "approve" in shown and "move" in shown  # the history
    approved = await say(bot, MODERATOR, "/queue approved question")
    assert refs(approved) == [ids[2], ids[0], ids[1]]


async def test_two_moderators_racing_on_200_submissions(bot: RunningBot) -> None:
    bot.execute(
        "INSERT INTO participants (user_id, pseudonym, created_at)"
        " VALUES (7, 'P-R', '2026-01-01T00:00:00Z')"
    )
    for n in range(200):
        bot.execute(
            "INSERT INTO submissions (chat_id, message_id, participant_id, kind, text, locale,"
            " created_at, updated_at, feed) VALUES (7, ?, 7, 'question', 'race', 'en',"
            " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'digest')",
            (n + 1,),
        )
    ids = [int(r[0]) for r in bot.query("SELECT id FROM submissions ORDER BY id")]
    # A message of the bot in each moderator's chat to press buttons on.
    await say(bot, MODERATOR, "/order")
    await say(bot, MODERATOR_2, "/order")
    mine = bot.fake.messages_to(MODERATOR)[-1].message_id
    theirs = bot.fake.messages_to(MODERATOR_2)[-1].message_id
    # Both press on every submission at once: one approves, the other rejects.
    for sid in ids:
        bot.fake.push_callback(MODERATOR, mine, f"m:a:{sid}")
        bot.fake.push_callback(MODERATOR_2, theirs, f"m:r:{sid}")
    await bot.fake.wait_for(lambda: len(bot.fake.calls("answerCallbackQuery")) == 400, 60)
    audit = bot.query(
        "SELECT submission_id, actor_id FROM audit_log WHERE action IN ('approve', 'reject')"
    )
    assert sorted(int(r[0]) for r in audit) == ids  # exactly one winner each
    statuses = {r[0] for r in bot.query("SELECT status FROM submissions")}
    assert statuses <= {"approved", "rejected"}
    winners = {int(r[0]): int(r[1]) for r in audit}
    for call in bot.fake.calls("answerCallbackQuery"):
        text = call.params.get("text", "")
        assert "acted first" in text or "approved" in text or "not selected" in text
    assert set(winners.values()) <= {MODERATOR, MODERATOR_2}


async def test_invite_link_makes_a_moderator_once(bot: RunningBot) -> None:
    answer = await say(bot, ORGANIZER, "/invite")
    link = re.search(r"https://t\.me/\S+\?start=(\S+)", answer)
    assert link, answer
    assert (
        await say(bot, 160, f"/start {link.group(1)}")
        == render.moderation.welcome_moderator(EN).text
    )
    sid = await ask(bot, 161, "A question for the new moderator")
    assert await say(bot, 160, f"/approve {sid}") == render.moderation.action_done(
        EN, Action.APPROVE, sid
    )
    assert (
        await say(bot, 162, f"/start {link.group(1)}") == render.moderation.invite_invalid(EN).text
    )
    assert "160" in await say(bot, ORGANIZER, "/mods")
    assert (
        await say(bot, ORGANIZER, "/unmod 160") == render.moderation.unmodded(EN, 160, True).text
    )
    assert await say(bot, 160, "/queue") == render.common.staff_only(EN).text


async def test_participant_withdraws_while_pending(bot: RunningBot) -> None:
    sid = await ask(bot, 170, "A question I will take back")
    other = await ask(bot, 171, "Someone else's question")
    assert await say(bot, 170, f"/withdraw {other}") == render.moderation.no_such_submission(
        EN, other
    )
    assert await say(bot, 170, f"/withdraw {sid}") == render.intake.withdrawn(EN, sid).text
    assert status_of(bot, sid) == "withdrawn" and status_of(bot, other) == "pending"
    assert await say(bot, 170, f"/withdraw {sid}") == render.intake.cannot_withdraw(EN, sid).text


async def test_edited_command_and_anonymous_admin_do_not_act(bot: RunningBot) -> None:
    sid = await ask(bot, 180, "A question nobody may approve by editing")
    sent = bot.fake.push_message(MODERATOR, "/show 1")
    await bot.fake.wait_for_messages(MODERATOR, 1)
    bot.fake.push_edited_message(MODERATOR, sent["message_id"], f"/approve {sid}")
    anonymous = await say(bot, 1087968824, f"/approve {sid}", chat=GROUP)
    assert anonymous == render.common.anonymous_refused(EN).text
    # The moderator's chat is handled, and answered, in order: the answer to a later command
    # there comes after the edit's. The edit is refused like any edit of a non-submission.
    bot.fake.push_message(MODERATOR, f"/show {sid}")
    _, refused, shown = await bot.fake.wait_for_messages(MODERATOR, 3)
    assert refused.text == render.intake.edit_not_submission(EN).text
    assert f"<b>#{sid}</b>" in (shown.text or "")
    assert status_of(bot, sid) == "pending"


async def test_burst_of_500_keeps_the_group_under_telegrams_limit(tmp_path: Path) -> None:
    async with (
        FakeTelegram(enforce_rate_limits=True) as fake,
        running_bot(fake, tmp_path, TOWNHALL_SEND_RATE="", **STAFF_ENV) as bot,
    ):
        users = list(range(20_000, 20_500))
        for user in users:
            fake.push_message(user, f"Burst question from participant {user}")
        await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=60)
        # Every submission shown to moderators (a post or the digest), then all of it sent.
        unfed = "SELECT count(*) FROM submissions WHERE feed IS NULL"
        await fake.wait_for(lambda: bot.values(unfed) == [(0,)], timeout=60)
        owed_to_group = "SELECT count(*) FROM outbox WHERE chat_id = ? AND state != 'sent'"
        await fake.wait_for(lambda: bot.values(owed_to_group, (GROUP,)) == [(0,)], timeout=60)
        group_calls = sorted(
            c.at
            for c in fake.requests
            if c.params.get("chat_id") in (GROUP, str(GROUP)) and c.outcome == "ok"
        )
        busiest = max(
            sum(1 for t in group_calls if start <= t < start + 60) for start in group_calls
        )
        assert 0 < busiest <= 20, busiest
        assert fake.rate_limited == 0
        # A burst is summarised in one digest, edited in place as submissions come in; the
        # rest each have their own post.
        fed = dict(bot.values("SELECT id, feed FROM submissions"))
        in_digest = sorted(sid for sid, how in fed.items() if how == "digest")
        posted = sorted(sid for sid, how in fed.items() if how == "post")
        assert len(in_digest) + len(posted) == 500 and len(in_digest) > 60
        [digest] = [m for m in fake.messages_to(GROUP) if "new submissions" in (m.text or "")]
        text = digest.current_text or ""
        # Exactly the ids it covers: all of them counted, the first 60 listed (then "…"),
        # and the languages counted over all of them.
        since = re.search(r"since (\d\d:\d\d UTC)", text)
        assert since, text
        languages = dict(
            bot.values(
                "SELECT coalesce(language, '?'), count(*) FROM submissions"
                " WHERE feed = 'digest' GROUP BY 1"
            )
        )
        assert text == render.moderation.digest(EN, in_digest, languages, since.group(1)).text
        assert refs(text) == in_digest[:60] and text.count("#") == 60
        # Each post is about its own submission, and no submission is in both.
        posts = [m for m in fake.messages_to(GROUP) if m is not digest]
        assert sorted(refs(m.text or "")[0] for m in posts) == posted


async def test_translation_shows_on_the_post_when_it_lands(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    from tests.fakes.libretranslate import FakeLibreTranslate

    async with FakeLibreTranslate() as libre:
        libre.mode = "slow"
        libre.delay = 1.0  # the post goes out first, the translation after
        env = {**STAFF_ENV, "TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
        async with running_bot(fake, tmp_path, **env) as bot:
            sid = await ask(
                bot, 190, "¿Cómo protegerán a los periodistas en zonas de conflicto?", "es"
            )
            [post] = await fake.wait_for_messages(GROUP, 1, timeout=20)
            assert EN.gettext("<i>translation pending</i>") in (post.text or "")
            # The fake's translation starts "[es->en]", escaped like any text in HTML.
            await fake.wait_for(lambda: any("[es-&gt;en]" in e for e in post.edits), timeout=20)
            assert f"#{sid}" in post.edits[-1] and "¿Cómo protegerán" in post.edits[-1]


async def test_rejection_notices_can_be_turned_off(fake: FakeTelegram, tmp_path: Path) -> None:
    env = {**STAFF_ENV, "TOWNHALL_REJECTION_NOTICES": "off"}
    async with running_bot(fake, tmp_path, **env) as bot:
        rejected = await ask(bot, 195, "A question that will not be selected")
        approved = await ask(bot, 196, "A question that will be selected")
        await say(bot, MODERATOR, f"/reject {rejected} duplicate")
        await say(bot, MODERATOR, f"/approve {approved}")
        await fake.wait_for(lambda: len(fake.messages_to(196)) == 2)
        # A notice is queued with the decision, before anything the participant asks later:
        # the answer to their /my comes after it, if there is one.
        listing = await say(bot, 195, "/my")
        rejected_sub = await load_submission(bot, rejected)
        assert listing == render.intake.my_submissions(EN, [rejected_sub], 1).text
        assert len(fake.messages_to(195)) == 2  # the confirmation and the /my answer only
        assert status_of(bot, rejected) == "rejected"


async def test_demote_button_puts_an_approved_question_back_on_the_shortlist(
    bot: RunningBot,
) -> None:
    sid = await ask(bot, 197, "A question approved a little too fast")
    await say(bot, MODERATOR, f"/approve {sid}")
    await say(bot, MODERATOR, f"/show {sid}")
    card = bot.fake.messages_to(MODERATOR)[-1]
    buttons = [b["callback_data"] for row in card.reply_markup["inline_keyboard"] for b in row]
    demote = callbacks.encode(callbacks.Moderate(Action.DEMOTE, sid))
    assert demote in buttons
    bot.fake.push_callback(MODERATOR, card.message_id, demote)
    await bot.fake.wait_for(lambda: bool(bot.fake.calls("answerCallbackQuery")))
    assert status_of(bot, sid) == "shortlisted"
    assert bot.fake.calls("answerCallbackQuery")[0].params["text"] == render.base.plain(
        render.moderation.action_done(EN, Action.DEMOTE, sid)
    )
    assert await say(bot, MODERATOR, "/order") == render.moderation.run_order(EN, []).text


async def test_organizers_close_and_open_intake(bot: RunningBot) -> None:
    assert (
        await say(bot, MODERATOR, "/close") == render.common.staff_only(EN, organizers=True).text
    )
    assert await say(bot, 198, "/close") == render.common.staff_only(EN, organizers=True).text
    assert await say(bot, ORGANIZER, "/close") == render.intake.intake_switched(EN, False).text
    bot.fake.push_message(199, "A question while submissions are closed", language_code="tr")
    assert await bot.reply_to(199, 0) == render.intake.intake_closed(LOCALES.get("tr")).text
    assert bot.submissions() == []
    assert await say(bot, ORGANIZER, "/open") == render.intake.intake_switched(EN, True).text
    sid = await ask(bot, 199, "A question once submissions are open again", "tr")
    assert [r["id"] for r in bot.submissions()] == [sid]


async def test_statistics_for_organizers_with_a_chart(bot: RunningBot, tmp_path: Path) -> None:
    first = await ask(bot, 210, "Comment protéger les journalistes pendant les élections ?", "fr")
    await ask(bot, 211, "How will youth groups be included in the dialogue?", "en")
    await ask(bot, 212, "¿Cómo se incluirá a los grupos juveniles en el diálogo?", "es")
    await bot.fake.wait_for(
        lambda: bot.values("SELECT count(*) FROM submissions WHERE language IS NULL") == [(0,)]
    )
    await say(bot, MODERATOR, f"/approve {first}")
    assert await say(bot, 213, "/stats") == render.common.staff_only(EN, organizers=True).text
    before = len(bot.fake.messages_to(ORGANIZER))
    bot.fake.push_message(ORGANIZER, "/stats")
    answers = (await bot.fake.wait_for_messages(ORGANIZER, before + 2))[before:]
    # The figures come through the outbox, the chart directly: in either order.
    [text] = [m.text or "" for m in answers if m.document is None]
    [photo] = [m for m in answers if m.document is not None]
    assert "3" in text and "fr 1" in text and "es 1" in text
    assert photo.document is not None and photo.document[1].startswith(b"\x89PNG")
    (tmp_path / "chart.png").write_bytes(photo.document[1])
    code, out, _ = await run_cli("stats", "--chart", str(tmp_path / "cli.png"),
                                 env={"TOWNHALL_DB": str(bot.settings.db_path)})  # fmt: skip
    figures = json.loads(out)
    assert code == 0 and figures["total"] == 3 and figures["by_status"]["approved"] == 1
    assert ["fr", 1, 1, 1] in figures["funnel"]
    assert (tmp_path / "cli.png").read_bytes().startswith(b"\x89PNG")
