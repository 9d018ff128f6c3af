"""Flood control end to end: a flooding account gets one "please wait" and then silence;
staff are never limited; a viewing party's /ask is counted per party; honest askers are
confirmed promptly while a flood's replies are still queued (the outbox serves chats in turn).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from telegram import Update

from bot import render
from bot.i18n import load_locales
from bot.services.flood import FloodKey
from bot.services.intake import Author
from bot.telegram.handlers.flood import budget_of
from tests.conftest import RunningBot, running_bot, wait_idle
from tests.fakes.telegram_api import FakeTelegram

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
FLOODER, MODERATOR, ORGANIZER = 7001, 7002, 7003
PARTY = -1002000007001
NO_REFILL = {"TOWNHALL_FLOOD_BURST": "5", "TOWNHALL_FLOOD_REFILL": "3600"}


def please_wait(locale: str, seconds: int) -> str:
    return render.common.please_wait(LOCALES.get(locale), seconds).text


def handled(bot: RunningBot) -> bool:
    """Every update pushed so far was taken and handled (not necessarily answered yet)."""
    offset = bot.values("SELECT value FROM settings WHERE key = 'telegram_offset'")
    inbox = bot.values("SELECT count(*) FROM inbox")[0][0]
    last = bot.fake.pushed[-1]["update_id"]
    return bool(offset) and int(offset[0][0]) > last and inbox == 0


async def test_a_flooding_account_gets_one_please_wait_and_then_silence(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path, **NO_REFILL) as bot:
        for n in range(4):
            fake.push_message(FLOODER, "/help", language_code="ru")
            fake.push_message(FLOODER, f"/nonsense{n}", language_code="ru")
            fake.push_message(FLOODER, "/start", language_code="ru")
        await wait_idle(fake, bot.settings.db_path)
        texts = [m.text for m in fake.messages_to(FLOODER)]
        assert len(texts) == 6  # the five within the budget, and one "please wait"
        assert texts[-1] == please_wait("ru", 3600)
        assert texts.count(please_wait("ru", 3600)) == 1

        # From then on, silence: a question, an edit, a button press change nothing.
        question = fake.push_message(FLOODER, "A perfectly reasonable question, really?")
        fake.push_edited_message(FLOODER, question["message_id"], "An edited question, really?")
        own = fake.messages_to(FLOODER)[0]
        query = fake.push_callback(FLOODER, own.message_id, "l:fr")
        await wait_idle(fake, bot.settings.db_path)
        assert len(fake.messages_to(FLOODER)) == 6
        assert query not in fake.callback_answers
        assert bot.submissions() == []
        # Dropped updates were handled as far as the inbox goes: none is left to replay.
        assert bot.values("SELECT count(*) FROM inbox") == [(0,)]


async def test_a_button_press_over_the_budget_is_told_in_its_answer(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {"TOWNHALL_FLOOD_BURST": "2", "TOWNHALL_FLOOD_REFILL": "3600"}
    async with running_bot(fake, tmp_path, **env) as bot:
        fake.push_message(FLOODER, "Is this question going to be read?", language_code="de")
        confirmation = (await fake.wait_for_messages(FLOODER, 1))[0]
        fake.push_message(FLOODER, "/help", language_code="de")
        await fake.wait_for_messages(FLOODER, 2)
        assert confirmation.reply_markup is not None
        data = confirmation.reply_markup["inline_keyboard"][0][0]["callback_data"]
        query = fake.push_callback(FLOODER, confirmation.message_id, data, language_code="de")
        await fake.wait_for(lambda: query in fake.callback_answers)
        answer = fake.callback_answers[query]["text"]
        assert answer == render.base.plain(please_wait("de", 3600))
        await wait_idle(fake, bot.settings.db_path)
        assert len(fake.messages_to(FLOODER)) == 2  # no edit of the confirmation either
        assert [r["kind"] for r in bot.submissions()] == ["question"]


async def test_moderators_and_organizers_are_never_limited(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    staff = {"TOWNHALL_MODERATORS": str(MODERATOR), "TOWNHALL_ORGANIZERS": str(ORGANIZER)}
    async with running_bot(fake, tmp_path, **NO_REFILL, **staff) as bot:
        for _ in range(15):
            fake.push_message(MODERATOR, "/help")
            fake.push_message(ORGANIZER, "/help")
        await wait_idle(fake, bot.settings.db_path, timeout=20)
        assert len(fake.messages_to(MODERATOR)) == 15
        assert len(fake.messages_to(ORGANIZER)) == 15
        wait = please_wait("en", 3600)
        assert all(
            m.text != wait for m in fake.messages_to(MODERATOR) + fake.messages_to(ORGANIZER)
        )


async def test_a_partys_ask_is_counted_per_party_not_per_member(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {"TOWNHALL_ORGANIZERS": str(ORGANIZER), **NO_REFILL, "TOWNHALL_FLOOD_BURST": "3"}
    async with running_bot(fake, tmp_path, **env) as bot:
        fake.push_message(ORGANIZER, "/party Nairobi Hub", chat_id=PARTY, language_code="fr")
        await fake.wait_for_messages(PARTY, 1)
        members = range(8001, 8007)
        # Chatter in the group is not read, so it costs nobody anything.
        for member in members:
            fake.push_message(member, "Hello everyone, are we all here?", chat_id=PARTY)
        for member in members:  # each member asks once: six questions from one party
            fake.push_message(
                member, f"/ask What happens to the hub {member} after the event?", chat_id=PARTY
            )
        # A member's own private budget is their own.
        fake.push_message(members[-1], "And my own question, asked in private?")
        await fake.wait_for(lambda: handled(bot), timeout=10)

        stored = bot.query("SELECT party_id, participant_id FROM submissions ORDER BY id")
        from_party = [r["participant_id"] for r in stored if r["party_id"] is not None]
        assert from_party == list(members[:3])
        assert [r["participant_id"] for r in stored if r["party_id"] is None] == [members[-1]]
        # One "please wait" for the party, in the party's language, queued for its group.
        conn = sqlite3.connect(bot.settings.db_path)
        try:
            rows = conn.execute(
                "SELECT payload FROM outbox WHERE chat_id = ? AND payload LIKE ?",
                (PARTY, "%3600%"),
            ).fetchall()
        finally:
            conn.close()
        assert len(rows) == 1 and please_wait("fr", 3600) in rows[0][0]


async def test_honest_askers_are_confirmed_promptly_during_a_flood(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Default flood control, a slow pace so that the flood's replies make a backlog. Once
    the honest askers' confirmations are queued, the flooding chat gets at most one more turn
    before each of them (and one may already be on the wire): not the rest of its backlog."""
    honest = list(range(9001, 9006))
    async with running_bot(fake, tmp_path, TOWNHALL_SEND_RATE="5") as bot:
        for n in range(80):
            fake.push_message(FLOODER, "/help" if n % 2 else f"/unknown{n}")
        # The flood is handled and its replies queued when the honest askers write.
        await fake.wait_for(lambda: handled(bot), timeout=20)
        for user in honest:
            fake.push_message(user, f"My honest question number {user} for the panel?")
        marks = ",".join("?" * len(honest))
        await fake.wait_for(
            lambda: (
                bot.values(
                    f"SELECT count(*) FROM outbox WHERE chat_id IN ({marks})", tuple(honest)
                )
                == [(len(honest),)]
            ),
            timeout=20,
        )
        delivered = len(fake.messages_to(FLOODER))
        await wait_idle(fake, bot.settings.db_path, timeout=60)

        flood = [m.text for m in fake.messages_to(FLOODER)]
        # 20 within the budget and one "please wait" (one more may pass per 3 s the flood
        # takes to handle on a loaded machine); the rest dropped.
        assert 21 <= len(flood) <= 23
        waits = {please_wait("en", seconds) for seconds in (1, 2, 3)}
        assert sum(text in waits for text in flood) == 1
        assert len(flood) - delivered >= 8  # a backlog was still waiting
        order = [m.chat_id for m in fake.sent]
        for user in honest:
            before = order[: order.index(user)].count(FLOODER)
            assert before <= delivered + 2, (user, before, delivered)
            [confirmation] = fake.messages_to(user)
            assert "#" in (confirmation.text or "")


