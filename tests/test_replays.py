"""Every button and every command that changes something, handled twice: the same update (same
update_id) handed over again by the inbox, as after a crash between handling an update and
recording it as handled. One effect each: the database stays as the first handling left it, and
no second message or edit is sent. A double tap (the same button pressed twice: two updates)
counts once too.

The replay goes the way a restart's does (`DurablePoller.replay` reads the inbox), without the
restart; `test_a_crash_replays_the_inbox_at_the_next_start` restarts for real.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from telegram import Update

from bot import render, runner
from bot.domain import Action
from bot.i18n import load_locales
from bot.telegram import callbacks
from bot.telegram.polling import DurablePoller
from storage.votes import Sort, VoteOutcome
from tests.conftest import RunningBot, running_bot
from tests.fakes.telegram_api import FakeTelegram, SentMessage

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
EN, FR = LOCALES.get("en"), LOCALES.get("fr")
ORGANIZER, MODERATOR, GROUP, PARTY = 931, 932, -1009310, -1009320
EVENT = """
[event]
name = "Replayed Town Hall"

[[topics]]
id = "climate"
label = { en = "Climate", fr = "Climat" }

[[topics]]
id = "health"
label = { en = "Health", fr = "Santé" }
"""
# What reaches people. Menus (setMyCommands) are published again on a replay, as at every
# start: they say the same, and nobody sees a message for it.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
        "sendDocument",
        "sendPhoto",
    }
)
# A card held for review is held again from the replay on: the same moderator's lease renewed.
VOLATILE = {("submissions", "review_claimed_until")}


class RecordingPoller(DurablePoller):
    """The bot's own poller, keeping each update's JSON as Telegram sent it, and able to leave
    handled updates in the inbox, as a crash before they are recorded as handled does."""

    instances: ClassVar[list[RecordingPoller]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw: dict[int, str] = {}
        self.holding = False
        self.held: list[int] = []
        RecordingPoller.instances.append(self)

    async def _store(self, updates: tuple[Update, ...]) -> int:
        found = self._raw.raw_updates() if self._raw else {}
        for update in updates:
            self.raw[update.update_id] = found.get(update.update_id) or json.dumps(
                update.to_dict()
            )
        return await super()._store(updates)

    def _mark_finished(self, update_id: int) -> None:
        if self.holding:
            self.held.append(update_id)  # handled, and still in the inbox: the crash's state
        else:
            super()._mark_finished(update_id)

    def release(self) -> None:
        """Record what was held as handled (the inbox rows go)."""
        self.holding = False
        held, self.held = self.held, []
        for update_id in held:
            super()._mark_finished(update_id)


@dataclass
class Replays:
    bot: RunningBot
    done: list[tuple[str, int, int]] = field(default_factory=list)  # label, update, replays

    @property
    def fake(self) -> FakeTelegram:
        return self.bot.fake

    @property
    def poller(self) -> RecordingPoller:
        return RecordingPoller.instances[-1]

    def _quiet(self) -> bool:
        held = json.dumps(self.poller.held)
        [(inbox, outbox, untranslated, unfed)] = self.bot.values(
            "SELECT (SELECT count(*) FROM inbox"
            "  WHERE update_id NOT IN (SELECT value FROM json_each(?))),"
            " (SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')),"
            " (SELECT count(*) FROM submissions WHERE translation_status = 'pending'),"
            " (SELECT count(*) FROM submissions WHERE feed IS NULL AND text != '')",
            (held,),
        )
        if self.bot.settings.moderator_chat is None:
            unfed = 0  # no group: nothing is posted
        sending = self.bot.values("SELECT count(*) FROM broadcasts WHERE state = 'sending'")
        return inbox == outbox == untranslated == unfed == 0 and sending == [(0,)]

    async def settle(self) -> None:
        """Until what is in hand is handled, posted, translated and delivered."""
        for _ in range(2):  # and still so a moment later: nothing was about to start
            await self.fake.wait_for(self._quiet, timeout=30)
            await asyncio.sleep(0.1)
        await self.fake.wait_for(self._quiet, timeout=30)

    def effects(self) -> dict[str, Any]:
        """Everything a replay could change: every table (the inbox aside) and what people see."""
        tables = [
            name
            for (name,) in self.bot.values(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'inbox' ORDER BY name"
            )
        ]
        state: dict[str, Any] = {}
        for table in tables:
            rows = [dict(r) for r in self.bot.query(f"SELECT * FROM {table}")]
            state[table] = sorted(
                repr({k: v for k, v in r.items() if (table, k) not in VOLATILE}) for r in rows
            )
        state["sent"] = [
            (m.chat_id, m.message_id, m.current_text, json.dumps(m.reply_markup), len(m.edits))
            for m in self.fake.sent
        ]
        state["calls"] = Counter(
            c.method
            for c in self.fake.requests
            if c.method in MESSAGE_METHODS and c.outcome == "ok"
        )
        return state

    async def _replay_held(self) -> int:
        """Start-up after the crash: what is still in the inbox is handed over again."""
        handled = self.poller.processed
        replayed = await self.poller.replay()
        await self.fake.wait_for(lambda: self.poller.processed == handled + replayed)
        self.poller.release()
        await self.settle()
        return replayed

    async def once(self, label: str, push: Callable[[], object], replayed: int = 1) -> None:
        """Push one update and let it take effect, crash before it is recorded as handled,
        hand it over again: the second handling must change nothing. `replayed`: how many
        updates the inbox hands over again (0: the handling deleted its own row)."""
        known, handled = set(self.poller.raw), self.poller.processed
        self.poller.holding = True
        push()
        await self.fake.wait_for(lambda: self.poller.processed == handled + 1)
        [update_id] = set(self.poller.raw) - known
        await self.settle()
        before = self.effects()
        assert await self._replay_held() == replayed, label
        after = self.effects()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, f"{label}: the replay changed {json.dumps(changed, indent=1)}"
        self.done.append((label, update_id, replayed))

    async def replay_later(self, update_id: int) -> None:
        """The update handed over once more, long after it was handled (put back by hand)."""
        self.bot.execute(
            "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
            (update_id, self.poller.raw[update_id], "2026-12-10T12:00:00Z"),
        )
        self.poller.holding = True
        assert await self._replay_held() == 1

    # ---- what tests push ---------------------------------------------------------------------

    async def say(
        self, label: str, user: int, text: str, chat: int | None = None, language: str = "en"
    ) -> str:
        """A command or a message, handled once and replayed; the bot's one answer."""
        where = user if chat is None else chat
        before = len(self.fake.messages_to(where))
        await self.once(
            label,
            lambda: self.fake.push_message(
                user,
                text,
                chat_id=chat,
                chat_type="supergroup" if chat else "private",
                language_code=language,
            ),
        )
        answers = self.fake.messages_to(where)[before:]
        assert len(answers) <= 1, f"{label}: {[m.text for m in answers]}"
        return (answers[0].text or "") if answers else ""

    async def press(
        self,
        label: str,
        user: int,
        message: SentMessage,
        data: str,
        chat: int | None = None,
        language: str = "en",
        replayed: int = 1,
    ) -> list[str]:
        """A button, handled once and replayed; the toasts of both handlings."""
        ids: list[str] = []
        await self.once(
            label,
            lambda: ids.append(
                self.fake.push_callback(
                    user, message.message_id, data, chat_id=chat, language_code=language
                )
            ),
            replayed,
        )
        return [
            str(c.params.get("text") or "")
            for c in self.fake.calls("answerCallbackQuery")
            if c.params.get("callback_query_id") == ids[0]
        ]

    def status(self, submission_id: int) -> str:
        return str(
            self.bot.values("SELECT status FROM submissions WHERE id = ?", (submission_id,))[0][0]
        )

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return int(self.bot.values(sql, params)[0][0])


