"""Every text the bot sends is built here.

Messages use HTML parse mode; anything a participant wrote goes through `escape()` before it
is placed in a message, because Telegram rejects a whole message over one stray `<` or `&`.
Catalog strings are trusted HTML (the catalog test checks their tags). Placeholders are
filled with str.format after translation, never inside _().
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta
from babel.lists import format_list

from bot import callbacks
from bot.domain import RULES, Action
from bot.i18n import Gettext
from storage.broadcasts import Broadcast, Progress
from storage.models import Kind, OutboxMessage, Status, Submission
from storage.repository import Statistics
from storage.votes import Sort, VoteOutcome

PARSE_MODE = "HTML"
_SNIPPET_CHARS = 60


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendered message: HTML text and optional inline buttons (rows of buttons)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def markup(self) -> dict[str, Any] | None:
        if not self.buttons:
            return None
        return {
            "inline_keyboard": [
                [{"text": b.text, "callback_data": b.callback_data} for b in row]
                for row in self.buttons
            ]
        }

    def send(
        self, chat_id: int, dedup_key: str | None, reply_to: int | None = None
    ) -> OutboxMessage:
        """As an outbox sendMessage."""
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "text": self.text,
            "parse_mode": PARSE_MODE,
        }
        if reply_to is not None:
            # Quoting the participant's own message ties the answer to it; if they deleted it
            # meanwhile the answer still goes out.
            params["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        if (markup := self.markup()) is not None:
            params["reply_markup"] = markup
        return OutboxMessage(chat_id, "send_message", params, dedup_key)

    def edit(self, chat_id: int, message_id: int, dedup_key: str | None) -> OutboxMessage:
        """As an outbox editMessageText of a message the bot sent."""
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": self.text,
            "parse_mode": PARSE_MODE,
        }
        # Without reply_markup Telegram removes the message's buttons, which is what we want
        # when the new text has none.
        if (markup := self.markup()) is not None:
            params["reply_markup"] = markup
        return OutboxMessage(chat_id, "edit_message_text", params, dedup_key)


def escape(text: str) -> str:
    """Participant text made safe for HTML parse mode."""
    return html.escape(text, quote=False)


def plain(html_text: str, limit: int = 200) -> str:
    """HTML made plain, for a button's answer (Telegram shows it as is; 200 characters max)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ref(submission_id: int) -> str:
    """The reference number as people quote it."""
    return f"#{submission_id}"


def snippet(text: str, limit: int = _SNIPPET_CHARS) -> str:
    """A one-line, escaped preview of participant text."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return escape(flat)


def minutes(tr: Gettext, count: int) -> str:
    """A duration such as "10 minutes", with the plural form the count needs."""
    return tr.ngettext("{count} minute", "{count} minutes", count).format(count=count)


def kind_label(tr: Gettext, kind: Kind) -> str:
    labels = {Kind.QUESTION: tr.gettext("Question"), Kind.IDEA: tr.gettext("Idea")}
    return labels[kind]


def status_label(tr: Gettext, status: Status) -> str:
    labels = {
        Status.PENDING: tr.gettext("waiting for review"),
        Status.SHORTLISTED: tr.gettext("shortlisted"),
        Status.APPROVED: tr.gettext("selected for the live show"),
        Status.ANSWERED: tr.gettext("answered"),
        Status.REJECTED: tr.gettext("not selected"),
        Status.WITHDRAWN: tr.gettext("withdrawn"),
        Status.MERGED: tr.gettext("merged with a similar question"),
    }
    return labels[status]


# ---- participant messages ---------------------------------------------------------------


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


def stale_button(tr: Gettext) -> str:
    return tr.gettext("This button is no longer valid.")


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
    lines = [head]
    for item in submissions:
        lines.append(
            f"{ref(item.id)} · {kind_label(tr, item.kind)} · "
            f"<i>{status_label(tr, item.status)}</i>\n{snippet(item.text)}"
        )
    if total > len(submissions):
        lines.append(
            tr.gettext("Showing the latest {shown} of {total}.").format(
                shown=len(submissions), total=total
            )
        )
    return Reply("\n\n".join(lines))


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


# ---- language choice and Telegram's menus ---------------------------------------------------

LANGUAGE_BUTTONS_PER_ROW = 2


def language_menu(tr: Gettext, options: Sequence[tuple[str, str]], current: str) -> Reply:
    """`options`: (locale, native name) pairs; the current one is ticked."""
    buttons = [
        Button(("✓ " if locale == current else "") + name,
               callbacks.encode(callbacks.ChooseLanguage(locale)))
        for locale, name in options
    ]  # fmt: skip
    rows = tuple(
        tuple(buttons[i : i + LANGUAGE_BUTTONS_PER_ROW])
        for i in range(0, len(buttons), LANGUAGE_BUTTONS_PER_ROW)
    )
    return Reply(tr.gettext("🌐 Choose the language I write to you in:"), rows)


def language_chosen(tr: Gettext, name: str) -> Reply:
    """In the newly chosen language."""
    return Reply("✅ " + escape(language_chosen_toast(tr, name)))


def language_chosen_toast(tr: Gettext, name: str) -> str:
    """Plain text: Telegram shows a button's answer without parsing HTML."""
    return tr.gettext("From now on I will write to you in {language}.").format(language=name)


