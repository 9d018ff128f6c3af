"""The language picker and the command menus Telegram shows, in each language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Gettext
from bot.render.base import Button, Reply, escape
from bot.telegram import callbacks

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
            ("screen", tr.gettext("Links to the on-air screen and the host's run order")),
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