def data_of(message: SentMessage, pick: Callable[[callbacks.Callback], bool]) -> str:
    """The callback data of the button `pick` chooses on the message as it is now."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    found = [
        str(b["callback_data"])
        for row in rows
        for b in row
        if pick(callbacks.decode(b["callback_data"]))
    ]
    assert len(found) == 1, (message.current_text, rows)
    return found[0]


def ref_in(text: str) -> int:
    match = re.search(r"#(\d+)", text)
    assert match, text
    return int(match.group(1))


def bot_environment(tmp_path: Path, group: bool = True) -> dict[str, str]:
    event = tmp_path / "event.toml"
    event.write_text(EVENT)
    env = {
        "TOWNHALL_ORGANIZERS": str(ORGANIZER),
        "TOWNHALL_MODERATORS": str(MODERATOR),
        "TOWNHALL_CONFIG": str(event),
        "TOWNHALL_RATE_LIMIT": "100",
    }
    if group:  # posts and their edits: paced at Telegram's 20 a minute in a group
        env["TOWNHALL_MODERATOR_CHAT"] = str(GROUP)
    return env


@pytest.fixture
async def replays(
    fake: FakeTelegram,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Replays]:
    """The bot, with the moderators' group unless the test says {"group": False}."""
    monkeypatch.setattr(runner, "DurablePoller", RecordingPoller)
    monkeypatch.setattr(RecordingPoller, "instances", [])
    options = getattr(request, "param", {})
    async with running_bot(fake, tmp_path, **bot_environment(tmp_path, **options)) as bot:
        yield Replays(bot)


