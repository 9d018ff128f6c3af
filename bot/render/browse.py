"""Participants browsing public questions in their own language, and voting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Gettext
from bot.render.base import Button, Reply, escape, escape_clipped, ref
from bot.telegram import callbacks
from storage.models import Submission
from storage.votes import Sort, VoteOutcome

_BROWSE_TEXT_CHARS = 400  # as HTML: a page of 5 and an original stay under the limit


@dataclass(frozen=True, slots=True)
class BrowseItem:
    """A public question as one reader sees it: `text` in their language if we could."""

    submission: Submission
    text: str
    machine: bool  # `text` is a machine translation
    voted: bool  # by this reader


def browse_page(
    tr: Gettext,
    items: Sequence[BrowseItem],
    total: int,
    offset: int,
    page_size: int,
    sort: Sort,
    original: int | None,
) -> Reply:
    """A page of public questions with a vote button each, the original one tap away."""
    if total == 0:
        return Reply(
            tr.gettext(
                "No questions are public yet. Once moderators select some, you can read "
                "them here in your language and vote for the ones that matter to you."
            )
        )
    if sort is Sort.VOTES:
        head = tr.gettext(
            "🌍 <b>Questions from everyone</b>, most voted first: {first}–{last} of {total}"
        )
    else:
        head = tr.gettext(
            "🌍 <b>Questions from everyone</b>, newest first: {first}–{last} of {total}"
        )
    lines = [head.format(first=offset + 1, last=offset + len(items), total=total)]
    rows: list[tuple[Button, ...]] = []
    for item in items:
        sub = item.submission
        text = escape_clipped(item.text, _BROWSE_TEXT_CHARS)
        entry = f"<b>{ref(sub.id)}</b> · 👍 {sub.votes}\n{text}"
        if item.machine:
            entry += "\n" + tr.gettext("<i>Automatic translation</i>")
        if original == sub.id and item.text != sub.text:
            entry += "\n" + tr.gettext("Original ({language}):").format(
                language=escape(sub.language or "?")
            )
            quoted = escape_clipped(sub.text, _BROWSE_TEXT_CHARS)
            entry += f"\n<blockquote>{quoted}</blockquote>"
        lines.append(entry)
        vote = ("✅ " if item.voted else "👍 ") + f"{ref(sub.id)} · {sub.votes}"
        # The button says what it does (vote, or take the vote back): pressed twice, once.
        press = callbacks.Upvote(sub.id, sort, offset, vote=not item.voted)
        buttons = [Button(vote, callbacks.encode(press))]
        if item.text != sub.text:
            shown = None if original == sub.id else sub.id
            buttons.append(
                Button(
                    tr.gettext("🌐 Original {ref}").format(ref=ref(sub.id)),
                    callbacks.encode(callbacks.BrowsePage(sort, offset, shown)),
                )
            )
        rows.append(tuple(buttons))
    lines.append(tr.gettext("Tap 👍 to vote for a question; tap again to take your vote back."))
    nav: list[Button] = []
    if offset > 0:
        back = callbacks.BrowsePage(sort, max(0, offset - page_size))
        nav.append(Button("◀", callbacks.encode(back)))
    other = Sort.NEWEST if sort is Sort.VOTES else Sort.VOTES
    label = tr.gettext("🆕 Newest") if other is Sort.NEWEST else tr.gettext("🔝 Most voted")
    nav.append(Button(label, callbacks.encode(callbacks.BrowsePage(other, 0))))
    if offset + page_size < total:
        nav.append(Button("▶", callbacks.encode(callbacks.BrowsePage(sort, offset + page_size))))
    rows.append(tuple(nav))
    return Reply("\n\n".join(lines), tuple(rows))


def vote_toast(tr: Gettext, submission_id: int, outcome: VoteOutcome, votes: int) -> str:
    """Plain text for the button's answer."""
    match outcome:
        case VoteOutcome.ADDED:
            return tr.ngettext(
                "👍 Your vote for {ref} counts: {count} vote.",
                "👍 Your vote for {ref} counts: {count} votes.",
                votes,
            ).format(ref=ref(submission_id), count=votes)
        case VoteOutcome.REMOVED:
            return tr.gettext("Your vote for {ref} is taken back.").format(ref=ref(submission_id))
        case VoteOutcome.OWN:
            return tr.gettext("This is your own question: you cannot vote for it.")
        case _:
            return tr.gettext("{ref} can no longer be voted for.").format(ref=ref(submission_id))