def bot_commands(tr: Gettext) -> list[tuple[str, str]]:
    """Participants' commands for Telegram's menu: plain text, no HTML."""
    return [
        ("start", tr.gettext("Welcome and how to take part")),
        ("ask", tr.gettext("Ask a question for the live show")),
        ("idea", tr.gettext("Share an idea for the policy dialogue")),
        ("my", tr.gettext("What you have sent and its status")),
        ("browse", tr.gettext("Read and vote for others' questions, in your language")),
        ("when", tr.gettext("When the live town hall is, and where to watch it")),
        ("language", tr.gettext("Choose your language")),
        ("withdraw", tr.gettext("Withdraw a submission still waiting for review")),
        ("privacy", tr.gettext("What we keep about you, and how to erase it")),
        ("help", tr.gettext("Help")),
    ]


def moderator_commands(tr: Gettext, organizer: bool) -> list[tuple[str, str]]:
    """Commands shown in moderators' menus (their private chat, the moderators' group)."""
    commands = [
        ("review", tr.gettext("Review pending submissions one by one")),
        ("queue", tr.gettext("List submissions by status, kind and language")),
        ("show", tr.gettext("A submission with its translation and history")),
        ("shortlist", tr.gettext("Shortlist submissions")),
        ("approve", tr.gettext("Approve submissions for the live show")),
        ("reject", tr.gettext("Do not select a submission (reason optional)")),
        ("answered", tr.gettext("Mark a question as answered")),
        ("order", tr.gettext("The run order of approved questions")),
        ("move", tr.gettext("Move a question in the run order")),
        ("live", tr.gettext("Put a question on air: its asker and voters are told")),
        ("next", tr.gettext("The next question in the run order goes on air")),
        ("merge", tr.gettext("Merge a submission into a similar one")),
        ("parties", tr.gettext("The viewing parties")),
        ("fixtr", tr.gettext("Correct a submission's translation")),
    ]
    if organizer:
        commands += [
            ("reopen", tr.gettext("Put a submission back to waiting for review")),
            ("stats", tr.gettext("Statistics, with a chart per language")),
            ("export", tr.gettext("The submissions as a spreadsheet file")),
            ("broadcast", tr.gettext("An announcement to every participant, in their language")),
            ("answer", tr.gettext("A written answer to a question's askers and voters")),
            ("open", tr.gettext("Open submissions")),
            ("close", tr.gettext("Close submissions")),
            ("invite", tr.gettext("A one-time link that makes someone a moderator")),
            ("mods", tr.gettext("List the moderators")),
            ("unmod", tr.gettext("Remove a moderator added by invitation")),
        ]
    return commands