WITHOUT_GROUP = pytest.mark.parametrize("replays", [{"group": False}], indirect=True)


def waiting(bot: RunningBot, count: int) -> list[int]:
    """`count` pending questions, put straight into the database; their ids."""
    bot.execute(
        "INSERT OR IGNORE INTO participants (user_id, pseudonym, created_at)"
        " VALUES (7, 'P-REPLAY', '2026-01-01T00:00:00Z')"
    )
    for n in range(count):
        bot.execute(
            "INSERT INTO submissions (chat_id, message_id, participant_id, kind, text, locale,"
            " language, translation_status, created_at, updated_at, feed) VALUES (7, ?, 7,"
            " 'question', ?, 'en', 'en', 'not_needed', '2026-01-01T00:00:00Z',"
            " '2026-01-01T00:00:00Z', 'digest')",
            (100 + n, f"Waiting question number {n}"),
        )
    return [int(i) for (i,) in bot.values("SELECT id FROM submissions ORDER BY id")][-count:]


async def ask(replays: Replays, user: int, text: str, language: str = "en") -> int:
    """A question, not replayed (the set-up of a test); its id once confirmed."""
    before = len(replays.fake.messages_to(user))
    replays.fake.push_message(user, text, language_code=language)
    return ref_in(await replays.bot.reply_to(user, before))


# ---- participants ----------------------------------------------------------------------------


async def test_participants_updates_replayed_change_nothing_twice(replays: Replays) -> None:
    fake, asker = replays.fake, 501
    await replays.say("/start", asker, "/start", language="fr")
    assert replays.count("SELECT count(*) FROM participants WHERE user_id = ?", (asker,)) == 1

    text = "Comment la société civile sera-t-elle entendue après le sommet ?"
    sid = ref_in(await replays.say("question", asker, text, language="fr"))
    assert replays.count("SELECT count(*) FROM submissions") == 1
    [message] = fake.messages_to(asker)[1:]
    _, asked, _ = replays.done[-1]
    asked_id = json.loads(replays.poller.raw[asked])["message"]["message_id"]

    topic = data_of(message, lambda a: a == callbacks.ChooseTopic(sid, "climate"))
    toasts = await replays.press("topic", asker, message, topic, language="fr")
    assert toasts[0] == render.intake.topic_chosen(FR, sid, "Climat")
    assert replays.bot.values("SELECT topic FROM submissions") == [("climate",)]

    to_idea = data_of(message, lambda a: isinstance(a, callbacks.SwitchKind))
    await replays.press("kind switch", asker, message, to_idea, language="fr")
    assert replays.bot.values("SELECT kind FROM submissions") == [("idea",)]

    # Not a button nor a command, but a change all the same: an edit of the question.
    await replays.once(
        "edited message",
        lambda: fake.push_edited_message(
            asker, asked_id, "Comment la société civile sera-t-elle écoutée ?", language_code="fr"
        ),
    )
    assert replays.bot.values("SELECT text FROM submissions") == [
        ("Comment la société civile sera-t-elle écoutée ?",)
    ]

    idea = await replays.say("/idea", asker, "/idea Des sous-titres en wolof", language="fr")
    assert replays.count("SELECT count(*) FROM submissions WHERE kind = 'idea'") == 2
    assert ref_in(idea) == sid + 1

    await replays.say("/language", asker, "/language", language="fr")
    menu = fake.messages_to(asker)[-1]
    german = data_of(menu, lambda a: a == callbacks.ChooseLanguage("de"))
    await replays.press("language choice", asker, menu, german, language="fr")
    assert replays.bot.values("SELECT locale FROM participants WHERE user_id = ?", (asker,)) == [
        ("de",)
    ]

    await replays.say("/withdraw", asker, f"/withdraw {sid}", language="fr")
    assert replays.status(sid) == "withdrawn"
    assert replays.count("SELECT count(*) FROM audit_log WHERE action = 'withdraw'") == 1

    await replays.say("/forget", asker, "/forget", language="fr")
    prompt = fake.messages_to(asker)[-1]
    confirm = data_of(prompt, lambda a: isinstance(a, callbacks.ConfirmForget))
    # The erasure takes the press's own update out of the inbox with the rest: after it, a
    # crash leaves nothing to hand over again.
    await replays.press("forget confirm", asker, prompt, confirm, language="fr", replayed=0)
    assert replays.count("SELECT count(*) FROM participants WHERE user_id = ?", (asker,)) == 0


