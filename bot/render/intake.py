"""Participants' messages about their own submissions: welcome, help, confirmation, edits,
refusals at intake, and what they are told when a submission changes status.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.i18n import Gettext
from bot.render.base import (
    REASON_CHARS,
    TEXT_LIMIT,
    Button,
    Reply,
    clip_to,
    escape,
    fit,
    kind_label,
    minutes,
    ref,
    size,
    snippet,
    status_label,
)
from bot.telegram import callbacks
from storage.models import Kind, Status, Submission


def welcome(tr: Gettext, starts_at: str | None = None) -> Reply:
    """`starts_at`: the live show's time for the reader (see `moment`), when the event file
    sets it and it is still to come."""
    show = []
    if starts_at:
        show.append(
            tr.gettext("📺 The live town hall: {time}. /when has the details.").format(
                time=starts_at
            )
        )
    text = "\n\n".join(
        [
            tr.gettext("<b>Welcome to the Global Town Hall!</b>"),
            tr.gettext(
                "Send me your question for the live show as a message, in any language. "
                "To share an idea for the policy dialogue, write /idea followed by your idea."
            ),
            tr.gettext(
                "Each submission gets a reference number such as #12, and I will tell you "
                "what happens to it. /my shows yours, /help explains the rest."
            ),
            tr.gettext(
                "🔒 We keep only what you send, when, and your Telegram account ID (not your "
                "phone number) so we can reply; only the event's moderators and organizers "
                "read it, and exports never show who you are."
            ),
            *show,
        ]
    )
    return Reply(text)


def help_text(tr: Gettext, limit: int, window_minutes: int) -> Reply:
    lines = [
        tr.gettext("<b>How to take part</b>"),
        tr.gettext("• Write your question as a normal message, in any language."),
        tr.gettext("• /idea <i>your idea</i>: share an idea for the policy dialogue."),
        tr.gettext("• /ask <i>your question</i>: the same as writing a question."),
        tr.gettext("• /my: what you have sent and what happened to it."),
        tr.gettext("• /browse: read the selected questions in your language and vote for them."),
        tr.gettext("• /when: when the live town hall is, and where to watch it."),
        tr.gettext("• /language: choose the language I write to you in."),
        tr.gettext("• /privacy: what we keep about you; /forget erases it."),
        tr.gettext("• /start: the welcome message again."),
        "",
        tr.ngettext(
            "You can send up to {limit} submission every {period}.",
            "You can send up to {limit} submissions every {period}.",
            limit,
        ).format(limit=limit, period=minutes(tr, window_minutes)),
        tr.gettext(
            "A photo or file with a caption counts as the caption's text; "
            "the file itself is not kept."
        ),
    ]
    return Reply("\n".join(lines))


TopicChoice = tuple[str, str]  # (topic id, label in the reader's language)


TOPIC_BUTTONS_PER_ROW = 2


SKIPPED_TOPIC = ""  # stored when the participant presses "No topic"


def confirmation(
    tr: Gettext,
    submission: Submission,
    topics: Sequence[TopicChoice] = (),
) -> Reply:
    """The confirmation of a submission; with the event's topics, buttons to pick one while
    it is pending (optional: "No topic" removes them)."""
    ref_id = ref(submission.id)
    if submission.kind is Kind.IDEA:
        head = tr.gettext("✅ Your idea {ref} has been received. Thank you!").format(ref=ref_id)
    else:
        head = tr.gettext("✅ Your question {ref} has been received. Thank you!").format(
            ref=ref_id
        )
    body = tr.gettext(
        "The moderators will review it and I will tell you what happens to it. "
        "/my shows everything you have sent."
    )
    text = f"{head}\n\n{body}"
    buttons = _switch_kind_buttons(tr, submission)
    labels = dict(topics)
    if submission.topic and submission.topic in labels:
        text += "\n\n" + tr.gettext("🏷 Topic: {topic}").format(
            topic=escape(labels[submission.topic])
        )
    elif topics and submission.topic is None and submission.status is Status.PENDING:
        text += "\n\n" + tr.gettext("Which topic is it about? (optional)")
        buttons = _topic_buttons(tr, submission.id, topics) + buttons
    return Reply(text, buttons)


def _topic_buttons(
    tr: Gettext, submission_id: int, topics: Sequence[TopicChoice]
) -> tuple[tuple[Button, ...], ...]:
    choices = [
        Button(label, callbacks.encode(callbacks.ChooseTopic(submission_id, topic_id)))
        for topic_id, label in topics
    ]
    choices.append(
        Button(
            tr.gettext("No topic"),
            callbacks.encode(callbacks.ChooseTopic(submission_id, SKIPPED_TOPIC)),
        )
    )
    per_row = TOPIC_BUTTONS_PER_ROW
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))


def topic_chosen(tr: Gettext, submission_id: int, label: str | None) -> str:
    """The toast after a topic button (plain text)."""
    if label is None:
        return tr.gettext("{ref}: no topic.").format(ref=ref(submission_id))
    return tr.gettext("{ref}: topic {topic}.").format(ref=ref(submission_id), topic=label)


def _switch_kind_buttons(tr: Gettext, submission: Submission) -> tuple[tuple[Button, ...], ...]:
    if submission.status is not Status.PENDING:
        return ()
    if submission.kind is Kind.IDEA:
        label, target = tr.gettext("❓ It is a question"), Kind.QUESTION
    else:
        label, target = tr.gettext("💡 It is an idea"), Kind.IDEA
    data = callbacks.encode(callbacks.SwitchKind(submission.id, target))
    return ((Button(label, data),),)


def kind_switched(tr: Gettext, submission: Submission) -> str:
    """The short toast shown on the button press."""
    if submission.kind is Kind.IDEA:
        return tr.gettext("{ref} is now an idea.").format(ref=ref(submission.id))
    return tr.gettext("{ref} is now a question.").format(ref=ref(submission.id))


def cannot_change(tr: Gettext, submission_id: int) -> str:
    return tr.gettext("{ref} can no longer be changed.").format(ref=ref(submission_id))


def my_submissions(tr: Gettext, submissions: Sequence[Submission], total: int) -> Reply:
    if total == 0:
        return Reply(
            tr.gettext(
                "You have not sent anything yet. Just write your question here as a message."
            )
        )
    head = tr.ngettext(
        "<b>You have sent {count} submission:</b>",
        "<b>You have sent {count} submissions:</b>",
        total,
    ).format(count=total)
    items = [
        f"{ref(item.id)} · {kind_label(tr, item.kind)} · "
        f"<i>{status_label(tr, item.status)}</i>\n{snippet(item.text)}"
        for item in submissions
    ]
    tail = []
    if total > len(submissions):
        tail.append(
            tr.gettext("Showing the latest {shown} of {total}.").format(
                shown=len(submissions), total=total
            )
        )
    # The latest (20) always fit; the cap only guards the limit.
    room = TEXT_LIMIT - size("\n\n".join([head, *tail])) - 2
    return Reply("\n\n".join([head, *fit(tr, items, room, "\n\n"), *tail]))


def edit_accepted(tr: Gettext, submission: Submission) -> Reply:
    if submission.kind is Kind.IDEA:
        text = tr.gettext("✏️ Your idea {ref} has been updated.")
    else:
        text = tr.gettext("✏️ Your question {ref} has been updated.")
    return Reply(text.format(ref=ref(submission.id)))


def edit_refused(tr: Gettext, submission: Submission) -> Reply:
    return Reply(
        tr.gettext(
            "{ref} is already being reviewed, so your edit was not saved. "
            "Please send anything you want to add as a new message."
        ).format(ref=ref(submission.id))
    )


def edit_not_submission(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext("I can't use this edit. Please send your text again as a new message.")
    )


def unsupported_media(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Sorry, I can only take text. Please write your question or idea as a message "
            "(a photo with a caption works too)."
        )
    )


def empty_text(tr: Gettext) -> Reply:
    return Reply(tr.gettext("That message looks empty. Please write your question in words."))


def too_short(tr: Gettext, minimum: int) -> Reply:
    return Reply(
        tr.ngettext(
            "That is a little short. Please write at least {count} character.",
            "That is a little short. Please write at least {count} characters.",
            minimum,
        ).format(count=minimum)
    )


def missing_text(tr: Gettext, kind: Kind) -> Reply:
    if kind is Kind.IDEA:
        return Reply(
            tr.gettext("Please write your idea after /idea in the same message, for example:")
            + "\n/idea "
            + tr.gettext("More young people on the panel")
        )
    return Reply(
        tr.gettext("Please write your question after /ask in the same message, for example:")
        + "\n/ask "
        + tr.gettext("How will civil society be heard after the event?")
    )


def rate_limited(tr: Gettext, limit: int, window_minutes: int, wait_seconds: float) -> Reply:
    wait_minutes = max(1, math.ceil(wait_seconds / 60))
    first = tr.ngettext(
        "You have sent {limit} submission in the last {period}.",
        "You have sent {limit} submissions in the last {period}.",
        limit,
    ).format(limit=limit, period=minutes(tr, window_minutes))
    second = tr.gettext("Please wait: you can send again in {period}.").format(
        period=minutes(tr, wait_minutes)
    )
    return Reply(f"{first}\n{second}")


def intake_closed(tr: Gettext, opens_at: str | None = None, starts_at: str | None = None) -> Reply:
    """`opens_at`, `starts_at`: the next scheduled opening and the live show, if known,
    already formatted for the reader (see `moment`)."""
    lines = [
        tr.gettext(
            "Thank you for writing! Submissions are closed at the moment, so this was not "
            "recorded. Please send it again once they reopen."
        )
    ]
    if opens_at:
        lines.append(tr.gettext("🕒 Submissions open on {time}.").format(time=opens_at))
    if starts_at:
        lines.append(tr.gettext("📺 The live town hall: {time}.").format(time=starts_at))
    return Reply("\n".join(lines))


def intake_switched(tr: Gettext, is_open: bool) -> Reply:
    if is_open:
        return Reply(tr.gettext("🟢 Submissions are open: participants can send again."))
    return Reply(
        tr.gettext("🔴 Submissions are closed: participants are told politely, nothing is stored.")
    )


def status_notice(tr: Gettext, sub: Submission) -> Reply | None:
    """The notice a participant gets when their submission's status changes, if any."""
    texts = {
        Status.SHORTLISTED: tr.gettext(
            "⭐ Good news: your submission {ref} has been shortlisted."
        ),
        Status.APPROVED: tr.gettext(
            "✅ Your submission {ref} has been selected for the live show. Thank you!"
        ),
        Status.ANSWERED: tr.gettext(
            "🎤 Your submission {ref} has been answered in the live show."
        ),
        Status.REJECTED: tr.gettext(
            "Your submission {ref} was not selected this time. Thank you for taking part."
        ),
    }
    if sub.status not in texts:
        return None
    text = texts[sub.status].format(ref=ref(sub.id))
    if sub.status is Status.REJECTED and sub.reason:
        # Reasons are refused over REASON_CHARS when given; older ones are clipped here.
        reason = escape(clip_to(sub.reason, REASON_CHARS))
        text += "\n" + tr.gettext("Reason: {reason}").format(reason=reason)
    return Reply(text)


def withdrawn(tr: Gettext, submission_id: int) -> Reply:
    return Reply(tr.gettext("↩️ {ref} has been withdrawn.").format(ref=ref(submission_id)))


def cannot_withdraw(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext(
            "{ref} can no longer be withdrawn: the moderators have already seen it."
        ).format(ref=ref(submission_id))
    )