def bot_description(tr: Gettext) -> str:
    """Shown in an empty chat before /start (plain text, up to 512 characters)."""
    return tr.gettext(
        "Send your questions for the live show and your ideas for the policy dialogue of the "
        "Global Town Hall, in your own language. Each one gets a reference number, and you are "
        "told what happens to it. Only the event's moderators and organizers read them."
    )


def bot_short_description(tr: Gettext) -> str:
    """On the bot's profile (plain text, up to 120 characters)."""
    return tr.gettext("Your questions and ideas for the Global Town Hall, in your language.")


# ---- polite refusals --------------------------------------------------------------------


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


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def moment(locale: str, at: datetime, zone: ZoneInfo) -> str:
    """A date and time as the reader writes them (CLDR through Babel), in `zone`:
    "Thursday, 10 December 2026, 15:00 (Africa/Nairobi)"."""
    where = _babel_locale(locale)
    local = at.astimezone(zone)
    day = format_date(local, format="full", locale=where)
    clock = format_time(local, format="short", locale=where)
    return escape(f"{day}, {clock} ({zone.key})")


def intake_switched(tr: Gettext, is_open: bool) -> Reply:
    if is_open:
        return Reply(tr.gettext("🟢 Submissions are open: participants can send again."))
    return Reply(
        tr.gettext("🔴 Submissions are closed: participants are told politely, nothing is stored.")
    )


def unknown_command(tr: Gettext) -> Reply:
    return Reply(tr.gettext("I don't know that command. /help shows what I can do."))


def internal_error(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext("Sorry, something went wrong on our side. Please try again in a minute.")
    )


# ---- moderators ---------------------------------------------------------------------------

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
        line += ": " + escape(_clip_to(sub.reason, 300))
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
        "broadcast": "/broadcast &lt;text&gt;\nfr: &lt;texte&gt;\nes: &lt;texto&gt; ... "
        + tr.gettext("(in a private chat with me)"),
    }[command]
    return Reply(tr.gettext("Please use it like this:") + f"\n<code>{syntax}</code>")


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
        lines.append(f"{head}\n{_preview(sub)}")
    buttons = tuple(
        Button(label, data) for label, data in (("◀", nav[0]), ("▶", nav[1])) if data is not None
    )
    return Reply("\n\n".join(lines), (buttons,) if buttons else ())


def _capitalised(text: str) -> str:
    # Not str.capitalize(): it lowercases the rest ("Wartet auf prüfung").
    return text[:1].upper() + text[1:]


def _preview(sub: Submission) -> str:
    """One line for lists: in the working language when translated (moderators read it)."""
    return snippet(sub.translation or sub.text)


def run_order(tr: Gettext, items: Sequence[Submission]) -> Reply:
    if not items:
        return Reply(tr.gettext("No question is approved yet, so there is no run order."))
    lines = [tr.gettext("<b>Run order</b>")]
    for index, sub in enumerate(items, start=1):
        lines.append(f"{index}. {ref(sub.id)} · {sub.language or '?'} · {_preview(sub)}")
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
        refs = ", ".join(ref(i) for i in merged[:_LIST_LINES])
        refs += f" … +{len(merged) - _LIST_LINES}" if len(merged) > _LIST_LINES else ""
        lines.append("🔗 " + tr.gettext("merged into it: {refs}").format(refs=refs))
    lines.append(
        tr.gettext("Received {time}").format(time=sub.created_at.strftime("%Y-%m-%d %H:%M UTC"))
    )
    # The latest entries that fit: a much-discussed submission keeps one message.
    budget = _MESSAGE_BUDGET - sum(len(line) + 1 for line in lines)
    entries = [f"• {escape(at)} {escape(_clip_to(what, 200))}" for at, what in history]
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


# ---- what participants are told about their submission ------------------------------------


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
        text += "\n" + tr.gettext("Reason: {reason}").format(reason=escape(sub.reason))
    return Reply(text)