# ---- browsing and votes ----------------------------------------------------------------------


@WITHOUT_GROUP
async def test_a_vote_counts_once_however_often_it_is_pressed_or_replayed(
    replays: Replays,
) -> None:
    fake, reader = replays.fake, 520
    ids = [
        await ask(replays, 510 + n, f"Public question number {n} for the panel") for n in range(6)
    ]
    await replays.settle()
    answer = await replays.say("/shortlist", MODERATOR, "/shortlist " + " ".join(map(str, ids)))
    assert answer.count("\n") == len(ids) - 1
    assert replays.count("SELECT count(*) FROM audit_log WHERE action = 'shortlist'") == 6

    await replays.say("/browse", reader, "/browse")
    page = fake.messages_to(reader)[-1]
    first = ids[-1]  # no votes yet: the newest first

    def vote_for(vote: bool) -> str:
        return data_of(page, lambda a: a == callbacks.Upvote(first, Sort.VOTES, 0, vote))

    old_button = vote_for(True)
    toasts = await replays.press("vote", reader, page, old_button)
    assert toasts == [render.browse.vote_toast(EN, first, VoteOutcome.ADDED, 1)] * 2
    assert replays.bot.values("SELECT votes FROM submissions WHERE id = ?", (first,)) == [(1,)]
    take_back = vote_for(False)  # the page now offers to take it back
    assert page.current_text and f"✅ #{first} · 1" in json.dumps(
        page.reply_markup, ensure_ascii=False
    )

    # A double tap: the same 👍 pressed again before the page changed. Still one vote.
    fake.push_callback(reader, page.message_id, old_button)
    await replays.settle()
    assert replays.bot.values("SELECT votes FROM submissions WHERE id = ?", (first,)) == [(1,)]
    assert replays.count("SELECT count(*) FROM votes") == 1

    toasts = await replays.press("take back", reader, page, take_back)
    assert toasts == [render.browse.vote_toast(EN, first, VoteOutcome.REMOVED, 0)] * 2
    assert replays.count("SELECT count(*) FROM votes") == 0
    assert vote_for(True)  # and the page offers the vote again
    fake.push_callback(reader, page.message_id, take_back)  # taken back twice: still none
    await replays.settle()
    assert replays.bot.values("SELECT votes FROM submissions WHERE id = ?", (first,)) == [(0,)]

    # A vote button from before buttons said what they do: nothing changes, and the page is
    # drawn again with today's buttons.
    legacy = f"v:{first}:v:0"
    assert callbacks.decode(legacy) == callbacks.Upvote(first, Sort.VOTES, 0, None)
    toasts = await replays.press("vote button of an older version", reader, page, legacy)
    assert toasts[0] == render.common.stale_button(EN)
    assert replays.count("SELECT count(*) FROM votes") == 0

    following = data_of(page, lambda a: a == callbacks.BrowsePage(Sort.VOTES, 5))
    await replays.press("browse page", reader, page, following)
    newest = data_of(page, lambda a: a == callbacks.BrowsePage(Sort.NEWEST, 0))
    await replays.press("browse sort", reader, page, newest)
    assert "newest first" in (page.current_text or "")


