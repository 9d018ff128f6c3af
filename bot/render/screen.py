"""The on-air screen and the host's run order (web pages), and the /screen reply.

The pages' words come from here as plain text; the page puts every one of them, and every
question, into the document with `textContent`, never as markup (bot/web/pages.py).
"""

from __future__ import annotations

from bot.i18n import Gettext
from bot.render.base import Reply, escape

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he"})


def page_words(tr: Gettext) -> dict[str, str]:
    """The fixed words of both pages, in the page's language."""
    return {
        "now": tr.gettext("Now answering"),
        "next": tr.gettext("Up next"),
        "order": tr.gettext("Run order"),
        "participant": tr.gettext("a participant"),
        "join": tr.gettext("Send your question to the town hall on Telegram:"),
        "empty": tr.gettext("No question is approved for the show yet."),
        "translation": tr.gettext("Translation"),
    }


def from_place(tr: Gettext, place: str | None) -> str:
    """Where a question comes from: a viewing party's place, never a person."""
    if place:
        return tr.gettext("From {place}").format(place=place)
    return tr.gettext("From a participant")


def screen_links(tr: Gettext, screen_url: str, order_url: str, renewed: bool) -> Reply:
    """/screen for organizers: the on-air screen first, then the host's run order."""
    lines = [
        tr.gettext("🖥 <b>On-air screen</b> (a browser source for the stream, or the room):"),
        escape(screen_url),
        "",
        tr.gettext("📋 <b>Host's run order</b>:"),
        escape(order_url),
        "",
        tr.gettext(
            "Anyone with a link can open the page: share it only with the production team."
            " /screen new makes new links and the old ones stop working."
        ),
    ]
    if renewed:
        lines.insert(0, tr.gettext("🔑 New links made; the old ones no longer open."))
    return Reply("\n".join(lines))