def withdrawn(tr: Gettext, submission_id: int) -> Reply:
    return Reply(tr.gettext("↩️ {ref} has been withdrawn.").format(ref=ref(submission_id)))


def cannot_withdraw(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext(
            "{ref} can no longer be withdrawn: the moderators have already seen it."
        ).format(ref=ref(submission_id))
    )


# ---- privacy ------------------------------------------------------------------------------


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


# ---- statistics ---------------------------------------------------------------------------


def statistics(tr: Gettext, stats: Statistics, hours: int = 6) -> Reply:
    def line(title: str, counts: Mapping[str, int]) -> str:
        spread = " · ".join(f"{escape(str(k))} {v}" for k, v in counts.items()) or "—"
        return f"<b>{title}</b>\n{spread}"

    statuses = {status_label(tr, Status(k)): v for k, v in stats.by_status.items()}
    kinds = {kind_label(tr, Kind(k)): v for k, v in stats.by_kind.items()}
    recent = dict(list(stats.by_hour.items())[-hours:])
    hourly = {k[11:16]: v for k, v in recent.items()}
    parts = [
        tr.gettext("📊 <b>Statistics</b>: {count} submissions in all").format(count=stats.total),
        line(tr.gettext("By status"), statuses),
        line(tr.gettext("By kind"), kinds),
        line(tr.gettext("By language"), dict(stats.by_language)),
    ]
    if set(stats.by_topic) - {"-"}:
        topics = {k if k != "-" else tr.gettext("no topic"): v for k, v in stats.by_topic.items()}
        parts.append(line(tr.gettext("By topic"), topics))
    if set(stats.by_party) - {"-"}:
        ranked = sorted(stats.by_party.items(), key=lambda kv: (-kv[1], kv[0]))[:_LIST_LINES]
        places = {k if k != "-" else tr.gettext("not from a viewing party"): v for k, v in ranked}
        parts.append(line(tr.gettext("By viewing party"), places))
    parts += [
        line(tr.gettext("Last hours (UTC)"), hourly),
    ]
    return Reply("\n\n".join(parts))


def chart_labels(tr: Gettext) -> tuple[str, str, str, str]:
    """(received, shortlisted, approved, title) for the chart: plain text."""
    return (
        tr.gettext("received"),
        tr.gettext("shortlisted or further"),
        tr.gettext("approved"),
        tr.gettext("Submissions per language"),
    )


# ---- exports in the chat ------------------------------------------------------------------


def export_caption(tr: Gettext, count: int, statuses: Sequence[str], kind: str | None) -> Reply:
    text = tr.ngettext("📄 {count} submission", "📄 {count} submissions", count).format(
        count=count
    )
    chosen = [status_label(tr, Status(s)) for s in statuses]
    if kind is not None:
        chosen.append(kind_label(tr, Kind(kind)))
    if chosen:
        text += " · " + escape(", ".join(chosen))
    note = tr.gettext("Participants appear under pseudonyms.")
    return Reply(f"{text}\n{note}")


def export_failed(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Sorry, the file could not be sent. Try a narrower export, or ask for it with "
            "townhall-bot export on the server."
        )
    )


# ---- broadcasts ---------------------------------------------------------------------------


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
    lines = [head, f"<blockquote>{escape(broadcast.text)}</blockquote>", reach]
    if broadcast.own_texts:
        lines.append(
            tr.gettext("Your own texts for: {languages}").format(
                languages=escape(", ".join(sorted(broadcast.own_texts)))
            )
        )
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


def broadcast_message(tr: Gettext, text: str, machine: bool, title: str | None) -> Reply:
    """What a participant receives: the announcement, marked as machine-translated if so."""
    heading = escape(title) if title else tr.gettext("Global Town Hall")
    parts = [f"📢 <b>{heading}</b>", escape(text)]
    if machine:
        parts.append(tr.gettext("<i>Automatic translation</i>"))
    return Reply("\n\n".join(parts))


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
        f"<blockquote>{escape(snippet(broadcast.text, 200))}</blockquote>",
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


