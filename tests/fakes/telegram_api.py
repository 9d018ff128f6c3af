"""A fake Telegram Bot API server (aiohttp) that behaves like Telegram where it matters.

Point python-telegram-bot at it with ``Bot(token, base_url=fake.api_url)``; requests then arrive
as ``POST /bot<token>/<method>``.  The fake keeps Telegram's semantics for the things a bot can
get wrong: update confirmation by offset, long polling and the 409 for a second poller, per-chat
message ids, strict HTML entity parsing, keyboard limits, edit/callback errors, flood control.
Faults (429, 5xx, dropped connections, slow answers) can be injected one-shot or as a seeded storm.

Standalone: ``python -m tests.fakes.telegram_api --port 0`` prints the URL, serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import re
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

__all__ = [
    "ApiError",
    "Call",
    "FakeTelegram",
    "Fault",
    "SentMessage",
    "Storm",
    "UploadedFile",
    "parse_html",
    "utf16_len",
]

JSON = dict[str, Any]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64

_METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setMyName",
    "getMyName",
    "setChatMenuButton",
    "getChatMenuButton",
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "getChat",
    "getChatMember",
)
# Telegram method names are case-insensitive; Call.method uses the canonical spelling.
_CANONICAL = {name.lower(): name for name in _METHODS}

# Form bodies carry everything as strings: these hold JSON, integers or booleans.
_NESTED_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "menu_button",
    }
)
_INT_FIELDS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "user_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "message_thread_id",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
        "disable_content_type_detection",
        "allow_paid_broadcast",
        "show_caption_above_media",
    }
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Telegram's default when allowed_updates is an empty list: everything except these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_KINDS = frozenset(
    {
        "text",
        "sticker",
        "photo",
        "voice",
        "video",
        "document",
        "location",
        "contact",
        "animation",
        "video_note",
        "audio",
        "poll",
    }
)
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_PHRASES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}
_FAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
}


class ApiError(Exception):
    """A Telegram-shaped error answer (``ok: false``)."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class UploadedFile:
    """A multipart file part as received."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class Call:
    method: str  # canonical camelCase for known methods, as received otherwise
    params: JSON
    token: str
    at: float  # time.monotonic() on arrival
    outcome: str = "pending"  # "ok", "error:<code>", "injected:<429|502|drop...>"
    fault: str | None = None  # e.g. "delay:0.5" when a delay fault slowed an otherwise normal call


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str | None  # raw text (or caption) as the bot sent it, markup included
    parse_mode: str | None
    reply_markup: JSON | None  # current markup (edits update it)
    method: str
    params: JSON
    edits: list[str] = field(default_factory=list)
    at: float = 0.0
    document: tuple[str, bytes] | None = None
    deleted: bool = False
    message: JSON = field(default_factory=dict, repr=False)  # current Message as Telegram has it

    @property
    def current_text(self) -> str | None:
        return self.edits[-1] if self.edits else self.text

    @property
    def visible_text(self) -> str | None:
        """Current text/caption after entity parsing (what the user actually sees)."""
        return self.message.get("text", self.message.get("caption"))


@dataclass
class Fault:
    """One-shot fault; exactly one field must be set."""

    status: int = 0  # 5xx -> nginx HTML page; other codes -> Telegram JSON error
    retry_after: int | None = None  # -> 429 with parameters.retry_after
    delay: float = 0.0  # answer normally, but late (the message IS delivered)
    drop: bool = False  # close the connection without answering
    description: str | None = None  # optional description for a JSON `status` fault

    def __post_init__(self) -> None:
        chosen = [bool(self.status), self.retry_after is not None, self.delay > 0, self.drop]
        if sum(chosen) != 1:
            raise ValueError(f"Fault needs exactly one of status/retry_after/delay/drop: {self}")


@dataclass
class Storm:
    """Probabilistic faults; one draw from random.Random(seed) per matching call."""

    p429: float = 0.0
    retry_after: int = 1
    p502: float = 0.0
    p_delay: float = 0.0
    delay: float = 0.0
    seed: int = 0
    methods: frozenset[str] | None = None  # None = every method except getUpdates


# --------------------------------------------------------------------------------------------
# Text and entity parsing
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, which is how Telegram counts offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


_SPACES = " \t\r\n\v\f"
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_reference(text: str, pos: int) -> tuple[str, int] | None:
    """Decode a character reference at text[pos] == "&" like tdlib (';' is optional there)."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        hexadecimal = end < n and text[end] == "x"
        if hexadecimal:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and text[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(text[end], 16)
            end += 1
            if value >= 0x10FFFF:
                return None
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        found = _NAMED_REFS.get(text[pos + 1 : end])
        if found is None:
            return None
        char = found
    if end < n and text[end] == ";":
        end += 1
    return char, end


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (visible text, entities); raise ApiError(400) like Telegram.

    Mirrors tdlib's parser (same checks, reasons and byte offsets).  The one deliberate
    difference: tdlib keeps a bare "&" literally, while the Bot API docs say it must be escaped;
    with strict_ampersand (default) the fake rejects it so unescaped user text is caught.
    """

    def fail(reason: str) -> ApiError:
        return _bad(f"can't parse entities: {reason}")

    def at(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    offset = 0  # UTF-16 length of `out`
    stack: list[tuple[str, str, int, int, bool]] = []  # tag, argument, u16 start, out idx, expand
    entities: list[JSON] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_reference(text, i)
            if decoded is not None:
                out.append(decoded[0])
                offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(
                    f'Unsupported HTML entity at byte offset {at(i)}; "&" must be '
                    'escaped as "&amp;"'
                )
        if c != "<":
            out.append(c)
            offset += utf16_len(c)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {at(begin)}")
            j = i + 1
            while j < n and text[j] not in _SPACES and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j]
            while j < n and text[j] in _SPACES:
                j += 1
            if j >= n or text[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {at(begin)}")
            tag, argument, start, out_start, expandable = stack.pop()
            if end_name and end_name.lower() != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {at(begin)}, expected "</{tag}>", '
                    f'found "</{end_name}>"'
                )
            if tag == "tg-emoji" and not (argument.isdigit() and int(argument) > 0):
                raise fail("Invalid custom emoji identifier specified")
            entity = _make_entity(
                tag, argument, start, offset - start, "".join(out[out_start:]), expandable, stack
            )
            if entity is not None:
                entities.append(entity)
            i = j + 1
            continue

        j = i
        while j < n and text[j] not in _SPACES and text[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {at(begin)}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
        argument = ""
        expandable = False
        while True:
            while j < n and text[j] in _SPACES:
                j += 1
            if j >= n:
                raise fail(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
            if text[j] == ">":
                break
            name_start = j
            while j < n and text[j] not in _SPACES and text[j] not in "=>":
                j += 1
            attribute = text[name_start:j].lower()
            if not attribute:
                raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}')
            while j < n and text[j] in _SPACES:
                j += 1
            if j >= n or text[j] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    expandable = True
                    continue
                raise fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at(begin)}'
                )
            j += 1
            while j < n and text[j] in _SPACES:
                j += 1
            if j >= n:
                raise fail(f'Unclosed start tag "{tag}" at byte offset {at(begin)}')
            if text[j] not in "'\"":
                token_start = j
                while j < n and ((text[j].isascii() and text[j].isalnum()) or text[j] in ".-"):
                    j += 1
                value = text[token_start:j].lower()
                if j < n and text[j] not in _SPACES and text[j] != ">":
                    raise fail(f"Unexpected end of name token at byte offset {at(token_start)}")
            else:
                quote = text[j]
                j += 1
                chars: list[str] = []
                while j < n and text[j] != quote:
                    if text[j] == "&":
                        ref = _decode_reference(text, j)
                        if ref is not None:
                            chars.append(ref[0])
                            j = ref[1]
                            continue
                    chars.append(text[j])
                    j += 1
                if j < n:
                    j += 1
                value = "".join(chars)
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {at(begin)}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
            elif tag == "blockquote" and attribute == "expandable":
                expandable = True
        if tag == "span" and argument != "spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}')
        stack.append((tag, argument, offset, len(out), expandable))
        i = j + 1

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _make_entity(
    tag: str,
    argument: str,
    offset: int,
    length: int,
    inner: str,
    expandable: bool,
    stack: list[tuple[str, str, int, int, bool]],
) -> JSON | None:
    if length <= 0:
        return None  # Telegram drops empty entities
    entity: JSON = {"type": _ENTITY_TYPES[tag], "offset": offset, "length": length}
    if tag == "tg-emoji":
        entity["custom_emoji_id"] = argument
    elif tag == "a":
        # Like Telegram: no href means the text is the URL; an unusable URL just drops the link.
        url = argument or inner
        if not re.match(r"^(https?|tg)://\S+$|^[\w.-]+\.[a-z]{2,}(/\S*)?$", url, re.IGNORECASE):
            return None
        entity["url"] = url
    elif tag == "blockquote" and expandable:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and argument and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is a pre block with a language, not inline code.
        return {"type": "pre", "offset": offset, "length": length, "language": argument}
    return entity


def _markdown_visible(text: str) -> str:
    """Approximate visible text of MarkdownV2/Markdown (not validated, only measured)."""
    text = re.sub(r"(?<!\\)\[([^\]]*)\]\([^)]*\)", r"\1", text)
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c not in "*_~|`":
            out.append(c)
        i += 1
    return "".join(out)


def _strip_entities(visible: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim leading/trailing whitespace the way Telegram does, keeping entities aligned."""
    stripped = visible.strip()
    if not stripped:
        return "", []
    lead = utf16_len(visible[: len(visible) - len(visible.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

Handler = Callable[[Call, JSON], Awaitable[Any]]


class FakeTelegram:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        bot_id: int = 7000001,
        bot_username: str = "townhall_test_bot",
        enforce_rate_limits: bool = False,
    ) -> None:
        self.latency = latency
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.enforce_rate_limits = enforce_rate_limits
        self.invalid_tokens: set[str] = set()  # these tokens get 401 Unauthorized
        self.blocked_users: set[int] = set()  # private chats answering 403 "blocked by the user"
        self.strict_ampersand = True  # see parse_html
        self.requests: list[Call] = []
        self.sent: list[SentMessage] = []
        self.pushed: list[JSON] = []  # every update pushed, as Telegram sent it (for replays)
        self.bot_settings: dict[str, dict[Any, Any]] = {
            "commands": {},  # (scope key, language_code) -> list of {command, description}
            "description": {},  # language_code -> str
            "short_description": {},
            "name": {},
            "menu_button": {},  # chat_id (None = default) -> MenuButton dict
        }
        self.callback_answers: dict[str, JSON] = {}  # callback_query_id -> answer params
        self.webhook_url = ""
        self.rate_limited = 0
        # method (lower case) -> a gate: requests are received, then wait until it is set,
        # then handled, as Telegram handles a request it received whatever the client does.
        self.gates: dict[str, asyncio.Event] = {}
        self.held = 0  # requests waiting at a gate

        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = asyncio.Event()
        self._updates: list[JSON] = []
        self._next_update_id = 100_000_001
        self._update_event = asyncio.Event()
        self._poll_generation: dict[str, int] = {}
        self._allowed_updates: dict[str, frozenset[str] | None] = {}
        self._active_polls = 0
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._usernames: dict[str, int] = {}
        self._message_seq: dict[int, int] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._callbacks_issued: set[str] = set()
        self._callback_seq = 0
        self._file_seq = 0
        self._faults: dict[str | None, deque[Fault]] = {}
        self._storm: Storm | None = None
        self._storm_rng = random.Random(0)
        self._global_sends: deque[float] = deque()
        self._group_sends: dict[int, deque[float]] = {}
        self._private_buckets: dict[int, tuple[float, float]] = {}
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "setmydescription": self._text_setting("description", "description", 512),
            "getmydescription": self._text_getter("description", "description"),
            "setmyshortdescription": self._text_setting(
                "short_description", "short_description", 120
            ),
            "getmyshortdescription": self._text_getter("short_description", "short_description"),
            "setmyname": self._text_setting("name", "name", 64),
            "getmyname": self._text_getter("name", "name"),
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeTelegram already started")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)  # uploads: 50 MB like Telegram
        app.router.add_route("*", r"/bot{token:[^/]+}/{method}", self._handle)
        app.router.add_route("*", "/_fake/{action}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # Short shutdown: stop() wakes every long poll and delay, so handlers end immediately.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing.set()
        self._wake()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeTelegram is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/bot"

    # ---------------------------------------------------------------- fault configuration

    def inject(self, method: str | None, *faults: Fault) -> None:
        key = None if method is None else method.lower()
        self._faults.setdefault(key, deque()).extend(faults)

    @property
    def storm(self) -> Storm | None:
        return self._storm

    @storm.setter
    def storm(self, storm: Storm | None) -> None:
        self._storm = storm
        self._storm_rng = random.Random(storm.seed if storm else 0)

    def _take_fault(self, key: str) -> Fault | None:
        for queue_key in (key, None):
            if queue_key is None and key == "getupdates":
                continue
            queue = self._faults.get(queue_key)
            if queue:
                return queue.popleft()
        storm = self._storm
        if storm is None:
            return None
        if storm.methods is None:
            if key == "getupdates":
                return None
        elif key not in {m.lower() for m in storm.methods}:
            return None
        draw = self._storm_rng.random()
        if draw < storm.p429:
            return Fault(retry_after=storm.retry_after)
        if draw < storm.p429 + storm.p502:
            return Fault(status=502)
        if draw < storm.p429 + storm.p502 + storm.p_delay and storm.delay > 0:
            return Fault(delay=storm.delay)
        return None

    # ---------------------------------------------------------------- injecting updates

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> dict[str, Any]:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def _sender(self, user_id: int, language_code: str | None) -> JSON:
        known = self._users.get(user_id)
        if known is None:
            return self.user(user_id, language_code=language_code)
        # Keep the name the test gave earlier; the client's language may change per update.
        user = {k: v for k, v in known.items() if k != "language_code"}
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def push_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        language_code: str | None = "en",
        chat_id: int | None = None,
        chat_type: str = "private",
        caption: str | None = None,
        kind: str = "text",
        chat_title: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        if kind not in _KINDS:
            raise ValueError(f"unknown message kind {kind!r}; expected one of {sorted(_KINDS)}")
        if chat_type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"unknown chat_type {chat_type!r}")
        sender = self._sender(user_id, language_code)
        chat_id = user_id if chat_id is None else chat_id
        if chat_type == "private" and chat_id < 0:
            # A negative id is a group in Telegram; infer it rather than build a bogus chat.
            chat_type = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        if chat_type != "private" and chat_id >= 0:
            raise ValueError("group chats need a negative chat_id")
        if chat_type == "private":
            chat: JSON = {"id": chat_id, "type": "private", "first_name": sender["first_name"]}
            if "username" in sender:
                chat["username"] = sender["username"]
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or "Test Group"}
        self._chats[chat_id] = chat
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": sender,
            "chat": dict(chat),
            "date": int(time.time()),
        }
        message.update(self._content(kind, text, caption, user_id, sender))
        message.update(extra)
        self._user_messages[(chat_id, message["message_id"])] = message
        self._enqueue({"message": message})
        return message

    def _content(
        self, kind: str, text: str | None, caption: str | None, user_id: int, sender: JSON
    ) -> JSON:
        if kind == "text":
            if text is None:
                raise ValueError("a text message needs text")
            content: JSON = {"text": text}
            match = _BOT_COMMAND.match(text)
            if match:
                content["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
                ]
            return content
        caption = caption if caption is not None else text
        if kind == "sticker":
            content = {
                "sticker": {
                    **self._file_ids(),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "\N{THUMBS UP SIGN}",
                    "set_name": "TestStickers",
                    "file_size": 24_576,
                }
            }
        elif kind == "photo":
            content = {
                "photo": [
                    {**self._file_ids(), "width": 90, "height": 67, "file_size": 1_337},
                    {**self._file_ids(), "width": 1280, "height": 960, "file_size": 98_765},
                ]
            }
        elif kind == "voice":
            content = {
                "voice": {
                    **self._file_ids(),
                    "duration": 3,
                    "mime_type": "audio/ogg",
                    "file_size": 12_345,
                }
            }
        elif kind == "video":
            content = {
                "video": {
                    **self._file_ids(),
                    "width": 1280,
                    "height": 720,
                    "duration": 7,
                    "mime_type": "video/mp4",
                    "file_size": 654_321,
                }
            }
        elif kind == "document":
            content = {
                "document": {
                    **self._file_ids(),
                    "file_name": "notes.pdf",
                    "mime_type": "application/pdf",
                    "file_size": 54_321,
                }
            }
        elif kind == "animation":
            animation = {
                **self._file_ids(),
                "width": 320,
                "height": 240,
                "duration": 2,
                "file_name": "funny.mp4",
                "mime_type": "video/mp4",
                "file_size": 99_999,
            }
            # Telegram still sends the legacy "document" field alongside an animation.
            content = {
                "animation": animation,
                "document": {
                    k: animation[k]
                    for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                },
            }
        elif kind == "video_note":
            content = {
                "video_note": {
                    **self._file_ids(),
                    "length": 240,
                    "duration": 5,
                    "file_size": 77_777,
                }
            }
        elif kind == "audio":
            content = {
                "audio": {
                    **self._file_ids(),
                    "duration": 180,
                    "performer": "Test Band",
                    "title": "Test Song",
                    "mime_type": "audio/mpeg",
                    "file_size": 2_345_678,
                }
            }
        elif kind == "location":
            content = {"location": {"latitude": 52.520008, "longitude": 13.404954}}
        elif kind == "contact":
            content = {
                "contact": {
                    "phone_number": "+15555550123",
                    "first_name": sender["first_name"],
                    "user_id": user_id,
                }
            }
            caption = None
        else:  # poll
            self._file_seq += 1
            content = {
                "poll": {
                    "id": str(5_000_000_000_000_000_000 + self._file_seq),
                    "question": text or "Test poll?",
                    "options": [
                        {"text": t, "voter_count": 0, "persistent_id": f"opt{k}"}
                        for k, t in enumerate(("Yes", "No"))
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            }
            caption = None
        if caption is not None and kind not in ("sticker", "video_note", "location"):
            content["caption"] = caption
        return content

    def push_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        sender = self._sender(user_id, language_code)
        original = self._user_messages.get((chat_id, message_id))
        message: JSON = (
            dict(original)
            if original
            else {
                "message_id": message_id,
                "chat": self._chat(chat_id),
                "date": int(time.time()),
            }
        )
        message.pop("entities", None)
        message.update({"from": sender, "text": text, "edit_date": int(time.time())})
        match = _BOT_COMMAND.match(text)
        if match:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
            ]
        self._user_messages[(chat_id, message_id)] = message
        self._enqueue({"edited_message": message})
        return message

    def push_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "en",
    ) -> str:
        chat_id = user_id if chat_id is None else chat_id
        sent = self._bot_messages.get((chat_id, message_id))
        if sent is None or sent.deleted:
            raise KeyError(f"the bot has no message {message_id} in chat {chat_id}")
        self._callback_seq += 1
        query_id = str(self.bot_id * 10**9 + self._callback_seq)
        self._callbacks_issued.add(query_id)
        self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._sender(user_id, language_code),
                    "message": json.loads(
                        json.dumps(sent.message)
                    ),  # a snapshot, like a real update
                    "chat_instance": str(-(abs(chat_id) * 2_654_435_761 % 10**18) - 1),
                    "data": data,
                }
            }
        )
        return query_id

    def push_raw_update(self, update: dict[str, Any]) -> int:
        return self._enqueue(dict(update))

    def _enqueue(self, update: JSON) -> int:
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        else:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        self._updates.append(update)
        self.pushed.append(update)
        self._wake()
        return int(update["update_id"])

    def _wake(self) -> None:
        # Event per "generation": waiters grab the current one, so nobody misses a wake-up.
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    @property
    def active_polls(self) -> int:
        """getUpdates requests currently waiting (long polling)."""
        return self._active_polls

    # ---------------------------------------------------------------- inspecting the bot

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        if isinstance(chat_id, str):
            chat_id = self._resolve_chat(chat_id)
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls(self, method: str) -> list[Call]:
        key = method.lower()
        return [c for c in self.requests if c.method.lower() == key]

    def describe(self, last: int = 10) -> str:
        """Short human summary of recent traffic, for assertion messages."""
        calls = ", ".join(f"{c.method}->{c.outcome}" for c in self.requests[-last:]) or "none"
        sent = (
            "; ".join(
                f"[{m.chat_id}#{m.message_id}] {(m.current_text or '')[:60]!r}"
                for m in self.sent[-last:]
            )
            or "none"
        )
        return f"last calls: {calls}\nlast sent: {sent}"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"condition {name} not met within {timeout}s\n{self.describe()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 10.0
    ) -> list[SentMessage]:
        try:
            await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        except AssertionError as exc:
            got = len(self.messages_to(chat_id))
            raise AssertionError(
                f"expected {count} messages to chat {chat_id} within {timeout}s, got {got}\n"
                f"{self.describe()}"
            ) from exc
        return self.messages_to(chat_id)

    # ---------------------------------------------------------------- HTTP plumbing

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._json(ApiError(404, "Not Found").body(), 404)

    @staticmethod
    def _json(body: JSON, status: int = 200) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _sleep(self, seconds: float) -> None:
        """Sleep that stop() cuts short."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        key = request.match_info["method"].lower()
        call = Call(_CANONICAL.get(key, request.match_info["method"]), {}, token, time.monotonic())
        self.requests.append(call)
        try:
            call.params = await self._read_params(request)
            await self._sleep(self.latency)
            if (gate := self.gates.get(key)) is not None:
                self.held += 1
                try:
                    await gate.wait()
                finally:
                    self.held -= 1
            if token in self.invalid_tokens:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(key)
            if handler is None:
                raise ApiError(404, "Not Found")
            fault = self._take_fault(key)
            if fault is not None:
                answer = await self._apply_fault(fault, call, request)
                if answer is not None:
                    return answer
            result = await handler(call, call.params)
        except ApiError as exc:
            if call.outcome == "pending":
                call.outcome = f"error:{exc.code}"
            return self._json(exc.body(), exc.code)
        except Exception:
            call.outcome = "error:500"  # a bug in the fake; aiohttp logs the traceback
            raise
        call.outcome = "ok"
        return self._json({"ok": True, "result": result})

    async def _apply_fault(
        self, fault: Fault, call: Call, request: web.Request
    ) -> web.StreamResponse | None:
        if fault.delay > 0:
            call.fault = f"delay:{fault.delay:g}"
            await self._sleep(fault.delay)
            return None  # then answer (and deliver) normally
        if fault.drop:
            call.outcome = "injected:drop"
            # Abort the socket: the client sees the connection die without an answer.
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)  # never reaches anyone
        if fault.retry_after is not None:
            call.outcome = "injected:429"
            return self._json(
                ApiError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                ).body(),
                429,
            )
        call.outcome = f"injected:{fault.status}"
        if fault.status >= 500:
            phrase = _PHRASES.get(fault.status, "Error")
            return web.Response(
                text=_NGINX_PAGE.format(code=fault.status, phrase=phrase),
                status=fault.status,
                content_type="text/html",
            )
        description = fault.description or _FAULT_DESCRIPTIONS.get(fault.status, "Error")
        return self._json(ApiError(fault.status, description).body(), fault.status)

    async def _read_params(self, request: web.Request) -> JSON:
        raw: JSON = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.read()
                if body.strip():
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise _bad("can't parse JSON object") from None
                    if not isinstance(data, dict):
                        raise _bad("JSON object expected")
                    raw.update(data)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        # aiohttp spools uploads to a temp file we must close ourselves.
                        with value.file as handle:
                            content = handle.read()
                        files[name] = UploadedFile(
                            value.filename or name, content, value.content_type
                        )
                    else:
                        raw[name] = value
        return self._normalize(raw, files)

    @staticmethod
    def _normalize(raw: JSON, files: dict[str, UploadedFile]) -> JSON:
        params: JSON = {}
        for name, value in raw.items():
            if isinstance(value, str):
                if value.startswith("attach://") and value[len("attach://") :] in files:
                    value = files.pop(value[len("attach://") :])
                elif name in _NESTED_FIELDS:
                    try:
                        value = json.loads(value)
                    except ValueError:
                        if name == "reply_markup":
                            raise _bad("can't parse reply keyboard markup JSON object") from None
                        raise _bad(f"can't parse {name} JSON object") from None
                elif name in _INT_FIELDS:
                    try:
                        value = int(value)
                    except ValueError:
                        raise _bad(f"invalid {name} specified") from None
                elif name in _FLOAT_FIELDS:
                    try:
                        value = float(value)
                    except ValueError:
                        raise _bad(f"invalid {name} specified") from None
                elif name in _BOOL_FIELDS:
                    value = value.strip().lower() in ("true", "1")
            params[name] = value
        params.update(files)
        return params

    # ---------------------------------------------------------------- shared helpers

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Town Hall",
            "username": self.bot_username,
        }

    def _file_ids(self) -> JSON:
        self._file_seq += 1
        return {
            "file_id": f"BQACAgIAAxkBAAI{self._file_seq:08X}fakefileid",
            "file_unique_id": f"AgAD{self._file_seq:08X}",
        }

    def _next_message_id(self, chat_id: int) -> int:
        # One sequence per chat, shared by the user's and the bot's messages.
        self._message_seq[chat_id] = self._message_seq.get(chat_id, 0) + 1
        return self._message_seq[chat_id]

    def _resolve_chat(self, raw: Any) -> int:
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            value = raw.strip()
            if re.fullmatch(r"-?\d+", value):
                return int(value)
            if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", value):
                name = value.lower()
                if name not in self._usernames:
                    chat_id = -1_001_000_000_000 - len(self._usernames)
                    self._usernames[name] = chat_id
                    self._chats[chat_id] = {
                        "id": chat_id,
                        "type": "channel",
                        "title": value[1:],
                        "username": value[1:],
                    }
                return self._usernames[name]
        raise _bad("chat not found")

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            chat: JSON = {
                "id": chat_id,
                "type": "private",
                "first_name": user.get("first_name", "Test"),
            }
            if "username" in user:
                chat["username"] = user["username"]
            return chat
        if chat_id <= -1_000_000_000_000:
            return {"id": chat_id, "type": "supergroup", "title": "Test Supergroup"}
        return {"id": chat_id, "type": "group", "title": "Test Group"}

    def _render(
        self, text: Any, parse_mode: Any, *, limit: int, caption: bool
    ) -> tuple[str, list[JSON]]:
        """Validate text/caption like Telegram; return visible text and entities."""
        if text is None:
            text = ""
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise _bad("message text is empty" if not caption else "can't parse caption")
        mode = (parse_mode or "").strip().lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            visible, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
        elif mode in ("markdownv2", "markdown"):
            visible, entities = _markdown_visible(text), []
        elif mode == "":
            visible, entities = text, []
        else:
            raise _bad("unsupported parse_mode")
        visible, entities = _strip_entities(visible, entities)
        if not visible and not caption:
            raise _bad("message text is empty")
        if utf16_len(visible) > limit:
            raise _bad("message caption is too long" if caption else "message is too long")
        return visible, entities

    @staticmethod
    def _check_markup(markup: Any) -> JSON | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardMarkup must be an "
                    "Array of Arrays"
                )
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict):
                    raise _bad(
                        "can't parse inline keyboard button: InlineKeyboardButton must be "
                        "an Object"
                    )
                if not isinstance(button.get("text"), str):
                    raise _bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                actions = [a for a in _BUTTON_ACTIONS if a in button]
                if not actions:
                    raise _bad("text buttons are unallowed in the inline keyboard")
                if len(actions) > 1:
                    raise _bad(
                        "can't parse inline keyboard button: exactly one of the optional "
                        f"fields must be used, got {', '.join(actions)}"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode()) if isinstance(data, str) else 0
                    if not 1 <= size <= CALLBACK_DATA_LIMIT:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if (
                        not isinstance(url, str)
                        or not re.fullmatch(r"\S+", url)
                        or ("://" in url and not re.match(r"(https?|tg)://", url, re.IGNORECASE))
                    ):
                        raise _bad("BUTTON_URL_INVALID")
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for button in (b for row in rows for b in row):
                text = (
                    button
                    if isinstance(button, str)
                    else (button.get("text") if isinstance(button, dict) else None)
                )
                if not isinstance(text, str) or not text:
                    raise _bad("keyboard button text is empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _check_recipient(self, chat_id: int) -> None:
        if chat_id in self.blocked_users:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _reply_target(self, chat_id: int, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        key = (chat_id, int(message_id))
        sent = self._bot_messages.get(key)
        target = sent.message if sent and not sent.deleted else self._user_messages.get(key)
        if target is None:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _check_rate(self, chat_id: int) -> None:
        """Telegram-like flood control: 30/s overall, 1/s per private chat, 20/min per group."""
        if not self.enforce_rate_limits:
            return
        now = time.monotonic()
        waits: list[float] = []
        while self._global_sends and self._global_sends[0] <= now - 1.0:
            self._global_sends.popleft()
        if len(self._global_sends) >= 30:
            waits.append(self._global_sends[0] + 1.0 - now)
        if chat_id > 0:
            tokens, last = self._private_buckets.get(chat_id, (3.0, now))
            tokens = min(3.0, tokens + (now - last))  # refills 1 message/s, burst of 3
            if tokens < 1.0:
                waits.append(1.0 - tokens)
        else:
            window = self._group_sends.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= 20:
                waits.append(window[0] + 60.0 - now)
        if waits:
            self.rate_limited += 1
            retry = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._global_sends.append(now)
        if chat_id > 0:
            self._private_buckets[chat_id] = (tokens - 1.0, now)
        else:
            self._group_sends[chat_id].append(now)

    def _deliver(
        self,
        call: Call,
        chat_id: int,
        content: JSON,
        *,
        raw_text: str | None,
        markup: JSON | None,
        reply_to: JSON | None,
        document: tuple[str, bytes] | None = None,
    ) -> JSON:
        message: JSON = {
            "message_id": self._next_message_id(chat_id),
            "from": self.bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # only inline keyboards are part of a Message
        sent = SentMessage(
            chat_id=chat_id,
            message_id=message["message_id"],
            text=raw_text,
            parse_mode=call.params.get("parse_mode"),
            reply_markup=markup,
            method=call.method,
            params=call.params,
            at=time.monotonic(),
            document=document,
            message=message,
        )
        self.sent.append(sent)
        self._bot_messages[(chat_id, sent.message_id)] = sent
        return message

    def _find_own_message(self, params: JSON, action: str) -> SentMessage:
        chat_id = self._resolve_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        sent = self._bot_messages.get((chat_id, int(message_id)))
        if sent is None or sent.deleted:
            if (chat_id, int(message_id)) in self._user_messages and action == "edit":
                raise _bad("message can't be edited")
            raise _bad(f"message to {action} not found")
        return sent

    # ---------------------------------------------------------------- method handlers

    async def _get_me(self, call: Call, p: JSON) -> JSON:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, call: Call, p: JSON) -> list[JSON]:
        token = call.token
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        generation = self._poll_generation.get(token, 0) + 1
        self._poll_generation[token] = generation
        self._wake()  # an older waiting poll sees it was superseded and answers 409

        offset = p.get("offset")
        if isinstance(offset, int) and offset != 0:
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]  # keep only the last -offset updates
        limit = p.get("limit")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = p.get("timeout") or 0.0
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            # Remembered per bot, like Telegram; [] means "all except the opt-in types".
            self._allowed_updates[token] = frozenset(allowed) if allowed else None
        wanted = self._allowed_updates.get(token)

        def matches(update: JSON) -> bool:
            kinds = [k for k in update if k != "update_id"]
            if wanted is None:
                return not any(k in _OPT_IN_UPDATES for k in kinds)
            return any(k in wanted for k in kinds)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(timeout)
        self._active_polls += 1
        try:
            while True:
                if self._poll_generation.get(token) != generation:
                    raise ApiError(409, _CONFLICT_POLL)
                batch = [u for u in self._updates if matches(u)][:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing.is_set():
                    return batch
                event = self._update_event
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            self._active_polls -= 1

    async def _set_webhook(self, call: Call, p: JSON) -> bool:
        url = p.get("url") or ""
        if url and not str(url).lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = str(url)
        return True

    async def _delete_webhook(self, call: Call, p: JSON) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        return True

    async def _get_webhook_info(self, call: Call, p: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, dict) or scope.get("type", "default") == "default":
            return "default"
        key = str(scope["type"])
        for part in ("chat_id", "user_id"):
            if part in scope:
                key += f":{scope[part]}"
        return key

    async def _set_my_commands(self, call: Call, p: JSON) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand JSON object")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(item.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(item.get("description", "")).strip()) <= 256:
                raise _bad(
                    "command description is empty"
                    if not item.get("description")
                    else "command description is too long"
                )
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        self.bot_settings["commands"][key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _delete_my_commands(self, call: Call, p: JSON) -> bool:
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        self.bot_settings["commands"].pop(key, None)
        return True

    async def _get_my_commands(self, call: Call, p: JSON) -> list[JSON]:
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        return list(self.bot_settings["commands"].get(key, []))

    def _text_setting(self, setting: str, param: str, limit: int) -> Handler:
        async def handler(call: Call, p: JSON) -> bool:
            value = str(p.get(param) or "")
            if len(value) > limit:
                raise _bad(f"bot {setting.replace('_', ' ')} is too long")
            language = p.get("language_code") or ""
            if value:
                self.bot_settings[setting][language] = value
            else:
                self.bot_settings[setting].pop(language, None)
            return True

        return handler

    def _text_getter(self, setting: str, param: str) -> Handler:
        async def handler(call: Call, p: JSON) -> JSON:
            language = p.get("language_code") or ""
            stored = self.bot_settings[setting]
            return {param: stored.get(language, stored.get("", ""))}

        return handler

    async def _set_chat_menu_button(self, call: Call, p: JSON) -> bool:
        chat = p.get("chat_id")
        chat_id = None if chat in (None, "") else self._resolve_chat(chat)
        button = p.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button JSON object")
        self.bot_settings["menu_button"][chat_id] = button
        return True

    async def _get_chat_menu_button(self, call: Call, p: JSON) -> JSON:
        chat = p.get("chat_id")
        chat_id = None if chat in (None, "") else self._resolve_chat(chat)
        buttons = self.bot_settings["menu_button"]
        return dict(buttons.get(chat_id, buttons.get(None, {"type": "commands"})))

    async def _send_message(self, call: Call, p: JSON) -> JSON:
        chat_id = self._resolve_chat(p.get("chat_id"))
        text = p.get("text")
        visible, entities = self._render(
            text, p.get("parse_mode"), limit=MESSAGE_LIMIT, caption=False
        )
        markup = self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat_id, p)
        self._check_recipient(chat_id)
        self._check_rate(chat_id)
        content: JSON = {"text": visible}
        if entities:
            content["entities"] = entities
        if isinstance(p.get("link_preview_options"), dict):
            content["link_preview_options"] = p["link_preview_options"]
        return self._deliver(
            call, chat_id, content, raw_text=str(text), markup=markup, reply_to=reply_to
        )

    async def _send_file(self, call: Call, p: JSON, field_name: str) -> JSON:
        chat_id = self._resolve_chat(p.get("chat_id"))
        media = p.get(field_name)
        if media is None or media == "":
            raise _bad(f"there is no {field_name} in the request")
        caption = p.get("caption")
        visible, entities = self._render(
            caption, p.get("parse_mode"), limit=CAPTION_LIMIT, caption=True
        )
        markup = self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat_id, p)
        document: tuple[str, bytes] | None = None
        if isinstance(media, UploadedFile):
            if not media.content:
                raise _bad("file must be non-empty")
            if len(media.content) > 50 * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            document = (media.filename, media.content)
            size = len(media.content)
            mime = media.content_type or "application/octet-stream"
            filename = media.filename
        elif isinstance(media, str):
            size, mime, filename = 0, "application/octet-stream", media.rsplit("/", 1)[-1]
        else:
            raise _bad(f"wrong type of the {field_name} field")
        self._check_recipient(chat_id)
        self._check_rate(chat_id)
        if field_name == "photo":
            content: JSON = {
                "photo": [
                    {
                        **self._file_ids(),
                        "width": 90,
                        "height": 90,
                        "file_size": max(size // 20, 1),
                    },
                    {**self._file_ids(), "width": 800, "height": 800, "file_size": max(size, 1)},
                ]
            }
        else:
            content = {
                "document": {
                    **self._file_ids(),
                    "file_name": filename,
                    "mime_type": mime,
                    "file_size": size,
                }
            }
        if visible:
            content["caption"] = visible
            if entities:
                content["caption_entities"] = entities
        return self._deliver(
            call,
            chat_id,
            content,
            raw_text=None if caption is None else str(caption),
            markup=markup,
            reply_to=reply_to,
            document=document,
        )

    async def _send_document(self, call: Call, p: JSON) -> JSON:
        return await self._send_file(call, p, "document")

    async def _send_photo(self, call: Call, p: JSON) -> JSON:
        return await self._send_file(call, p, "photo")

    async def _edit_message_text(self, call: Call, p: JSON) -> JSON | bool:
        text = p.get("text")
        visible, entities = self._render(
            text, p.get("parse_mode"), limit=MESSAGE_LIMIT, caption=False
        )
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True  # inline messages are not tracked; Telegram answers True for them
        sent = self._find_own_message(p, "edit")
        if "text" not in sent.message:
            raise _bad("there is no text in the message to edit")
        return self._apply_edit(sent, "text", visible, entities, markup, str(text))

    async def _edit_message_caption(self, call: Call, p: JSON) -> JSON | bool:
        caption = p.get("caption")
        visible, entities = self._render(
            caption, p.get("parse_mode"), limit=CAPTION_LIMIT, caption=True
        )
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        sent = self._find_own_message(p, "edit")
        if "text" in sent.message:
            raise _bad("there is no caption in the message to edit")
        return self._apply_edit(
            sent, "caption", visible, entities, markup, "" if caption is None else str(caption)
        )

    def _apply_edit(
        self,
        sent: SentMessage,
        key: str,
        visible: str,
        entities: list[JSON],
        markup: JSON | None,
        raw: str,
    ) -> JSON:
        entity_key = "entities" if key == "text" else "caption_entities"
        message = sent.message
        # Omitting reply_markup in an edit removes the inline keyboard, as in Telegram.
        if (
            message.get(key, "") == visible
            and message.get(entity_key, []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _bad(_NOT_MODIFIED)
        updated = {k: v for k, v in message.items() if k not in (key, entity_key, "reply_markup")}
        if visible:
            updated[key] = visible
        if entities:
            updated[entity_key] = entities
        if markup is not None:
            updated["reply_markup"] = markup
        updated["edit_date"] = int(time.time())
        sent.message = updated
        sent.reply_markup = markup
        sent.edits.append(raw)
        return updated

    async def _edit_message_reply_markup(self, call: Call, p: JSON) -> JSON | bool:
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        sent = self._find_own_message(p, "edit")
        if sent.message.get("reply_markup") == markup:
            raise _bad(_NOT_MODIFIED)
        updated = {k: v for k, v in sent.message.items() if k != "reply_markup"}
        if markup is not None:
            updated["reply_markup"] = markup
        updated["edit_date"] = int(time.time())
        sent.message = updated
        sent.reply_markup = markup
        return updated

    async def _delete_message(self, call: Call, p: JSON) -> bool:
        chat_id = self._resolve_chat(p.get("chat_id"))
        message_id = p.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        key = (chat_id, int(message_id))
        sent = self._bot_messages.get(key)
        if sent is not None and not sent.deleted:
            sent.deleted = True
            return True
        user_message = self._user_messages.get(key)
        if user_message is not None and not user_message.get("_deleted"):
            user_message["_deleted"] = True
            return True
        raise _bad("message to delete not found")

    async def _answer_callback_query(self, call: Call, p: JSON) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        text = p.get("text")
        if isinstance(text, str) and len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        if query_id not in self._callbacks_issued or query_id in self.callback_answers:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self.callback_answers[query_id] = dict(p)
        return True

    async def _send_chat_action(self, call: Call, p: JSON) -> bool:
        self._resolve_chat(p.get("chat_id"))
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _get_chat(self, call: Call, p: JSON) -> JSON:
        chat = self._chat(self._resolve_chat(p.get("chat_id")))
        gifts = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _get_chat_member(self, call: Call, p: JSON) -> JSON:
        self._resolve_chat(p.get("chat_id"))
        user_id = p.get("user_id")
        if not isinstance(user_id, int):
            raise _bad("invalid user_id specified")
        if user_id == self.bot_id:
            rights = dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                True,
            )
            return {
                "status": "administrator",
                "user": self.bot_user(),
                "can_be_edited": False,
                "is_anonymous": False,
                "can_promote_members": False,
                **rights,
            }
        user = self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Test"})
        return {"status": "member", "user": dict(user)}

    # ---------------------------------------------------------------- control API (standalone)

    async def _control(self, request: web.Request) -> web.Response:
        """Tiny JSON control surface so a test can drive an out-of-process fake."""
        action = request.match_info["action"]
        try:
            body: JSON = await request.json() if request.can_read_body else {}
            if action == "push_message":
                result: Any = self.push_message(**body)
            elif action == "push_edited_message":
                result = self.push_edited_message(**body)
            elif action == "push_callback":
                result = self.push_callback(**body)
            elif action == "push_raw_update":
                result = self.push_raw_update(body)
            elif action == "inject":
                self.inject(body.get("method"), *(Fault(**f) for f in body.get("faults", [])))
                result = True
            elif action == "latency":
                self.latency = float(body["latency"])
                result = True
            elif action == "sent":
                result = [
                    {
                        "chat_id": m.chat_id,
                        "message_id": m.message_id,
                        "text": m.text,
                        "current_text": m.current_text,
                        "method": m.method,
                        "reply_markup": m.reply_markup,
                        "deleted": m.deleted,
                    }
                    for m in self.sent
                ]
            elif action == "requests":
                result = [
                    {"method": c.method, "outcome": c.outcome, "at": c.at} for c in self.requests
                ]
            else:
                return self._json({"ok": False, "description": f"unknown action {action}"}, 404)
        except (KeyError, TypeError, ValueError) as exc:
            return self._json({"ok": False, "description": repr(exc)}, 400)
        return self._json({"ok": True, "result": result})


# --------------------------------------------------------------------------------------------
# Standalone mode
# --------------------------------------------------------------------------------------------


async def _serve(port: int, latency: float, control_port_file: str | None) -> None:
    fake = FakeTelegram(latency=latency)
    await fake.start(port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if control_port_file:
        # Write then rename so a reader never sees a half-written file.
        target = Path(control_port_file)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(f"{fake._port}\n")
        tmp.replace(target)
    print(fake.url, flush=True)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument(
        "--control-port-file",
        default=None,
        help="write the bound port here (control API lives at /_fake/<action>)",
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.latency, args.control_port_file))


if __name__ == "__main__":
    main()
