"""Announcements to every participant: preview, the message itself, progress."""

from __future__ import annotations

from bot.i18n import Gettext
from bot.render.base import (
    TEXT_LIMIT,
    Button,
    Reply,
    escape,
    escape_clipped,
    in_pieces,
    size,
    snippet,
)
from bot.telegram import callbacks
from storage.broadcasts import Broadcast, Progress


def broadcast_preview(tr: Gettext, broadcast: Broadcast, recipients: int) -> Reply:
    """The organizer's text as participants in the working language will see it, who gets it,
    and the buttons that send or cancel it."""
    head = tr.gettext("<b>Preview of your announcement</b>")
    reach = tr.ngettext(
        "It will go to {count} participant, each in their language (machine-translated "
        "from yours where you gave no text).",
        "It will go to {count} participants, each in their language (machine-translated "
        "from yours where you gave no text).",
        recipients,
    ).format(count=recipients)
    after = [reach]
    if broadcast.own_texts:
        after.append(
            tr.gettext("Your own texts for: {languages}").format(
                languages=escape(", ".join(sorted(broadcast.own_texts)))
            )
        )
    # The text as far as it fits here: it goes out whole, in several messages if it must.
    room = TEXT_LIMIT - size("\n\n".join([head, "<blockquote></blockquote>", *after]))
    quoted = f"<blockquote>{escape_clipped(broadcast.text, room)}</blockquote>"
    lines = [head, quoted, *after]
    send = Button(
        tr.ngettext("📢 Send to {count}", "📢 Send to {count}", recipients).format(
            count=recipients
        ),
        callbacks.encode(callbacks.ConfirmBroadcast(broadcast.id, True)),
    )
    cancel = Button(
        tr.gettext("Cancel"), callbacks.encode(callbacks.ConfirmBroadcast(broadcast.id, False))
    )
    return Reply("\n\n".join(lines), ((send, cancel),))


def broadcast_too_long(tr: Gettext, limit: int) -> Reply:
    return Reply(
        tr.gettext("An announcement can be up to {limit} characters long.").format(limit=limit)
    )


def broadcast_already(tr: Gettext) -> str:
    """Toast (plain text): the preview was already sent or cancelled."""
    return tr.gettext("This announcement was already sent or cancelled.")


def broadcast_cancelled(tr: Gettext) -> Reply:
    return Reply(tr.gettext("Announcement cancelled: nothing was sent."))


def broadcast_started(tr: Gettext, recipients: int) -> str:
    """Toast (plain text)."""
    return tr.ngettext(
        "Sending to {count} participant…", "Sending to {count} participants…", recipients
    ).format(count=recipients)


def broadcast_messages(tr: Gettext, text: str, machine: bool, title: str | None) -> list[Reply]:
    """What a participant receives: the announcement under its heading, marked as
    machine-translated if so; a text too long for one message goes out whole, in several,
    cut between paragraphs or sentences (the heading on the first, the mark on the last)."""
    name = escape(title) if title else tr.gettext("Global Town Hall")
    heading = f"📢 <b>{name}</b>\n\n"
    note = "\n\n" + tr.gettext("<i>Automatic translation</i>") if machine else ""
    return [Reply(text) for text in in_pieces(heading, text, note)]


def broadcast_progress(
    tr: Gettext, broadcast: Broadcast, progress: Progress, finished: bool
) -> Reply:
    """The preview turned into the progress, then the result."""
    if finished:
        head = tr.gettext("✅ <b>Announcement sent</b>")
    else:
        head = tr.gettext("📤 <b>Sending the announcement…</b>")
    lines = [
        head,
        f"<blockquote>{snippet(broadcast.text, 200)}</blockquote>",
        tr.gettext("Delivered: {done} of {total}").format(
            done=progress.delivered, total=progress.recipients
        ),
    ]
    if progress.unreachable:
        lines.append(
            tr.ngettext(
                "{count} participant has blocked the bot: skipped from now on.",
                "{count} participants have blocked the bot: skipped from now on.",
                progress.unreachable,
            ).format(count=progress.unreachable)
        )
    if progress.failed:
        lines.append(
            tr.ngettext(
                "{count} participant did not get it: Telegram refused the message.",
                "{count} participants did not get it: Telegram refused the message.",
                progress.failed,
            ).format(count=progress.failed)
        )
    if progress.unconfirmed:
        lines.append(
            tr.ngettext(
                "{count} message was being sent when the bot restarted: not sent again, "
                "so that no one gets it twice.",
                "{count} messages were being sent when the bot restarted: not sent again, "
                "so that no one gets it twice.",
                progress.unconfirmed,
            ).format(count=progress.unconfirmed)
        )
    return Reply("\n".join(lines))