# ---- browsing and voting ------------------------------------------------------------------

_BROWSE_TEXT_CHARS = 400


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
        text = escape(_clip_to(item.text, _BROWSE_TEXT_CHARS))
        entry = f"<b>{ref(sub.id)}</b> · 👍 {sub.votes}\n{text}"
        if item.machine:
            entry += "\n" + tr.gettext("<i>Automatic translation</i>")
        if original == sub.id and item.text != sub.text:
            entry += "\n" + tr.gettext("Original ({language}):").format(
                language=escape(sub.language or "?")
            )
            entry += f"\n<blockquote>{escape(_clip_to(sub.text, _BROWSE_TEXT_CHARS))}</blockquote>"
        lines.append(entry)
        vote = ("✅ " if item.voted else "👍 ") + f"{ref(sub.id)} · {sub.votes}"
        buttons = [Button(vote, callbacks.encode(callbacks.Upvote(sub.id, sort, offset)))]
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


def _clip_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


# ---- curation: similar questions, merges, corrected translations, written answers ---------


def voices(tr: Gettext, people: int, languages: int) -> tuple[str, str]:
    """("12 people", "5 languages") in the reader's language, each with its own plural."""
    return (
        tr.ngettext("{count} person", "{count} people", people).format(count=people),
        tr.ngettext("{count} language", "{count} languages", languages).format(count=languages),
    )


def merge_done(
    tr: Gettext, source_id: int, target_id: int, people: int, languages: int, votes: int
) -> Reply:
    who, where = voices(tr, people, languages)
    return Reply(
        tr.gettext(
            "🔗 {source} merged into {target}: now {people} in {languages}, 👍 {votes}."
        ).format(
            source=ref(source_id), target=ref(target_id), people=who, languages=where, votes=votes
        )
    )


def merge_refused(
    tr: Gettext, outcome: str, source: Submission | None, target: Submission | None
) -> Reply:
    """Why a merge was not done: `outcome` is a storage.curation.MergeOutcome value."""
    if outcome == "same" and source is not None and target is not None and source.id == target.id:
        text = tr.gettext("A submission cannot be merged into itself.")
    elif outcome == "same" and source is not None and target is not None:
        # The other way round already happened: the target was merged into the source.
        text = tr.gettext("{merged} is already part of {into}.").format(
            merged=ref(target.id), into=ref(source.id)
        )
    elif outcome == "kinds_differ":
        text = tr.gettext("Only a question into a question, or an idea into an idea.")
    elif outcome == "source_closed" and source is not None:
        text = tr.gettext("{ref} is {status}: it cannot be merged now.").format(
            ref=ref(source.id), status=status_label(tr, source.status)
        )
    elif outcome == "target_closed" and target is not None:
        text = tr.gettext("{ref} is {status}: nothing can be merged into it.").format(
            ref=ref(target.id), status=status_label(tr, target.status)
        )
        if target.merged_into:
            text += " " + tr.gettext("Merge into {ref} instead.").format(
                ref=ref(target.merged_into)
            )
    else:
        text = tr.gettext("That merge cannot be done.")
    return Reply(text)


def merge_notice(
    tr: Gettext, submission: Submission, target_id: int, people: int, languages: int
) -> Reply:
    """To each asker whose submission joined another one, in their language."""
    who, where = voices(tr, people, languages)
    if submission.kind is Kind.IDEA:
        text = tr.gettext(
            "🤝 Your idea {ref} has joined a similar one, {target}, from {people} writing in "
            "{languages}. It now goes forward together."
        )
    else:
        text = tr.gettext(
            "🤝 Your question {ref} has joined a similar one, {target}, from {people} writing "
            "in {languages}. It now goes forward together, and your voice counts in its votes."
        )
    return Reply(
        text.format(ref=ref(submission.id), target=ref(target_id), people=who, languages=where)
    )


