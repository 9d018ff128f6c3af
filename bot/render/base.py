"""What every message is made of: the Reply, escaping, reference numbers, clipping.

Messages use HTML parse mode; anything a participant wrote goes through `escape()` before it
is placed in a message, because Telegram rejects a whole message over one stray `<` or `&`.
Catalog strings are trusted HTML (the catalog test checks their tags). Placeholders are
filled with str.format after translation, never inside _().
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
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
    """A one-line, escaped preview of participant text, at most `limit` long as HTML."""
    return escape_clipped(" ".join(text.split()), limit)


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


# ---- Telegram's limit: every text at most 4,096 long --------------------------------------
#
# Telegram refuses (and so loses) a message whose text is longer than 4,096 characters after
# its HTML is parsed. Every text is measured here on the HTML itself, which is never shorter
# than what Telegram shows ("&amp;" is one character on screen, five here), and in UTF-16 code
# units, never fewer than characters (an emoji is two): a text within budget by `size` is
# within Telegram's limit however Telegram counts.

TEXT_LIMIT = 4096
NAME_CHARS = 200  # a person's name as HTML (Telegram allows 64 + 64 characters)
REASON_CHARS = 500  # a reason for not selecting a submission, as the moderator may write it


def size(text: str) -> int:
    """How long `text` is for Telegram's limit, counted the safe way (see above)."""
    return len(text.encode("utf-16-le")) // 2


def escape_clipped(text: str, limit: int) -> str:
    """`text` escaped for HTML, clipped with "…" so that the HTML is at most `limit` long
    (by `size`); an entity such as "&amp;" is never cut."""
    escaped = escape(text)
    if size(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        used += size(piece)
        if used > limit - 1:
            break
        pieces.append(piece)
    return "".join(pieces).rstrip() + "…"


def and_more(tr: Gettext, hidden: int) -> str:
    """ "… and 12 more": the items of a list that did not fit in the message."""
    return tr.ngettext("… and {count} more", "… and {count} more", hidden).format(count=hidden)


def fit(
    tr: Gettext, items: Sequence[str], budget: int, sep: str = "\n", latest: bool = False
) -> list[str]:
    """As many of `items`, in order, as fit in `budget` once joined with `sep`; the others are
    counted in an "… and N more" item (last; first with `latest`, which keeps the last items
    rather than the first)."""
    if size(sep.join(items)) <= budget:
        return list(items)
    room = budget - size(sep + and_more(tr, len(items)))
    chosen: list[str] = []
    for item in reversed(items) if latest else items:
        cost = size(item) + (size(sep) if chosen else 0)
        if cost > room:
            break
        chosen.append(item)
        room -= cost
    more = and_more(tr, len(items) - len(chosen))
    return [more, *reversed(chosen)] if latest else [*chosen, more]


# Where a long text is best cut, best first: between paragraphs, lines, sentences, words.
_BREAKS = (
    re.compile(r"\n[^\S\n]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?…؟।۔။።][\"'»”’)\]]*\s+|[。！？][」』”’）)]*\s*"),
    re.compile(r"\s+"),
)


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces whose HTML (escaped) is at most `limit` long, in order; joined, the
    pieces are `text` again, to the character. Each piece is as long as it can be and ends
    where a paragraph ends if one does in its second half, else a line, a sentence, a word,
    in that order; a piece with no such place anywhere is cut where the limit falls."""
    weights = [size(escape(char)) for char in text]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end, used = start, 0
        while end < len(text) and used + weights[end] <= limit:
            used += weights[end]
            end += 1
        if end == len(text):
            pieces.append(text[start:])
            break
        cut = _best_cut(text, start, max(end, start + 1))
        pieces.append(text[start:cut])
        start = cut
    return pieces


def in_pieces(heading: str, text: str, note: str) -> list[str]:
    """`heading` (HTML), `text` (plain, escaped here) and `note` (HTML) as one message, or as
    several when they do not fit in one: `text` cut into pieces (see `split_text`), the
    heading before the first, the note after the last."""
    pieces = split_text(text, TEXT_LIMIT - size(heading) - size(note)) or [""]
    last = len(pieces) - 1
    return [
        (heading if i == 0 else "") + escape(piece) + (note if i == last else "")
        for i, piece in enumerate(pieces)
    ]


def _best_cut(text: str, start: int, end: int) -> int:
    """Where to end the piece that may run from `start` up to `end` (excluded)."""
    window = text[start:end]
    for least in (len(window) // 2, 1):
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window) if m.end() >= least]
            if ends:
                return start + ends[-1]
    return end
