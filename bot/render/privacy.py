"""What participants are told about their data, and erasure."""

from __future__ import annotations

from bot.i18n import Gettext
from bot.render.base import Button, Reply
from bot.telegram import callbacks


def privacy(tr: Gettext) -> Reply:
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