# ---- moderators ------------------------------------------------------------------------------


async def test_moderators_buttons_replayed_change_nothing_twice(replays: Replays) -> None:
    fake = replays.fake
    ids = [await ask(replays, 540, "Question 00 waiting for review")]
    ids += waiting(replays.bot, 11)  # counted in a digest: no post of their own to wait for
    await replays.settle()
    post = next(m for m in fake.messages_to(GROUP) if f"#{ids[0]}" in (m.text or ""))

    def on_post(action: Action) -> str:
        return data_of(post, lambda a: a == callbacks.Moderate(action, ids[0]))

    for label, action, status in (
        ("⭐ on a post", Action.SHORTLIST, "shortlisted"),
        ("✅ on a post", Action.APPROVE, "approved"),
        ("⬇️ on a post", Action.DEMOTE, "shortlisted"),
        ("❌ on a post", Action.REJECT, "rejected"),
    ):
        await replays.press(label, MODERATOR, post, on_post(action), chat=GROUP)
        assert replays.status(ids[0]) == status
    assert replays.count("SELECT count(*) FROM audit_log WHERE submission_id = ?", (ids[0],)) == 4

    card_text = await replays.say("/review", MODERATOR, "/review")
    card = fake.messages_to(MODERATOR)[-1]
    assert ref_in(card_text) == ids[1]
    skip = data_of(card, lambda a: a == callbacks.SkipCard(ids[1]))
    await replays.press("skip", MODERATOR, card, skip)
    assert ref_in(card.current_text or "") == ids[2] and replays.status(ids[1]) == "pending"
    approve = data_of(card, lambda a: a == callbacks.Moderate(Action.APPROVE, ids[2], card=True))
    await replays.press("✅ on a review card", MODERATOR, card, approve)
    assert replays.status(ids[2]) == "approved" and ref_in(card.current_text or "") == ids[3]

    await replays.say("/queue", MODERATOR, "/queue")
    listing = fake.messages_to(MODERATOR)[-1]
    following = data_of(listing, lambda a: isinstance(a, callbacks.QueuePage))
    await replays.press("queue page", MODERATOR, listing, following)


@WITHOUT_GROUP
async def test_moderators_commands_replayed_change_nothing_twice(replays: Replays) -> None:
    fake = replays.fake
    ids = [await ask(replays, 560 + n, f"Question {n:02d} for the live show") for n in range(8)]
    voter = 580
    await replays.settle()

    def audit(action: str) -> int:
        return replays.count("SELECT count(*) FROM audit_log WHERE action = ?", (action,))

    await replays.say("/approve", MODERATOR, f"/approve {ids[0]} {ids[1]} {ids[2]}")
    assert [replays.status(i) for i in ids[:3]] == ["approved"] * 3
    await replays.say("/reject", MODERATOR, f"/reject {ids[3]} off topic")
    await replays.say("/reopen", ORGANIZER, f"/reopen {ids[3]}")
    assert replays.status(ids[3]) == "pending" and audit("reopen") == 1
    await replays.say("/answered", MODERATOR, f"/answered {ids[2]}")
    assert replays.status(ids[2]) == "answered"

    moved = await replays.say("/move", MODERATOR, f"/move {ids[1]} 1")
    assert moved == render.moderation.moved(EN, ids[1], 1).text and audit("move") == 1

    fixed = await replays.say("/fixtr", MODERATOR, f"/fixtr {ids[4]} A person's translation")
    assert fixed == render.curation.translation_fixed(EN, ids[4]).text and audit("fixtr") == 1

    await replays.say("/merge", MODERATOR, f"/merge {ids[5]} into {ids[4]}")
    assert replays.status(ids[5]) == "merged" and audit("merge") == 2  # one on each
    assert replays.count("SELECT votes FROM submissions WHERE id = ?", (ids[4],)) == 1

    # A vote, so that /live tells someone besides the asker.
    await replays.say("/browse", voter, "/browse")
    page = fake.messages_to(voter)[-1]
    await replays.press(
        "vote",
        voter,
        page,
        data_of(page, lambda a: a == callbacks.Upvote(ids[0], Sort.VOTES, 0, True)),
    )

    await replays.say("/live", MODERATOR, f"/live {ids[0]}")
    assert replays.bot.values("SELECT value FROM settings WHERE key = 'live_now'") == [
        (str(ids[0]),)
    ]
    assert len([m for m in fake.messages_to(voter) if "🔴" in (m.text or "")]) == 1
    await replays.say("/next", MODERATOR, "/next")
    assert replays.status(ids[0]) == "answered"
    assert replays.bot.values("SELECT value FROM settings WHERE key = 'live_now'") == [
        (str(ids[1]),)
    ]

    await replays.say("/answer", ORGANIZER, f"/answer {ids[0]} Thank you, here is our answer.")
    assert replays.count("SELECT count(*) FROM answers") == 1
    assert len([m for m in fake.messages_to(560) if "here is our answer" in (m.text or "")]) == 1


