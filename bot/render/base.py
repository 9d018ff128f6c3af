"""What every message is made of: the Reply, escaping, reference numbers, clipping.

Messages use HTML parse mode; anything a participant wrote goes through `escape()` before it
is placed in a message, because Telegram rejects a whole message over one stray `<` or `&`.
Catalog strings are trusted HTML (the catalog test checks their tags). Placeholders are
filled with str.format after translation, never inside _().
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from bot.i18n import Gettext
from storage.models import Kind, OutboxMessage, Status, Submission

PARSE_MODE = "HTML"


SNIPPET_CHARS = 60


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendered message: HTML text and optional inline buttons (rows of buttons)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def markup(self) -> dict[str, Any] | None:
        if not self.buttons:
            return None
        return {
            "inline_keyboard": [
                [{"text": b.text, "callback_data": b.callback_data} for b in row]
                for row in self.buttons
            ]
        }

    def send(
        self, chat_id: int, dedup_key: str | None, reply_to: int | None = None
    ) -> OutboxMessage:
        """As an outbox sendMessage."""
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "text": self.text,
            "parse_mode": PARSE_MODE,
        }
        if reply_to is not None:
            # Quoting the participant's own message ties the answer to it; if they deleted it
            # meanwhile the answer still goes out.
            params["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        if (markup := self.markup()) is not None:
            params["reply_markup"] = markup
        return OutboxMessage(chat_id, "send_message", params, dedup_key)

    def edit(self, chat_id: int, message_id: int, dedup_key: str | None) -> OutboxMessage:
        """As an outbox editMessageText of a message the bot sent."""
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": self.text,
            "parse_mode": PARSE_MODE,
        }
        # Without reply_markup Telegram removes the message's buttons, which is what we want
        # when the new text has none.
        if (markup := self.markup()) is not None:
            params["reply_markup"] = markup
        return OutboxMessage(chat_id, "edit_message_text", params, dedup_key)


def escape(text: str) -> str:
    """Participant text made safe for HTML parse mode."""
    return html.escape(text, quote=False)


def plain(html_text: str, limit: int = 200) -> str:
    """HTML made plain, for a button's answer (Telegram shows it as is; 200 characters max)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ref(submission_id: int) -> str:
    """The reference number as people quote it."""
    return f"#{submission_id}"


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A one-line, escaped preview of participant text."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def minutes(tr: Gettext, count: int) -> str:
    """A duration such as "10 minutes", with the plural form the count needs."""
    return tr.ngettext("{count} minute", "{count} minutes", count).format(count=count)


def kind_label(tr: Gettext, kind: Kind) -> str:
    labels = {Kind.QUESTION: tr.gettext("Question"), Kind.IDEA: tr.gettext("Idea")}
    return labels[kind]


def status_label(tr: Gettext, status: Status) -> str:
    labels = {
        Status.PENDING: tr.gettext("waiting for review"),
        Status.SHORTLISTED: tr.gettext("shortlisted"),
        Status.APPROVED: tr.gettext("selected for the live show"),
        Status.ANSWERED: tr.gettext("answered"),
        Status.REJECTED: tr.gettext("not selected"),
        Status.WITHDRAWN: tr.gettext("withdrawn"),
        Status.MERGED: tr.gettext("merged with a similar question"),
    }
    return labels[status]


def babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def moment(locale: str, at: datetime, zone: ZoneInfo) -> str:
    """A date and time as the reader writes them (CLDR through Babel), in `zone`:
    "Thursday, 10 December 2026, 15:00 (Africa/Nairobi)"."""
    where = babel_locale(locale)
    local = at.astimezone(zone)
    day = format_date(local, format="full", locale=where)
    clock = format_time(local, format="short", locale=where)
    return escape(f"{day}, {clock} ({zone.key})")


def preview(sub: Submission) -> str:
    """One line for lists: in the working language when translated (moderators read it)."""
    return snippet(sub.translation or sub.text)


def clip_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Lists inside one message stay well under Telegram's 4,096 characters: the rest is counted.
LIST_LINES = 30


def more(hidden: int) -> str:
    return f"\n… +{hidden}" if hidden > 0 else ""