def translation_fixed(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext(
            "✍️ The translation of {ref} is corrected and marked as reviewed. Readers of other "
            "languages will get translations made from it."
        ).format(ref=ref(submission_id))
    )


def translation_not_fixed(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext("{ref} has no text to translate (it was erased or does not exist).").format(
            ref=ref(submission_id)
        )
    )


def answer_queued(
    tr: Gettext, submission_id: int, recipients: int, languages: int, machine: int
) -> Reply:
    head = tr.ngettext(
        "💬 The answer to {ref} is on its way to {count} person",
        "💬 The answer to {ref} is on its way to {count} people",
        recipients,
    ).format(ref=ref(submission_id), count=recipients)
    detail = tr.ngettext("in {count} language", "in {count} languages", languages).format(
        count=languages
    )
    text = f"{head} {detail}."
    if machine:
        text += " " + tr.ngettext(
            "{count} language gets an automatic translation.",
            "{count} languages get an automatic translation.",
            machine,
        ).format(count=machine)
    return Reply(text)


def answer_already(tr: Gettext, submission_id: int) -> Reply:
    return Reply(
        tr.gettext("This answer to {ref} was already sent.").format(ref=ref(submission_id))
    )


def answer_refused(tr: Gettext, submission: Submission) -> Reply:
    return Reply(
        tr.gettext("{ref} is {status}: there is no one to answer.").format(
            ref=ref(submission.id), status=status_label(tr, submission.status)
        )
    )


_ANSWER_CHARS = 3500  # the answer, so that heading and label keep the message under 4,096


def written_answer(
    tr: Gettext, submission_id: int, text: str, machine: bool, asked: bool
) -> Reply:
    """A written answer, to an asker (`asked`) or to someone who voted for the question."""
    if asked:
        head = tr.gettext("💬 <b>An answer to your question {ref}</b>")
    else:
        head = tr.gettext("💬 <b>An answer to a question you supported, {ref}</b>")
    lines = [head.format(ref=ref(submission_id)), escape(_clip_to(text, _ANSWER_CHARS))]
    if machine:
        lines.append(tr.gettext("<i>Automatic translation</i>"))
    return Reply("\n\n".join(lines))


# ---- the live show ------------------------------------------------------------------------


def now_answering(tr: Gettext, submission_id: int, asked: bool, stream_url: str | None) -> Reply:
    """To the asker (or the viewing party that asked), and to everyone who voted for it."""
    if asked:
        text = tr.gettext("🔴 Your question {ref} is being answered now!")
    else:
        text = tr.gettext("🔴 A question you supported, {ref}, is being answered now!")
    lines = [text.format(ref=ref(submission_id))]
    if stream_url:
        lines.append(tr.gettext("Watch it live: {link}").format(link=escape(stream_url)))
    return Reply("\n".join(lines))


def live_board(tr: Gettext, live: Submission | None, upcoming: Sequence[Submission]) -> Reply:
    """What the moderators' group sees: on air now, and the next two in the run order."""
    if live is not None:
        on_air = tr.gettext("🔴 <b>On air</b>: {ref}").format(ref=ref(live.id))
        lines = [on_air + _board_detail(live)]
    else:
        lines = [tr.gettext("⚪ No question is on air.")]
    if upcoming:
        lines.append(tr.gettext("<b>Next</b>:"))
        lines += [
            f"{index}. {ref(sub.id)}{_board_detail(sub)}"
            for index, sub in enumerate(upcoming, start=1)
        ]
    else:
        lines.append(tr.gettext("No other question is approved yet."))
    return Reply("\n".join(lines))


def live_told(tr: Gettext, count: int) -> Reply:
    return Reply(
        tr.ngettext(
            "📣 {count} chat is being told, each in its language.",
            "📣 {count} chats are being told, each in their language.",
            count,
        ).format(count=count)
    )


def _board_detail(sub: Submission) -> str:
    where = f" · 🏛 {escape(sub.party_place)}" if sub.party_place else ""
    return f" · {sub.language or '?'}{where} · {_preview(sub)}"