# ---- organizers ------------------------------------------------------------------------------


async def test_organizers_commands_replayed_change_nothing_twice(replays: Replays) -> None:
    fake = replays.fake
    for user in (601, 602):
        fake.push_message(user, "/start")
    await replays.settle()

    await replays.say("/broadcast", ORGANIZER, "/broadcast An announcement we cancel")
    assert replays.count("SELECT count(*) FROM broadcasts") == 1
    preview = fake.messages_to(ORGANIZER)[-1]
    cancel = data_of(preview, lambda a: isinstance(a, callbacks.ConfirmBroadcast) and not a.send)
    await replays.press("broadcast cancel", ORGANIZER, preview, cancel)
    assert replays.bot.values("SELECT state FROM broadcasts") == [("cancelled",)]

    await replays.say("/broadcast", ORGANIZER, "/broadcast We are live in ten minutes")
    assert replays.count("SELECT count(*) FROM broadcasts") == 2
    preview = fake.messages_to(ORGANIZER)[-1]
    send = data_of(preview, lambda a: isinstance(a, callbacks.ConfirmBroadcast) and a.send)
    await replays.press("broadcast send", ORGANIZER, preview, send)
    for user in (601, 602):
        assert len([m for m in fake.messages_to(user) if "ten minutes" in (m.text or "")]) == 1

    registered = await replays.say("/party", ORGANIZER, "/party Nairobi Hub", chat=PARTY)
    renamed = await replays.say("/party", ORGANIZER, "/party US Embassy Nairobi", chat=PARTY)
    assert "now a viewing party" in registered and "now a viewing party" not in renamed
    assert replays.bot.values("SELECT id, place FROM parties") == [(1, "US Embassy Nairobi")]
    await replays.say("/partylang", ORGANIZER, "/partylang fr", chat=PARTY)
    assert replays.bot.values("SELECT locale FROM parties") == [("fr",)]
    asked = await replays.say("/ask in a party", 620, "/ask Quand aura lieu le vote ?", chat=PARTY)
    assert replays.bot.values("SELECT party_id FROM submissions") == [(1,)]
    assert ref_in(asked) == 1

    assert (
        await replays.say("/close", ORGANIZER, "/close")
        == render.intake.intake_switched(EN, False).text
    )
    assert (
        await replays.say("/open", ORGANIZER, "/open")
        == render.intake.intake_switched(EN, True).text
    )
    assert replays.count("SELECT count(*) FROM audit_log WHERE action IN ('open', 'close')") == 2
    assert replays.count("SELECT count(*) FROM handled_requests") == 2

    link = await replays.say("/invite", ORGANIZER, "/invite")
    token = re.search(r"start=([\w-]+)", link)
    assert token and replays.count("SELECT count(*) FROM invites") == 1
    welcome = await replays.say("/start with an invitation", 610, f"/start {token.group(1)}")
    assert welcome == render.moderation.welcome_moderator(EN).text
    assert replays.bot.values("SELECT user_id FROM moderators") == [(610,)]
    assert (
        replays.count("SELECT count(*) FROM audit_log WHERE action = 'joined as moderator'") == 1
    )
    # Opened again by the same person, it still welcomes them; anyone else is refused.
    again = await replays.say("/start again", 610, f"/start {token.group(1)}")
    assert again == render.moderation.welcome_moderator(EN).text
    refused = await replays.say("/start by someone else", 611, f"/start {token.group(1)}")
    assert refused == render.moderation.invite_invalid(EN).text

    await replays.say("/unmod", ORGANIZER, "/unmod 610")
    assert replays.count("SELECT count(*) FROM moderators") == 0
    # Replayed after the removal, the invitation makes no moderator again.
    joined = next(u for label, u, _ in replays.done if label == "/start with an invitation")
    before = replays.effects()
    await replays.replay_later(joined)
    assert replays.effects() == before


