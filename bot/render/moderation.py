"""Moderators' texts: posts and review cards, the queue, /show, the run order, the team."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.domain import RULES, Action
from bot.i18n import Gettext
from bot.render.base import (
    LIST_LINES,
    Button,
    Reply,
    clip_to,
    escape,
    kind_label,
    minutes,
    preview,
    ref,
    status_label,
)
from bot.telegram import callbacks
from storage.models import Status, Submission

_POST_TEXT_CHARS = 1500  # original and translation each: a post stays far under 4,096


_MESSAGE_BUDGET = 4000  # Telegram's 4,096 characters, with room for HTML entities' slack


def _decision_line(tr: Gettext, sub: Submission) -> str:
    who = escape(sub.decided_by or "?")
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
        line += ": " + escape(clip_to(sub.reason, 300))
    return line


def _language_line(tr: Gettext, sub: Submission) -> str:
    if sub.language is None:
        return tr.gettext("language not detected yet")
    if sub.language == "und":
        return tr.gettext("no language")
    confidence = round(100 * (sub.language_confidence or 0))
    return f"{sub.language} {confidence}%"


def post_body(tr: Gettext, sub: Submission, age_minutes: int | None = None) -> str:
    """What moderators see of a submission: original always, translation when there is one."""
    head = f"<b>{ref(sub.id)}</b> · {kind_label(tr, sub.kind)} · {_language_line(tr, sub)}"
    if sub.topic:
        head += f" · 🏷 {escape(sub.topic)}"
    if sub.votes:
        head += f" · 👍 {sub.votes}"
    if sub.party_place:
        head += f" · 🏛 {escape(sub.party_place)} (party:{sub.party_id})"
    if age_minutes is not None:
        head += " · " + minutes(tr, age_minutes)
    original = escape(_clip(sub.text)) or tr.gettext("<i>erased at the participant's request</i>")
    parts = [head, f"<blockquote>{original}</blockquote>"]
    if sub.translation:
        parts.append("🌐 " + escape(_clip(sub.translation)))
        if sub.translation_reviewed_by:
            parts.append(
                "✍️ "
                + tr.gettext("translation corrected by {name}").format(
                    name=escape(sub.translation_reviewed_by)
                )
            )
    elif sub.translation_status.value == "pending":
        parts.append("🌐 " + tr.gettext("<i>translation pending</i>"))
    if sub.similar_to and sub.status is not Status.MERGED:
        parts.append(similar_line(tr, sub.similar_to))
    if decision := _decision_line(tr, sub):
        parts.append(decision)
    return "\n".join(parts)


def _clip(text: str) -> str:
    return text if len(text) <= _POST_TEXT_CHARS else text[: _POST_TEXT_CHARS - 1] + "…"


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
    return Reply(f"{title}\n{post_body(tr, sub, age_minutes)}", _moderation_buttons(tr, sub, True))


def review_done(tr: Gettext) -> Reply:
    return Reply(tr.gettext("🎉 Nothing left to review. /queue shows the other lists."))


def digest(tr: Gettext, ids: Sequence[int], languages: dict[str, int], since: str) -> Reply:
    head = tr.ngettext(
        "📥 <b>{count} new submission</b> since {time}, too many to post one by one:",
        "📥 <b>{count} new submissions</b> since {time}, too many to post one by one:",
        len(ids),
    ).format(count=len(ids), time=escape(since))
    shown = " ".join(ref(i) for i in ids[:60]) + (" …" if len(ids) > 60 else "")
    spread = " · ".join(f"{escape(lang)} {n}" for lang, n in sorted(languages.items()))
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
    lines = [head]
    for sub in items:
        position = f"{sub.position}. " if status is Status.APPROVED else ""
        head = f"{position}{ref(sub.id)} · {sub.language or '?'} · {kind_label(tr, sub.kind)}"
        if sub.topic:
            head += f" · 🏷 {escape(sub.topic)}"
        if sub.votes:
            head += f" · 👍 {sub.votes}"
        if sub.party_place:
            head += f" · 🏛 {escape(sub.party_place)}"
        lines.append(f"{head}\n{preview(sub)}")
    buttons = tuple(
        Button(label, data) for label, data in (("◀", nav[0]), ("▶", nav[1])) if data is not None
    )
    return Reply("\n\n".join(lines), (buttons,) if buttons else ())


def _capitalised(text: str) -> str:
    # Not str.capitalize(): it lowercases the rest ("Wartet auf prüfung").
    return text[:1].upper() + text[1:]


def run_order(tr: Gettext, items: Sequence[Submission]) -> Reply:
    if not items:
        return Reply(tr.gettext("No question is approved yet, so there is no run order."))
    lines = [tr.gettext("<b>Run order</b>")]
    for index, sub in enumerate(items, start=1):
        lines.append(f"{index}. {ref(sub.id)} · {sub.language or '?'} · {preview(sub)}")
    return Reply("\n".join(lines))


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
    lines = [post_body(tr, dataclasses.replace(sub, similar_to=tuple(similar[:10])))]
    if merged:
        refs = ", ".join(ref(i) for i in merged[:LIST_LINES])
        refs += f" … +{len(merged) - LIST_LINES}" if len(merged) > LIST_LINES else ""
        lines.append("🔗 " + tr.gettext("merged into it: {refs}").format(refs=refs))
    lines.append(
        tr.gettext("Received {time}").format(time=sub.created_at.strftime("%Y-%m-%d %H:%M UTC"))
    )
    # The latest entries that fit: a much-discussed submission keeps one message.
    budget = _MESSAGE_BUDGET - sum(len(line) + 1 for line in lines)
    entries = [f"• {escape(at)} {escape(clip_to(what, 200))}" for at, what in history]
    shown: list[str] = []
    for entry in reversed(entries):
        if len(entry) + 1 > budget - 20:  # room left for the "… +N" line
            break
        shown.insert(0, entry)
        budget -= len(entry) + 1
    if len(shown) < len(entries):
        lines.append(f"… +{len(entries) - len(shown)}")
    lines += shown
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
    lines = [tr.gettext("<b>Moderators</b>")]
    lines += [f"• <code>{uid}</code> " + tr.gettext("(from the configuration)") for uid in fixed]
    lines += [f"• <code>{uid}</code> {escape(name)}" for uid, name in added]
    return Reply("\n".join(lines))


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
