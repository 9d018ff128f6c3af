"""Moderators' texts: posts and review cards, the queue, /show, the run order, the team."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.domain import RULES, Action
from bot.i18n import Gettext
from bot.render.base import (
    NAME_CHARS,
    TEXT_LIMIT,
    Button,
    Reply,
    escape,
    escape_clipped,
    fit,
    kind_label,
    minutes,
    preview,
    ref,
    size,
    snippet,
    status_label,
)
from bot.telegram import callbacks
from storage.models import Status, Submission

_POST_TEXT_CHARS = 1500  # original and translation each, at most, as HTML
_PLACE_CHARS = 120  # a viewing party's place as HTML (80 characters are allowed)
_SHOW_RESERVE = 800  # what /show keeps for its own lines below the post: merges, history


def _decision_line(tr: Gettext, sub: Submission) -> str:
    who = escape_clipped(sub.decided_by or "?", NAME_CHARS)
    lines = {
        Status.SHORTLISTED: tr.gettext("⭐ Shortlisted by {name}"),
        Status.APPROVED: tr.gettext("✅ Approved by {name}"),
        Status.ANSWERED: tr.gettext("🎤 Answered (marked by {name})"),
        Status.REJECTED: tr.gettext("❌ Not selected by {name}"),
        Status.WITHDRAWN: tr.gettext("↩️ Withdrawn by the participant"),
        Status.MERGED: tr.gettext("🔗 Merged into {target} by {name}"),
    }
    if sub.status not in lines:
        return ""
    target = ref(sub.merged_into) if sub.merged_into else "?"
    line = lines[sub.status].format(name=who, target=target)
    if sub.status is Status.REJECTED and sub.reason:
        line += ": " + escape_clipped(sub.reason, 300)
    return line


def _language_line(tr: Gettext, sub: Submission) -> str:
    if sub.language is None:
        return tr.gettext("language not detected yet")
    if sub.language == "und":
        return tr.gettext("no language")
    confidence = round(100 * (sub.language_confidence or 0))
    return f"{sub.language} {confidence}%"


def _tags(sub: Submission, with_party_id: bool) -> str:
    """Topic, votes and viewing party, as posts and queue lines show them after the id."""
    tags = ""
    if sub.topic:
        tags += f" · 🏷 {escape_clipped(sub.topic, 40)}"
    if sub.votes:
        tags += f" · 👍 {sub.votes}"
    if sub.party_place:
        tags += f" · 🏛 {snippet(sub.party_place, _PLACE_CHARS)}"
        if with_party_id:
            tags += f" (party:{sub.party_id})"
    return tags


def post_body(
    tr: Gettext, sub: Submission, age_minutes: int | None = None, budget: int = TEXT_LIMIT
) -> str:
    """What moderators see of a submission: original always, translation when there is one;
    at most `budget` long (the texts are clipped to what the rest leaves them)."""
    head = f"<b>{ref(sub.id)}</b> · {kind_label(tr, sub.kind)} · {_language_line(tr, sub)}"
    head += _tags(sub, with_party_id=True)
    if age_minutes is not None:
        head += " · " + minutes(tr, age_minutes)
    after = []
    if sub.translation and sub.translation_reviewed_by:
        corrected = tr.gettext("translation corrected by {name}").format(
            name=escape_clipped(sub.translation_reviewed_by, NAME_CHARS)
        )
        after.append("✍️ " + corrected)
    elif not sub.translation and sub.translation_status.value == "pending":
        after.append("🌐 " + tr.gettext("<i>translation pending</i>"))
    if sub.similar_to and sub.status is not Status.MERGED:
        after.append(similar_line(tr, sub.similar_to))
    if decision := _decision_line(tr, sub):
        after.append(decision)
    # The participant's words and their translation get what the rest leaves of the budget.
    quote = "" if sub.text else tr.gettext("<i>erased at the participant's request</i>")
    translated = ["🌐 "] if sub.translation else []
    fixed = [head, f"<blockquote>{quote}</blockquote>", *translated, *after]
    shown = _shared([t for t in (sub.text, sub.translation) if t], budget - size("\n".join(fixed)))
    if sub.text:
        quote = shown.pop(0)
    if sub.translation:
        translated = ["🌐 " + shown.pop(0)]
    return "\n".join([head, f"<blockquote>{quote}</blockquote>", *translated, *after])


def _shared(texts: Sequence[str], room: int) -> list[str]:
    """The texts escaped, each clipped to _POST_TEXT_CHARS and all within `room` together: a
    short one leaves what it does not use to the others."""
    shown = [""] * len(texts)
    left = room
    by_length = sorted(range(len(texts)), key=lambda i: size(escape(texts[i])))
    for done, index in enumerate(by_length):
        share = min(_POST_TEXT_CHARS, left // (len(texts) - done))
        shown[index] = escape_clipped(texts[index], max(share, 1))
        left -= size(shown[index])
    return shown


def _moderation_buttons(
    tr: Gettext, sub: Submission, card: bool
) -> tuple[tuple[Button, ...], ...]:
    labels = {
        Action.SHORTLIST: tr.gettext("⭐ Shortlist"),
        Action.APPROVE: tr.gettext("✅ Approve"),
        Action.REJECT: tr.gettext("❌ Reject"),
        Action.ANSWERED: tr.gettext("🎤 Answered"),
        Action.DEMOTE: tr.gettext("⬇️ Back to shortlist"),
    }
    actions = [a for a in labels if sub.status in RULES[a].sources]
    row = tuple(
        Button(labels[a], callbacks.encode(callbacks.Moderate(a, sub.id, card))) for a in actions
    )
    rows: list[tuple[Button, ...]] = [row] if row else []
    if card:
        rows.append((Button(tr.gettext("⏭ Skip"), callbacks.encode(callbacks.SkipCard(sub.id))),))
    return tuple(rows)


def moderator_post(tr: Gettext, sub: Submission) -> Reply:
    """The submission's post in the moderators' group, with the buttons its status allows."""
    return Reply(post_body(tr, sub), _moderation_buttons(tr, sub, card=False))


def review_card(tr: Gettext, sub: Submission, age_minutes: int) -> Reply:
    title = tr.gettext("<b>Review</b>")
    body = post_body(tr, sub, age_minutes, TEXT_LIMIT - size(title) - 1)
    return Reply(f"{title}\n{body}", _moderation_buttons(tr, sub, True))


def review_done(tr: Gettext) -> Reply:
    return Reply(tr.gettext("🎉 Nothing left to review. /queue shows the other lists."))


def digest(tr: Gettext, ids: Sequence[int], languages: dict[str, int], since: str) -> Reply:
    head = tr.ngettext(
        "📥 <b>{count} new submission</b> since {time}, too many to post one by one:",
        "📥 <b>{count} new submissions</b> since {time}, too many to post one by one:",
        len(ids),
    ).format(count=len(ids), time=escape(since))
    shown = " ".join(ref(i) for i in ids[:60]) + (" …" if len(ids) > 60 else "")
    counts = [f"{escape_clipped(lang, 20)} {n}" for lang, n in sorted(languages.items())]
    spread = " · ".join(fit(tr, counts, 1000, " · "))
    tail = tr.gettext("/review or /queue to go through them.")
    return Reply("\n".join([head, shown, spread, tail]))


def action_done(tr: Gettext, action: Action, submission_id: int) -> str:
    texts = {
        Action.SHORTLIST: tr.gettext("⭐ {ref} shortlisted."),
        Action.APPROVE: tr.gettext("✅ {ref} approved."),
        Action.REJECT: tr.gettext("❌ {ref} not selected."),
        Action.ANSWERED: tr.gettext("🎤 {ref} marked as answered."),
        Action.DEMOTE: tr.gettext("⬇️ {ref} back on the shortlist."),
        Action.REOPEN: tr.gettext("🔄 {ref} is pending again."),
        Action.WITHDRAW: tr.gettext("↩️ {ref} withdrawn."),
    }
    return texts[action].format(ref=ref(submission_id))


def action_lost(tr: Gettext, submission_id: int, current: Status, by: str | None) -> str:
    """Someone else acted first, or the status does not allow the action."""
    if by:
        return tr.gettext("{ref} is already {status} ({name} acted first).").format(
            ref=ref(submission_id), status=status_label(tr, current), name=escape(by)
        )
    return tr.gettext("{ref} is {status}: that cannot be done now.").format(
        ref=ref(submission_id), status=status_label(tr, current)
    )


def reason_too_long(tr: Gettext, limit: int) -> str:
    """A reason over the limit is refused whole, before anything changes: clipped, it would
    tell the participant half of what the moderator meant."""
    return tr.ngettext(
        "A reason can be up to {limit} character long. Nothing was changed: please send it "
        "again, shorter.",
        "A reason can be up to {limit} characters long. Nothing was changed: please send it "
        "again, shorter.",
        limit,
    ).format(limit=limit)


def action_results(tr: Gettext, lines: Sequence[str]) -> list[str]:
    """What happened to each submission of a command, one line each (a command may name
    hundreds): as many as fit in one message, the rest counted."""
    return fit(tr, lines, TEXT_LIMIT)


def no_such_submission(tr: Gettext, submission_id: int) -> str:
    return tr.gettext("There is no submission {ref}.").format(ref=ref(submission_id))


def queue_page(
    tr: Gettext,
    items: Sequence[Submission],
    total: int,
    offset: int,
    status: Status,
    nav: tuple[str | None, str | None],
) -> Reply:
    """One page of the queue; `nav`: callback data for previous and next pages, if any."""
    if total == 0:
        return Reply(tr.gettext("Nothing here: no submission is {status}.").format(
            status=status_label(tr, status)))  # fmt: skip
    head = tr.gettext("<b>{status}</b>: {first}–{last} of {total}").format(
        status=_capitalised(escape(status_label(tr, status))),
        first=offset + 1,
        last=offset + len(items),
        total=total,
    )
    lines = []
    for sub in items:
        position = f"{sub.position}. " if status is Status.APPROVED else ""
        line = f"{position}{ref(sub.id)} · {sub.language or '?'} · {kind_label(tr, sub.kind)}"
        line += _tags(sub, with_party_id=False)
        lines.append(f"{line}\n{preview(sub)}")
    buttons = tuple(
        Button(label, data) for label, data in (("◀", nav[0]), ("▶", nav[1])) if data is not None
    )
    # A page (8) always fits; the cap only guards the limit.
    shown = fit(tr, lines, TEXT_LIMIT - size(head) - 2, "\n\n")
    return Reply("\n\n".join([head, *shown]), (buttons,) if buttons else ())


def _capitalised(text: str) -> str:
    # Not str.capitalize(): it lowercases the rest ("Wartet auf prüfung").
    return text[:1].upper() + text[1:]


def run_order(tr: Gettext, items: Sequence[Submission]) -> Reply:
    if not items:
        return Reply(tr.gettext("No question is approved yet, so there is no run order."))
    head = tr.gettext("<b>Run order</b>")
    lines = [
        f"{index}. {ref(sub.id)} · {sub.language or '?'} · {preview(sub)}"
        for index, sub in enumerate(items, start=1)
    ]
    # The first ones, as many as fit: the next questions are what the show needs.
    return Reply("\n".join([head, *fit(tr, lines, TEXT_LIMIT - size(head) - 1)]))


def similar_line(tr: Gettext, ids: Sequence[int]) -> str:
    """ "similar: #12, #40": look-alikes a moderator may want to merge."""
    return "≈ " + tr.gettext("similar: {refs}").format(refs=", ".join(ref(i) for i in ids))


def show_submission(
    tr: Gettext,
    sub: Submission,
    history: Sequence[tuple[str, str]],
    similar: Sequence[int] = (),
    merged: Sequence[int] = (),
) -> Reply:
    """`history`: (time, what happened) lines from the audit log, oldest first. `similar`:
    look-alikes found either way; `merged`: the submissions merged into this one."""
    body = dataclasses.replace(sub, similar_to=tuple(similar[:10]))
    lines = [post_body(tr, body, budget=TEXT_LIMIT - _SHOW_RESERVE)]
    if merged:
        refs = ", ".join(fit(tr, [ref(i) for i in merged], 300, ", "))
        lines.append("🔗 " + tr.gettext("merged into it: {refs}").format(refs=refs))
    lines.append(
        tr.gettext("Received {time}").format(time=sub.created_at.strftime("%Y-%m-%d %H:%M UTC"))
    )
    # The latest entries that fit: a much-discussed submission keeps one message.
    entries = [f"• {escape(at)} {escape_clipped(what, 200)}" for at, what in history]
    if entries:
        lines += fit(tr, entries, TEXT_LIMIT - size("\n".join(lines)) - 1, latest=True)
    return Reply("\n".join(lines), _moderation_buttons(tr, sub, card=False))


def moved(tr: Gettext, submission_id: int, position: int) -> Reply:
    return Reply(
        tr.gettext("{ref} is now number {position} in the run order.").format(
            ref=ref(submission_id), position=position
        )
    )


def not_approved(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext("{ref} is not approved, so it has no place in the run order.").format(
            ref=ref(submission_id)
        )
    )


def invite_link(tr: Gettext, link: str, hours: int) -> Reply:
    return Reply(
        tr.ngettext(
            "Send this one-time link to the new moderator. It works once, for {count} hour:",
            "Send this one-time link to the new moderator. It works once, for {count} hours:",
            hours,
        ).format(count=hours)
        + f"\n{escape(link)}"
    )


def welcome_moderator(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "🛡 Welcome to the moderation team! /review shows the submissions one by one; "
            "/queue lists them; /help has all the commands."
        )
    )


def invite_invalid(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext("This invitation link is not valid any more. Please ask for a new one.")
    )


def moderator_list(tr: Gettext, fixed: Sequence[int], added: Sequence[tuple[int, str]]) -> Reply:
    head = tr.gettext("<b>Moderators</b>")
    lines = [f"• <code>{uid}</code> " + tr.gettext("(from the configuration)") for uid in fixed]
    lines += [f"• <code>{uid}</code> {escape_clipped(name, NAME_CHARS)}" for uid, name in added]
    return Reply("\n".join([head, *fit(tr, lines, TEXT_LIMIT - size(head) - 1)]))


def unmodded(tr: Gettext, user_id: int, removed: bool) -> Reply:
    if removed:
        return Reply(tr.gettext("{id} is no longer a moderator.").format(id=user_id))
    return Reply(
        tr.gettext(
            "{id} was not added at run time, so it cannot be removed here "
            "(moderators from the configuration stay until it changes)."
        ).format(id=user_id)
    )


def moderator_help(tr: Gettext) -> str:
    return "\n".join(
        [
            tr.gettext("<b>For moderators</b>"),
            "/review · /queue · /show &lt;id&gt; · /order",
            "/shortlist · /approve · /reject · /answered · /move",
            "/merge &lt;id&gt; into &lt;id&gt; · /fixtr &lt;id&gt; &lt;text&gt;",
            "/live &lt;id&gt; · /next · /parties",
            tr.gettext(
                "Organizers also: /stats, /export, /broadcast, /answer, /reopen, /open, /close, "
                "/invite, /mods, /unmod, and /party, /partylang in a viewing party's group"
            ),
        ]
    )