# ---- a real restart --------------------------------------------------------------------------


async def test_a_crash_replays_the_inbox_at_the_next_start(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates handled but not yet recorded as handled when the bot stops are handed over
    again at the next start, all of them, in order: nothing happens twice."""
    monkeypatch.setattr(runner, "DurablePoller", RecordingPoller)
    monkeypatch.setattr(RecordingPoller, "instances", [])
    env = bot_environment(tmp_path, group=False)
    async with running_bot(fake, tmp_path, **env) as bot:
        replays = Replays(bot)
        ids = [
            await ask(replays, 720 + n, f"Question {n} asked before the crash") for n in range(3)
        ]
        await replays.settle()
        replays.poller.holding = True  # from here on, nothing is recorded as handled
        fake.push_message(MODERATOR, f"/approve {ids[0]} {ids[1]}")
        await fake.wait_for(lambda: replays.poller.processed == 4)
        fake.push_message(730, "/browse")
        await fake.wait_for(lambda: bool(fake.messages_to(730)))
        await replays.settle()
        page = fake.messages_to(730)[-1]
        vote = data_of(page, lambda a: a == callbacks.Upvote(ids[0], Sort.VOTES, 0, True))
        fake.push_callback(730, page.message_id, vote)
        fake.push_callback(730, page.message_id, vote)  # a double tap
        fake.push_message(ORGANIZER, "/broadcast Back in five minutes")
        fake.push_message(ORGANIZER, "/close")
        fake.push_message(ORGANIZER, "/invite")
        fake.push_message(ORGANIZER, "/party Nairobi Hub", chat_id=PARTY, chat_type="supergroup")
        fake.push_message(ORGANIZER, f"/move {ids[1]} 1")
        fake.push_message(MODERATOR, f"/fixtr {ids[2]} A corrected translation")
        await fake.wait_for(lambda: replays.poller.processed == 5 + 8)
        await replays.settle()
        held = list(replays.poller.held)
        before = replays.effects()
    assert len(held) == 10 and bot.values("SELECT count(*) FROM inbox") == [(10,)]

    async with running_bot(fake, tmp_path, **env) as bot:
        replays = Replays(bot)
        await fake.wait_for(lambda: replays.poller.processed == len(held))
        await replays.settle()
        await fake.wait_for(lambda: bot.values("SELECT count(*) FROM inbox") == [(0,)])
        after = replays.effects()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, json.dumps(changed, indent=1)
    assert after["votes"] and len(after["votes"]) == 1
    assert len(after["broadcasts"]) == len(after["invites"]) == len(after["parties"]) == 1


def test_vote_buttons_say_what_they_do_and_older_ones_still_decode() -> None:
    vote, take_back = (
        callbacks.Upvote(12, Sort.VOTES, 5),
        callbacks.Upvote(12, Sort.NEWEST, 0, False),
    )
    assert callbacks.encode(vote) == "v:12:v:5:+" and callbacks.encode(take_back) == "v:12:n:0:-"
    for action in (vote, take_back, callbacks.Upvote(12, Sort.VOTES, 0, None)):
        assert callbacks.decode(callbacks.encode(action)) == action
    assert callbacks.decode("v:12:v:5") == callbacks.Upvote(12, Sort.VOTES, 5, None)  # older
    for forged in ("v:12:v:5:", "v:12:v:5:y", "v:12:v:5:+:1", "v:12:x:5:+", "v:0:v:5:+"):
        with pytest.raises(callbacks.BadCallback):
            callbacks.decode(forged)