def live_refused(tr: Gettext, outcome: str, sub: Submission | None) -> Reply:
    """Why nothing went on air: `outcome` is a storage.live.LiveOutcome value."""
    if outcome == "moved_on":
        text = tr.gettext("Another moderator changed what is on air just now; /live shows it.")
    elif outcome == "already" and sub is not None:
        text = tr.gettext("{ref} is already on air.").format(ref=ref(sub.id))
    elif outcome == "not_a_question" and sub is not None:
        text = tr.gettext("{ref} is an idea: only questions go on air.").format(ref=ref(sub.id))
    elif outcome == "wrong_status" and sub is not None:
        text = tr.gettext("{ref} is {status}: it cannot go on air.").format(
            ref=ref(sub.id), status=status_label(tr, sub.status)
        )
    elif outcome == "nothing_next":
        text = tr.gettext("No approved question is left in the run order.")
    else:
        text = tr.gettext("That question cannot go on air.")
    return Reply(text)


def show_time(
    tr: Gettext,
    locale: str,
    title: str | None,
    starts_at: datetime,
    zone: ZoneInfo,
    now: datetime,
    stream_url: str | None,
) -> Reply:
    """/when: the live show's date and time for the reader, in the event's zone and in UTC,
    with a countdown and the stream link."""
    head = f"📅 <b>{escape(title)}</b>" if title else tr.gettext("📅 <b>The live town hall</b>")
    lines = [head, moment(locale, starts_at, zone)]
    if zone.key != "UTC":
        lines.append(moment(locale, starts_at, ZoneInfo("UTC")))
    if starts_at > now:
        left = escape(countdown(locale, starts_at - now))
        lines.append(tr.gettext("⏳ It starts in {countdown}.").format(countdown=left))
    else:
        since = escape(countdown(locale, now - starts_at))
        lines.append(tr.gettext("🔴 It started {countdown} ago.").format(countdown=since))
    if stream_url:
        lines.append(tr.gettext("Watch it live: {link}").format(link=escape(stream_url)))
    return Reply("\n".join(lines))


def no_show_time(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "The date of the live town hall has not been announced yet. Please check again soon."
        )
    )


_NEVER_ROUND_UP = 10**9


def countdown(locale: str, left: timedelta) -> str:
    """ "6 days and 3 hours", "2 hours and 5 minutes", "4 minutes": two units at most, in the
    reader's language (CLDR units and list pattern, through Babel)."""
    where = _babel_locale(locale)
    minutes_left = max(0, int(left.total_seconds() // 60))
    days, rest = divmod(minutes_left, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units: list[tuple[int, Literal["day", "hour", "minute"]]]
    if days:
        units = [(days, "day"), (hours, "hour")]
    elif hours:
        units = [(hours, "hour"), (minutes, "minute")]
    else:
        units = [(minutes, "minute")]
    # Babel moves up a unit once the value reaches `threshold` of it ("10 days" would read
    # "1 week"): a threshold no value reaches keeps the unit we chose.
    shown = [
        format_timedelta(
            timedelta(**{f"{unit}s": value}),
            granularity=unit,
            threshold=_NEVER_ROUND_UP,
            locale=where,
        )
        for value, unit in units
        if value or len(units) == 1
    ]
    return format_list(shown, locale=where)


# ---- viewing parties ----------------------------------------------------------------------


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
    lines = [tr.gettext("<b>Viewing parties</b>")]
    lines += [
        f"party:{number} · {escape(place)} · {escape(locale)} · {count}"
        for number, place, locale, count in parties[:_LIST_LINES]
    ]
    return Reply("\n".join(lines) + _more(len(parties) - _LIST_LINES))


# Lists inside one message stay well under Telegram's 4,096 characters: the rest is counted.
_LIST_LINES = 30


def _more(hidden: int) -> str:
    return f"\n… +{hidden}" if hidden > 0 else ""
