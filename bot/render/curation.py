"""Similar questions merged, translations corrected, written answers."""

from __future__ import annotations

from bot.i18n import Gettext
from bot.render.base import Reply, in_pieces, ref, status_label
from storage.models import Kind, Submission


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


def written_answers(
    tr: Gettext, submission_id: int, text: str, machine: bool, asked: bool
) -> list[Reply]:
    """A written answer, to an asker (`asked`) or to someone who voted for the question; an
    answer too long for one message goes out whole, in several (see `in_pieces`)."""
    if asked:
        head = tr.gettext("💬 <b>An answer to your question {ref}</b>")
    else:
        head = tr.gettext("💬 <b>An answer to a question you supported, {ref}</b>")
    heading = head.format(ref=ref(submission_id)) + "\n\n"
    note = "\n\n" + tr.gettext("<i>Automatic translation</i>") if machine else ""
    return [Reply(piece) for piece in in_pieces(heading, text, note)]
