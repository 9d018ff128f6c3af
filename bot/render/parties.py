"""Viewing parties: a group asking together from one place."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Gettext
from bot.render.base import TEXT_LIMIT, Reply, escape, fit, size, snippet


def party_registered(tr: Gettext, place: str, party_id: int, new: bool, language: str) -> Reply:
    if new:
        text = tr.gettext(
            "🏛 This group is now a viewing party: {place} (party:{number}). Members can send "
            "a question for the live show with /ask followed by the question. I will answer "
            "here in {language}; an organizer can change that with /partylang."
        )
    else:
        text = tr.gettext("🏛 The viewing party's place is now {place} (party:{number}).")
    return Reply(text.format(place=escape(place), number=party_id, language=escape(language)))


def party_language_set(tr: Gettext, language: str) -> Reply:
    return Reply(
        tr.gettext("From now on I will write in this group in {language}.").format(
            language=escape(language)
        )
    )


def not_a_party(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "This group is not a registered viewing party, so I cannot take questions here. "
            "Please send your question to me in a private chat, or ask an organizer to "
            "register the group with /party."
        )
    )


def ask_as_yourself(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Please send /ask from your own account, not anonymously or as a channel: each "
            "question needs a person behind it. Your name is never stored or shown."
        )
    )


def party_only_in_groups(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Send /party followed by the place (for example: /party US Embassy Nairobi) in "
            "the viewing party's group, with me added to it."
        )
    )


def party_list(tr: Gettext, parties: Sequence[tuple[int, str, str, int]]) -> Reply:
    """(number, place, locale, how many submissions) per party."""
    if not parties:
        return Reply(tr.gettext("No viewing party is registered yet."))
    head = tr.gettext("<b>Viewing parties</b>")
    lines = [
        f"party:{number} · {snippet(place, 120)} · {snippet(locale, 20)} · {count}"
        for number, place, locale, count in parties
    ]
    return Reply("\n".join([head, *fit(tr, lines, TEXT_LIMIT - size(head) - 1)]))
