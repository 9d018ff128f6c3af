"""What participants are told about their data, and erasure."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.i18n import Gettext
from bot.render.base import Button, Reply, babel_locale, escape
from bot.telegram import callbacks


def erasure_day(locale: str, at: datetime, zone: ZoneInfo) -> str:
    """The day texts are erased, as the reader writes dates (CLDR through Babel), in the
    event's time zone: "Sunday, March 10, 2027"."""
    return escape(format_date(at.astimezone(zone), format="full", locale=babel_locale(locale)))


def privacy(tr: Gettext, erased_on: str | None = None) -> Reply:
    """`erased_on`: the day retention erases the texts (see `erasure_day`), when it is
    configured and still to come."""
    retention = []
    if erased_on:
        retention.append(tr.gettext("Your texts will be erased on {date}.").format(date=erased_on))
    return Reply(
        "\n\n".join(
            [
                tr.gettext("<b>What we keep, and why</b>"),
                tr.gettext(
                    "The text of your questions and ideas, when you sent them, their language "
                    "and translation, and your Telegram account ID and app language: only to "
                    "run the Town Hall and to tell you what happens to what you sent."
                ),
                tr.gettext(
                    "The event's moderators and organizers read your texts; they never see "
                    "your name or phone number, and exports show a pseudonym instead of you."
                ),
                *retention,
                tr.gettext("/forget erases your texts and your Telegram ID from our records."),
            ]
        )
    )


def forget_prompt(tr: Gettext, count: int) -> Reply:
    text = tr.ngettext(
        "This erases the text of your {count} submission and your Telegram ID from our "
        "records, for good.",
        "This erases the texts of your {count} submissions and your Telegram ID from our "
        "records, for good.",
        count,
    ).format(count=count)
    note = tr.gettext("Messages already in this chat stay in it; you can delete them yourself.")
    button = Button(
        tr.gettext("🗑 Yes, erase my data"), callbacks.encode(callbacks.ConfirmForget())
    )
    return Reply(f"{text}\n{note}", ((button,),))


def forgotten(tr: Gettext) -> Reply:
    return Reply(tr.gettext("✅ Done: your data has been erased. Thank you for taking part."))


def erased_copy(tr: Gettext) -> Reply:
    """What a message that showed a question shows once its asker asked to be forgotten."""
    return Reply(tr.gettext("<i>erased at the participant's request</i>"))
