"""Polite refusals and answers any role may get."""

from __future__ import annotations

from bot.i18n import Gettext
from bot.render.base import Reply


def stale_button(tr: Gettext) -> str:
    return tr.gettext("This button is no longer valid.")


def unknown_command(tr: Gettext) -> Reply:
    return Reply(tr.gettext("I don't know that command. /help shows what I can do."))


def please_wait(tr: Gettext, seconds: int) -> Reply:
    """Flood control's one answer to someone over their budget (a reply, or a button's
    toast: kept under Telegram's 200 characters for those)."""
    return Reply(
        tr.ngettext(
            "You are sending a lot at once. Please wait {seconds} second before sending more.",
            "You are sending a lot at once. Please wait {seconds} seconds before sending more.",
            seconds,
        ).format(seconds=seconds)
    )


def internal_error(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext("Sorry, something went wrong on our side. Please try again in a minute.")
    )


def staff_only(tr: Gettext, organizers: bool = False) -> Reply:
    if organizers:
        return Reply(tr.gettext("Sorry, only the event's organizers can do that."))
    return Reply(tr.gettext("Sorry, only the event's moderators can do that."))


def anonymous_refused(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Anonymous admins cannot moderate: every decision is recorded with a name. "
            "Please turn off “Remain anonymous” for yourself in the group's admin settings."
        )
    )


def usage(tr: Gettext, command: str) -> Reply:
    """How to use a moderator command (the syntax itself is not translated)."""
    syntax = {
        "shortlist": "/shortlist &lt;id&gt; [&lt;id&gt; ...]",
        "approve": "/approve &lt;id&gt; [&lt;id&gt; ...]",
        "reject": "/reject &lt;id&gt; [reason]",
        "answered": "/answered &lt;id&gt;",
        "reopen": "/reopen &lt;id&gt;",
        "show": "/show &lt;id&gt;",
        "move": "/move &lt;id&gt; &lt;position&gt;",
        "queue": "/queue [pending|shortlisted|approved|answered|rejected|withdrawn|merged]"
        " [question|idea] [language] [topic] [party|party:N]",
        "unmod": "/unmod &lt;id&gt;",
        "review": "/review " + tr.gettext("(in a private chat with me)"),
        "withdraw": "/withdraw &lt;id&gt;",
        "export": "/export [csv|xlsx|json] [pending|shortlisted|approved|answered|rejected"
        "|withdrawn|merged ...] [question|idea] " + tr.gettext("(in a private chat with me)"),
        "merge": "/merge &lt;id&gt; into &lt;id&gt;",
        "live": "/live &lt;id&gt;",
        "party": "/party &lt;" + tr.gettext("place") + "&gt; " + tr.gettext("(in the group)"),
        "partylang": "/partylang &lt;"
        + tr.gettext("language code")
        + "&gt; "
        + tr.gettext("(in the group)"),
        "fixtr": "/fixtr &lt;id&gt; &lt;" + tr.gettext("corrected translation") + "&gt;",
        "answer": "/answer &lt;id&gt; &lt;" + tr.gettext("answer") + "&gt;",
        "screen": "/screen [new] " + tr.gettext("(in a private chat with me)"),
        "broadcast": "/broadcast &lt;text&gt;\nfr: &lt;texte&gt;\nes: &lt;texto&gt; ... "
        + tr.gettext("(in a private chat with me)"),
    }[command]
    return Reply(tr.gettext("Please use it like this:") + f"\n<code>{syntax}</code>")
