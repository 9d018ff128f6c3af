"""Tests for the fake Telegram Bot API, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import Call, FakeTelegram, Fault, Storm, parse_html, utf16_len

TOKEN = "123456:ABC-def"
USER = 42
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) when RetryAfter is built unless this
    # opt-in is set; with it, retry_after is a timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(token=TOKEN, base_url=fake.api_url) as client:
        yield client


@pytest.fixture
async def http(fake: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{fake.api_url}{TOKEN}/", timeout=5) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


def texts(updates: tuple[Update, ...]) -> list[str | None]:
    return [u.message.text if u.message else None for u in updates]


def seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ------------------------------------------------------------------------------ basics


async def test_get_me(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000001, "townhall_test_bot", True)
    assert me.can_join_groups and not me.supports_inline_queries
    # initialize() called getMe too; calls() is case-insensitive and canonicalises names.
    assert [c.method for c in fake.calls("GETME")] == ["getMe", "getMe"]
    assert all(c.token == TOKEN and c.outcome == "ok" for c in fake.requests)


async def test_json_body_and_case_insensitive_method(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "vote:yes"}]]}
    resp = await http.post(
        "SENDMESSAGE", json={"chat_id": USER, "text": "hi", "reply_markup": markup}
    )
    body = resp.json()
    assert resp.status_code == 200 and body["ok"] is True
    assert body["result"]["reply_markup"] == markup
    assert fake.requests[-1].method == "sendMessage"
    assert fake.sent[0].reply_markup == markup and fake.sent[0].text == "hi"

    bad = await http.post("sendMessage", json={"chat_id": USER, "text": "   "})
    assert bad.status_code == 400
    assert bad.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert fake.requests[-1].outcome == "error:400"


async def test_unknown_paths_and_tokens(fake: FakeTelegram, http: httpx.AsyncClient) -> None:
    resp = await http.get("noSuchMethod")
    assert resp.status_code == 404
    assert resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{fake.url}/whatever")).json()["error_code"] == 404
        fake.invalid_tokens.add("1:revoked")
        resp = await client.post(f"{fake.api_url}1:revoked/getMe")
    assert resp.status_code == 401 and resp.json()["description"] == "Unauthorized"


async def test_unknown_method_in_ptb(fake: FakeTelegram, bot: Bot) -> None:
    # After initialize(), PTB turns Telegram's 404 into EndPointNotFound.
    with pytest.raises(EndPointNotFound, match="unknownMethod"):
        await bot.do_api_request("unknown_method")
    assert fake.requests[-1].outcome == "error:404"
    # An uninitialised Bot can't tell a bad token from a bad endpoint: InvalidToken.
    request = HTTPXRequest()
    raw = Bot(token=TOKEN, base_url=fake.api_url, request=request)
    try:
        with pytest.raises(InvalidToken):
            await raw.do_api_request("unknown_method")
    finally:
        await request.shutdown()  # Bot.shutdown() is a no-op for a never-initialised Bot


# ------------------------------------------------------------------------------ updates


async def test_offset_confirms_updates(fake: FakeTelegram, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        fake.push_message(USER, text)
    first = await bot.get_updates()
    assert texts(first) == ["one", "two", "three"]
    # Without a higher offset nothing is confirmed: the same updates come back.
    assert [u.update_id for u in await bot.get_updates()] == [u.update_id for u in first]
    again = await bot.get_updates(offset=first[1].update_id)
    assert texts(again) == ["two", "three"]
    assert fake.pending_updates == 2
    assert await bot.get_updates(offset=first[2].update_id + 1) == ()
    assert fake.pending_updates == 0
    assert await bot.get_updates() == ()  # confirmed updates never come back
    # The fake keeps what it pushed, to replay an update in a test.
    assert [u["update_id"] for u in fake.pushed] == [u.update_id for u in first]


async def test_limit_and_allowed_updates(
    fake: FakeTelegram, bot: Bot, http: httpx.AsyncClient
) -> None:
    for n in range(5):
        fake.push_message(USER, f"m{n}")
    member_id = fake.push_raw_update({"chat_member": {"opaque": True}})
    assert len(await bot.get_updates(limit=2)) == 2

    async def raw(**kwargs: object) -> list[dict[str, Any]]:
        # Raw JSON: PTB couldn't parse the opaque chat_member payload.
        resp = await http.post("getUpdates", json=kwargs)
        result: list[dict[str, Any]] = resp.json()["result"]
        return result

    # [] means Telegram's default: everything except chat_member & reactions.
    assert [u["message"]["text"] for u in await raw(allowed_updates=[])] == [
        f"m{n}" for n in range(5)
    ]
    assert [u["update_id"] for u in await raw(allowed_updates=["chat_member"])] == [member_id]
    # The filter is remembered; confirming past the filtered-out updates drops them for good.
    remaining = await raw(offset=member_id)
    assert remaining == [{"update_id": member_id, "chat_member": {"opaque": True}}]
    assert fake.pending_updates == 1


async def test_long_poll_returns_promptly(fake: FakeTelegram, bot: Bot) -> None:
    async def push_later() -> None:
        await asyncio.sleep(0.2)
        fake.push_message(USER, "late")

    pusher = asyncio.create_task(push_later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - started
    await pusher
    assert texts(updates) == ["late"]
    assert 0.15 < elapsed < 1.5


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2.0


async def test_second_poller_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    async with Bot(token=TOKEN, base_url=fake.api_url) as other:
        older = asyncio.create_task(bot.get_updates(timeout=5))
        await fake.wait_for(lambda: fake.active_polls == 1, timeout=2)
        assert await other.get_updates(timeout=0) == ()  # the newer request is served
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await older
    assert [c.outcome for c in fake.calls("getUpdates")] == ["error:409", "ok"]


async def test_stop_ends_waiting_polls() -> None:
    server = FakeTelegram()
    await server.start()
    async with httpx.AsyncClient(timeout=5) as client:
        poll = asyncio.create_task(
            client.post(f"{server.api_url}{TOKEN}/getUpdates", data={"timeout": "30"})
        )
        await server.wait_for(lambda: server.active_polls == 1, timeout=2)
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 1.0  # no waiting out the 30 s long poll
        resp = await poll
    assert resp.json() == {"ok": True, "result": []}
    assert server.active_polls == 0


async def test_client_disconnect_mid_poll(fake: FakeTelegram, bot: Bot) -> None:
    async with httpx.AsyncClient(timeout=0.2) as quitter:
        with pytest.raises(httpx.ReadTimeout):
            await quitter.post(f"{fake.api_url}{TOKEN}/getUpdates", data={"timeout": "5"})
    fake.push_message(USER, "still alive")
    updates = await bot.get_updates(timeout=2)
    assert texts(updates) == ["still alive"]


@pytest.mark.parametrize(
    ("kind", "attribute"),
    [
        ("text", "text"),
        ("sticker", "sticker"),
        ("photo", "photo"),
        ("voice", "voice"),
        ("video", "video"),
        ("document", "document"),
        ("location", "location"),
        ("contact", "contact"),
        ("animation", "animation"),
        ("video_note", "video_note"),
        ("audio", "audio"),
        ("poll", "poll"),
    ],
)
async def test_push_message_kinds_parse(fake: FakeTelegram, kind: str, attribute: str) -> None:
    text = "hello" if kind in ("text", "poll") else None
    caption = "look" if kind == "photo" else None
    message = fake.push_message(USER, text, kind=kind, caption=caption, language_code="de")
    update = Update.de_json({"update_id": 1, "message": message}, None)
    assert update is not None and update.message is not None
    assert getattr(update.message, attribute)
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "de"
    assert update.message.chat.type == "private" and update.message.chat.id == USER
    assert update.message.date.timestamp() == pytest.approx(time.time(), abs=5)
    if kind == "photo":
        assert update.message.caption == "look" and len(update.message.photo) == 2


async def test_commands_groups_and_shared_message_ids(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.push_message(USER, "/start payload")
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert "entities" not in fake.push_message(USER, "/ no command")
    sent = await bot.send_message(USER, "reply")
    third = fake.push_message(USER, "after")
    # One per-chat sequence shared by the user's and the bot's messages.
    assert [first["message_id"], sent.message_id, third["message_id"]] == [1, 3, 4]
    group = fake.push_message(
        USER, "/vote@townhall_test_bot", chat_id=-500, chat_type="group", chat_title="Assembly"
    )
    assert group["message_id"] == 1 and group["entities"][0]["length"] == 23
    in_group = await bot.send_message(-500, "noted", reply_to_message_id=group["message_id"])
    assert in_group.reply_to_message is not None
    assert in_group.reply_to_message.text == "/vote@townhall_test_bot"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(-500, "to nothing", reply_to_message_id=99)
    assert in_group.chat.title == "Assembly" and in_group.message_id == 2
    edited = fake.push_edited_message(USER, first["message_id"], "/start other")
    update = (await bot.get_updates())[-1]
    assert update.edited_message is not None and update.edited_message.text == "/start other"
    assert edited["edit_date"] >= edited["date"]


async def test_ptb_application_end_to_end(fake: FakeTelegram) -> None:
    async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        await update.message.reply_text(f"Hello {update.effective_user.first_name}")

    app = Application.builder().token(TOKEN).base_url(fake.api_url).build()
    app.add_handler(CommandHandler("start", greet))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await app.start()
        fake.user(USER, first_name="Ada")
        fake.push_message(USER, "/start")
        [reply] = await fake.wait_for_messages(USER, 1, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert reply.text == "Hello Ada" and reply.message_id == 2
    assert fake.pending_updates == 0  # PTB confirmed the update on shutdown
    assert fake.calls("deleteWebhook")[0].outcome == "ok"


# ------------------------------------------------------------------------------ sending


async def test_send_message_with_inline_keyboard(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        USER, "<b>Vote</b> now", parse_mode="HTML", reply_markup=keyboard("yes", "no")
    )
    assert message.text == "Vote now"
    assert message.from_user is not None and message.from_user.id == fake.bot_id
    assert message.entities[0].type == "bold" and message.entities[0].length == 4
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][1].callback_data == "no"
    [sent] = fake.messages_to(USER)
    assert (sent.text, sent.parse_mode, sent.method) == ("<b>Vote</b> now", "HTML", "sendMessage")
    assert sent.reply_markup == keyboard("yes", "no").to_dict()
    assert fake.messages_to(999) == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("R&D", "byte offset 1"),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("é<foo>", 'Unsupported start tag "foo" at byte offset 2'),
    ],
)
async def test_html_rejected(fake: FakeTelegram, bot: Bot, html: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(USER, html, parse_mode="HTML")
    assert reason.lower() in caught.value.message.lower()
    assert fake.sent == [] and fake.requests[-1].outcome == "error:400"


async def test_html_accepted(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(USER, "<b>x</b> &lt;", parse_mode="html")
    assert message.text == "x <"
    rich = (
        '<a href="https://example.org/?a=1&amp;b=2">link</a> <tg-spoiler>s</tg-spoiler> '
        '<blockquote expandable>q</blockquote> <pre><code class="language-py">1</code></pre>'
        " &#x1F600; &quot;ok&quot;"
    )
    message = await bot.send_message(USER, rich, parse_mode="HTML")
    assert message.text == 'link s q 1 \U0001f600 "ok"'
    kinds = {e.type for e in message.entities}
    assert {"text_link", "spoiler", "expandable_blockquote", "pre"} <= kinds
    assert message.entities[0].url == "https://example.org/?a=1&b=2"
    # Offsets are UTF-16: the emoji before "ok" counts as two units.
    assert parse_html("\U0001f600<b>x</b>")[1] == [{"type": "bold", "offset": 2, "length": 1}]
    # Markdown is not validated, and plain text takes "<" and "&" literally.
    await bot.send_message(USER, "*bold* a < b", parse_mode="MarkdownV2")
    assert (await bot.send_message(USER, "R&D < 1")).text == "R&D < 1"


async def test_length_is_measured_after_parsing(fake: FakeTelegram, bot: Bot) -> None:
    body = "x" * 4095 + "&amp;"
    ok = await bot.send_message(USER, f"<b>{body}</b>", parse_mode="HTML")
    assert utf16_len(ok.text or "") == 4096 and len(fake.sent[0].text or "") > 4096
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, "y" * 4097)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, "\U0001f600" * 2049)  # 4098 UTF-16 units, 2049 chars
    assert len(fake.sent) == 1


async def test_keyboard_validation(fake: FakeTelegram, bot: Bot, http: httpx.AsyncClient) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("d" * 64))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=keyboard("\u00e9" * 33))  # 66 bytes
    for button, error in [
        ({"text": "lonely"}, "text buttons are unallowed in the inline keyboard"),
        ({"callback_data": "x"}, 'Field \\"text\\" must be of type String'),
        ({"text": "2", "callback_data": "x", "url": "https://x.org"}, "exactly one"),
        ({"text": "u", "url": "javascript://x"}, "BUTTON_URL_INVALID"),
    ]:
        resp = await http.post(
            "sendMessage",
            data={
                "chat_id": str(USER),
                "text": "x",
                "reply_markup": json.dumps({"inline_keyboard": [[button]]}),
            },
        )
        assert resp.status_code == 400 and error in resp.text, resp.text
    assert len(fake.sent) == 1


# ------------------------------------------------------------------------------ edits & callbacks


async def test_edit_message_text(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "draft", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        "final", USER, sent.message_id, reply_markup=keyboard("a")
    )
    assert isinstance(edited, Message) and edited.text == "final" and edited.edit_date
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("final", USER, sent.message_id, reply_markup=keyboard("a"))
    # Dropping the keyboard is a real modification (Telegram removes it).
    await bot.edit_message_text("final", USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 9999)
    [record] = fake.sent
    assert record.edits == ["final", "final"] and record.current_text == "final"
    assert record.reply_markup is None and "reply_markup" not in record.message
    assert await bot.delete_message(USER, sent.message_id) is True
    assert record.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_callback_queries(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Pick one", reply_markup=keyboard("left", "right"))
    query_id = fake.push_callback(USER, sent.message_id, "right")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.id == query_id and query.data == "right"
    assert isinstance(query.message, Message) and query.message.text == "Pick one"
    assert query.message.reply_markup == keyboard("left", "right")
    assert await bot.answer_callback_query(query_id, text="Thanks") is True
    assert fake.callback_answers[query_id]["text"] == "Thanks"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)  # already answered
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("123456789")
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(
            fake.push_callback(USER, sent.message_id, "l"), text="z" * 201
        )
    with pytest.raises(KeyError):
        fake.push_callback(USER, 777, "nope")


# ------------------------------------------------------------------------------ files & misc


async def test_send_document_and_photo(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(
        USER,
        document=b"id,question\n1,why?\n",
        filename="report.csv",
        caption="<b>Report</b>",
        parse_mode="HTML",
    )
    assert message.document is not None and message.document.file_name == "report.csv"
    assert message.caption == "Report"
    [record] = fake.sent
    assert record.document == ("report.csv", b"id,question\n1,why?\n")
    assert record.text == "<b>Report</b>" and record.method == "sendDocument"
    photo = await bot.send_photo(USER, photo=b"\x89PNG fake", filename="p.png")
    assert photo.photo and fake.sent[-1].document == ("p.png", b"\x89PNG fake")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(USER, document=b"x", filename="a.txt", caption="c" * 1025)
    assert len(fake.sent) == 2
    assert await bot.send_chat_action(USER, "typing") is True


async def test_settings_chat_and_members(fake: FakeTelegram, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("start", "Begin")], scope=scope, language_code="fr")
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="fr")] == [
        "start"
    ]
    assert await bot.get_my_commands() == ()
    assert fake.bot_settings["commands"][("all_private_chats", "fr")][0]["description"] == "Begin"
    await bot.set_my_description("Town hall", language_code="de")
    assert fake.bot_settings["description"] == {"de": "Town hall"}
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    fake.user(USER, first_name="Ada", username="ada")
    chat = await bot.get_chat(USER)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Ada", "ada")
    admin = await bot.get_chat_member(-100, fake.bot_id)
    member = await bot.get_chat_member(-100, USER)
    assert (admin.status, member.status) == ("administrator", "member")
    assert member.user.first_name == "Ada"


# ------------------------------------------------------------------------------ faults


async def test_injected_429_is_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject("sendMessage", Fault(retry_after=3))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "hello")
    assert seconds(caught.value.retry_after) == 3
    assert fake.sent == [] and fake.requests[-1].outcome == "injected:429"
    await bot.send_message(USER, "hello")  # one-shot: the retry goes through
    assert [m.text for m in fake.sent] == ["hello"]


async def test_injected_502_is_network_error(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject(None, Fault(status=502))
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(USER, "hello")
    assert not isinstance(caught.value, BadRequest)
    assert fake.sent == [] and fake.requests[-1].outcome == "injected:502"
    async with httpx.AsyncClient() as client:
        fake.inject("getMe", Fault(status=503))
        resp = await client.get(f"{fake.api_url}{TOKEN}/getMe")
    assert resp.status_code == 503 and resp.headers["content-type"].startswith("text/html")


async def test_dropped_connection_is_network_error(fake: FakeTelegram, bot: Bot) -> None:
    fake.inject("sendMessage", Fault(drop=True))
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(USER, "hello")
    assert not isinstance(caught.value, TimedOut)
    assert fake.sent == [] and fake.requests[-1].outcome == "injected:drop"
    assert (await bot.send_message(USER, "again")).text == "again"  # server still healthy


async def test_delay_fault_still_delivers(fake: FakeTelegram, bot: Bot) -> None:
    # The realistic nasty case: the client gives up, but Telegram delivered the message anyway.
    fake.inject("sendMessage", Fault(delay=0.3))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.1)
    assert fake.sent == []
    await fake.wait_for_messages(USER, 1, timeout=2)
    assert fake.requests[-1].fault == "delay:0.3" and fake.requests[-1].outcome == "ok"


async def test_fault_requires_exactly_one_kind() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Fault()
    with pytest.raises(ValueError, match="exactly one"):
        Fault(status=502, drop=True)


async def run_storm(seed: int) -> tuple[list[str], int]:
    async with FakeTelegram() as server, httpx.AsyncClient() as client:
        server.storm = Storm(p429=0.3, p502=0.2, seed=seed)
        for n in range(30):
            await client.post(
                f"{server.api_url}{TOKEN}/sendMessage",
                data={"chat_id": str(USER), "text": f"m{n}"},
            )
        # getUpdates is never hit by a storm without an explicit methods set.
        await client.post(f"{server.api_url}{TOKEN}/getUpdates")
        return [c.outcome for c in server.requests], len(server.sent)


async def test_storm_is_reproducible() -> None:
    outcomes, delivered = await run_storm(seed=7)
    assert (outcomes, delivered) == await run_storm(seed=7)
    assert outcomes != (await run_storm(seed=8))[0]
    assert {"ok", "injected:429", "injected:502"} == set(outcomes[:-1])
    assert outcomes[-1] == "ok" and delivered == outcomes.count("ok") - 1


async def test_storm_method_filter(fake: FakeTelegram, bot: Bot) -> None:
    fake.storm = Storm(p502=1.0, methods=frozenset({"sendChatAction"}))
    with pytest.raises(NetworkError):
        await bot.send_chat_action(USER, "typing")
    assert (await bot.send_message(USER, "unaffected")).text == "unaffected"


async def test_rate_limits() -> None:
    async with (
        FakeTelegram(enforce_rate_limits=True) as limited,
        Bot(token=TOKEN, base_url=limited.api_url) as client,
    ):
        for n in range(3):
            await client.send_message(USER, f"burst {n}")
        with pytest.raises(RetryAfter) as caught:
            await client.send_message(USER, "one too many")
        assert seconds(caught.value.retry_after) == 1
        assert limited.rate_limited == 1 and len(limited.sent) == 3
        for n in range(20):
            await client.send_message(-700, f"group {n}")
        with pytest.raises(RetryAfter) as caught:
            await client.send_message(-700, "21st in a minute")
        assert 58 <= seconds(caught.value.retry_after) <= 60
        assert limited.calls("sendMessage")[-1].outcome == "error:429"


async def test_latency_is_applied(fake: FakeTelegram, bot: Bot) -> None:
    fake.latency = 0.1
    started = time.monotonic()
    await bot.send_message(USER, "slow link")
    assert time.monotonic() - started >= 0.1


async def test_wait_for_reports_useful_failure(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError, match="expected 2 messages to chat 42") as caught:
        await fake.wait_for_messages(USER, 2, timeout=0.05)
    assert "only one" in str(caught.value)
    calls: list[Call] = fake.calls("sendMessage")
    assert len(calls) == 1 and calls[0].params["text"] == "only one"


async def test_standalone_process(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram_api",
        "--port",
        "0",
        "--control-port-file",
        str(port_file),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert url == f"http://127.0.0.1:{port_file.read_text().strip()}"
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post("/_fake/push_message", json={"user_id": USER, "text": "hey"})
            resp = await client.post(f"/bot{TOKEN}/getUpdates")
            assert resp.json()["result"][0]["message"]["text"] == "hey"
            await client.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": USER, "text": "yo"})
            sent = (await client.get("/_fake/sent")).json()["result"]
        assert [m["text"] for m in sent] == ["yo"]
    finally:
        proc.terminate()
        await proc.wait()
        assert proc.stdout is not None
        await proc.stdout.read()
    assert proc.returncode == 0
