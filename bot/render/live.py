"""The live show: on air, the board, when the show is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from babel.lists import format_list

from bot.i18n import Gettext
from bot.render.base import (
    Reply,
    babel_locale,
    escape,
    escape_clipped,
    moment,
    preview,
    ref,
    snippet,
    status_label,
)
from storage.models import Submission

_LINK_CHARS = 1000


def now_answering(tr: Gettext, submission_id: int, asked: bool, stream_url: str | None) -> Reply:
    """To the asker (or the viewing party that asked), and to everyone who voted for it."""
    if asked:
        text = tr.gettext("🔴 Your question {ref} is being answered now!")
    else:
        text = tr.gettext("🔴 A question you supported, {ref}, is being answered now!")
    lines = [text.format(ref=ref(submission_id))]
    if stream_url:
        lines.append(tr.gettext("Watch it live: {link}").format(link=_link(stream_url)))
    return Reply("\n".join(lines))


def live_board(tr: Gettext, live: Submission | None, upcoming: Sequence[Submission]) -> Reply:
    """What the moderators' group sees: on air now, and the next two in the run order."""
    if live is not None:
        on_air = tr.gettext("🔴 <b>On air</b>: {ref}").format(ref=ref(live.id))
        lines = [on_air + _board_detail(live)]
    else:
        lines = [tr.gettext("⚪ No question is on air.")]
    if upcoming:
        lines.append(tr.gettext("<b>Next</b>:"))
        lines += [
            f"{index}. {ref(sub.id)}{_board_detail(sub)}"
            for index, sub in enumerate(upcoming, start=1)
        ]
    else:
        lines.append(tr.gettext("No other question is approved yet."))
    return Reply("\n".join(lines))


def live_told(tr: Gettext, count: int) -> Reply:
    return Reply(
        tr.ngettext(
            "📣 {count} chat is being told, each in its language.",
            "📣 {count} chats are being told, each in their language.",
            count,
        ).format(count=count)
    )


def _link(url: str) -> str:
    # The event file does not bound the stream link; a real one is far shorter than this.
    return escape_clipped(url, _LINK_CHARS)


def _board_detail(sub: Submission) -> str:
    where = f" · 🏛 {snippet(sub.party_place, 120)}" if sub.party_place else ""
    return f" · {sub.language or '?'}{where} · {preview(sub)}"


def live_refused(tr: Gettext, outcome: str, sub: Submission | None) -> Reply:
    """Why nothing went on air: `outcome` is a storage.live.LiveOutcome value."""
    if outcome == "moved_on":
        text = tr.gettext("Another moderator changed what is on air just now; /live shows it.")
    elif outcome == "already" and sub is not None:
        text = tr.gettext("{ref} is already on air.").format(ref=ref(sub.id))
    elif outcome == "not_a_question" and sub is not None:
        text = tr.gettext("{ref} is an idea: only questions go on air.").format(ref=ref(sub.id))
    elif outcome == "wrong_status" and sub is not None:
        text = tr.gettext("{ref} is {status}: it cannot go on air.").format(
            ref=ref(sub.id), status=status_label(tr, sub.status)
        )
    elif outcome == "nothing_next":
        text = tr.gettext("No approved question is left in the run order.")
    else:
        text = tr.gettext("That question cannot go on air.")
    return Reply(text)


def show_time(
    tr: Gettext,
    locale: str,
    title: str | None,
    starts_at: datetime,
    zone: ZoneInfo,
    now: datetime,
    stream_url: str | None,
) -> Reply:
    """/when: the live show's date and time for the reader, in the event's zone and in UTC,
    with a countdown and the stream link."""
    head = f"📅 <b>{escape(title)}</b>" if title else tr.gettext("📅 <b>The live town hall</b>")
    lines = [head, moment(locale, starts_at, zone)]
    if zone.key != "UTC":
        lines.append(moment(locale, starts_at, ZoneInfo("UTC")))
    if starts_at > now:
        left = escape(countdown(locale, starts_at - now))
        lines.append(tr.gettext("⏳ It starts in {countdown}.").format(countdown=left))
    else:
        since = escape(countdown(locale, now - starts_at))
        lines.append(tr.gettext("🔴 It started {countdown} ago.").format(countdown=since))
    if stream_url:
        lines.append(tr.gettext("Watch it live: {link}").format(link=_link(stream_url)))
    return Reply("\n".join(lines))


def no_show_time(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "The date of the live town hall has not been announced yet. Please check again soon."
        )
    )


_NEVER_ROUND_UP = 10**9


def countdown(locale: str, left: timedelta) -> str:
    """ "6 days and 3 hours", "2 hours and 5 minutes", "4 minutes": two units at most, in the
    reader's language (CLDR units and list pattern, through Babel)."""
    where = babel_locale(locale)
    minutes_left = max(0, int(left.total_seconds() // 60))
    days, rest = divmod(minutes_left, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units: list[tuple[int, Literal["day", "hour", "minute"]]]
    if days:
        units = [(days, "day"), (hours, "hour")]
    elif hours:
        units = [(hours, "hour"), (minutes, "minute")]
    else:
        units = [(minutes, "minute")]
    # Babel moves up a unit once the value reaches `threshold` of it ("10 days" would read
    # "1 week"): a threshold no value reaches keeps the unit we chose.
    shown = [
        format_timedelta(
            timedelta(**{f"{unit}s": value}),
            granularity=unit,
            threshold=_NEVER_ROUND_UP,
            locale=where,
        )
        for value, unit in units
        if value or len(units) == 1
    ]
    return format_list(shown, locale=where)