def _update(kind: str, chat: dict[str, object], text: str | None = None) -> Update:
    message: dict[str, object] = {
        "message_id": 5,
        "date": 0,
        "chat": chat,
        "from": {"id": 8001, "is_bot": False, "first_name": "A", "language_code": "sw"},
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    body: dict[str, object] = {"update_id": 1}
    if kind == "callback_query":
        body[kind] = {"id": "1", "from": message["from"], "chat_instance": "1", "data": "x"}
        body[kind]["message"] = message  # type: ignore[index]
    else:
        body[kind] = message
    update = Update.de_json(body, None)
    assert update is not None
    return update


def test_what_counts_against_whose_budget() -> None:
    private = {"id": 8001, "type": "private", "first_name": "A"}
    group = {"id": PARTY, "type": "supergroup", "title": "Hub"}
    me = "townhall_test_bot"

    def budget(kind: str, chat: dict[str, object], text: str | None) -> FloodKey | None:
        found = budget_of(_update(kind, chat, text), me)
        return found[0] if found else None

    account, party = FloodKey.account(8001), FloodKey.party(PARTY)
    # In a private chat, everything: messages, edits, commands, button presses.
    assert budget("message", private, "Hello, a question?") == account
    assert budget("edited_message", private, "Hello, an edit?") == account
    assert budget("message", private, "/help") == account
    assert budget("callback_query", private, None) == account
    # In a group, only what a handler acts on; a party's /ask counts for the party.
    assert budget("message", group, "Hello everyone") is None
    assert budget("edited_message", group, "/ask edited") is None
    assert budget("message", group, "/ask What next?") == party
    assert budget("message", group, f"/ask@{me} What next?") == party
    assert budget("message", group, "/ask@another_bot What next?") is None
    assert budget("message", group, "/when") == account
    assert budget("callback_query", group, None) == account
    found = budget_of(_update("message", group, "/ask Why?"), me)
    assert found is not None and found[1] == Author(8001, PARTY, "sw")
    channel = {"id": -1009, "type": "channel", "title": "News"}
    assert budget_of(_update("channel_post", channel, "/ask"), me) is None
