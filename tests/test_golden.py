"""Golden texts: every message bot/render.py builds, in every shipped locale, against a snapshot.

Each case below calls one render function with fixed inputs; its result is serialized as text
and compared with the literal snapshot in tests/golden/<locale>.txt, where cases are separated
by "=== <case name> ===" lines. A case missing from the file, or a case in the file that the
list below no longer has, fails the test as much as a changed text does.

The test never writes the snapshots. After a deliberate change of texts (or catalogs), and
only then, regenerate them and read the diff before committing:

    .venv/bin/python -m tests.test_golden --update
    git diff tests/golden/

Conventions that keep this file easy to carry through a reorganisation of render.py:
render functions are reached only as `render.<name>` (after `from bot import render`), and
every case lives in the one `CASES` list, named "<function>" or "<function>.<variant>".

Dates, times and countdowns come from CLDR through Babel: a Babel upgrade may change the
`moment.*`, `countdown.*`, `show_time.*` and `*.starts_at` cases without any change of ours.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import inspect
import json
import pkgutil
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import render
from bot.domain import Action
from bot.i18n import Gettext, Locales, catalog_path, load_locales
from bot.telegram import callbacks
from storage.broadcasts import Broadcast, Progress
from storage.models import Kind, Status, Submission, TranslationStatus
from storage.statistics import Statistics
from storage.votes import Sort, VoteOutcome

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SHIPPED = tuple(
    sorted(p.name for p in LOCALES_DIR.iterdir() if catalog_path(LOCALES_DIR, p.name).exists())
)


@cache
def _catalogs() -> Locales:
    return load_locales(LOCALES_DIR)


@dataclass(frozen=True)
class Ctx:
    """What a case gets: the locale's catalog and the locale's name (for Babel formats)."""

    tr: Gettext
    locale: str


# ---- fixed inputs -----------------------------------------------------------------------

T0 = datetime(2026, 12, 3, 9, 41, 7, tzinfo=UTC)
SHOW_AT = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
NAIROBI = ZoneInfo("Africa/Nairobi")
UTC_ZONE = ZoneInfo("UTC")

USER_HTML = """Is <b>bold</b> & "quoted" 'text' safe?"""
RTL_TEXT = "كيف سيُسمع صوت المجتمع المدني بعد انتهاء الحدث؟"
QUESTION_TEXT = "How will civil society be heard after the event?\nAnd who follows up?"
TRANSLATION_TEXT = "Comment la société civile sera-t-elle entendue après l'événement ?"


def _long(words: int, tag: str = "w") -> str:
    """Distinct numbered words, so where a clip falls shows in the snapshot."""
    return " ".join(f"{tag}{i:04d}" for i in range(words))


LONG_TEXT = _long(320)  # 1,919 characters: over the post's 1,500
LONG_ANSWER = _long(600, "a")  # 3,599 characters: one message holds it, whole
# Four paragraphs of sentences, 5,439 characters (more as HTML): one message cannot hold them.
LONG_PARAGRAPHS = "\n\n".join(
    " ".join(f"Sentence {p}.{s:02d} says enough & more." for s in range(40)) for p in range(4)
)


def sub(**changes: Any) -> Submission:
    base = Submission(
        id=7,
        chat_id=1001,
        message_id=55,
        participant_id=424242,
        kind=Kind.QUESTION,
        status=Status.PENDING,
        text=QUESTION_TEXT,
        locale="en",
        language="en",
        language_confidence=0.973,
        translation=None,
        translation_engine=None,
        created_at=T0,
        updated_at=T0,
        translation_status=TranslationStatus.NOT_NEEDED,
    )
    return dataclasses.replace(base, **changes)


PENDING = sub()
IDEA = sub(id=8, kind=Kind.IDEA, text="More young people on the panel")
FULL = sub(
    id=12,
    status=Status.APPROVED,
    text=USER_HTML,
    locale="fr",
    language="fr",
    language_confidence=0.5,
    translation='Is <b>bold</b> & "quoted" safe? (translated)',
    translation_engine="deepl",
    translation_status=TranslationStatus.DONE,
    decided_by="Ana <mod> & co",
    position=2,
    topic="climate",
    votes=5,
    similar_to=(3, 40),
    translation_reviewed_by="Bo <b>",
    party_id=4,
    party_place="Nairobi <Hub> & friends",
)
ARABIC = sub(
    id=21,
    status=Status.SHORTLISTED,
    text=RTL_TEXT,
    locale="ar",
    language="ar",
    language_confidence=0.99,
    translation="How will civil society's voice be heard after the event ends?",
    translation_engine="deepl",
    translation_status=TranslationStatus.DONE,
    decided_by="Chen",
    votes=1,
)
TOPICS = (("climate", "Climate & <energy>"), ("health", "Health"), ("jobs", "Jobs"))
NAME_MAX = ("Ana <mod> & co " * 9)[:129]  # Telegram's longest name: 64 + space + 64
ID_RUN = range(1, 301)  # /approve 1 2 3 ... 300: more lines than one message holds

USAGE_COMMANDS = (
    "shortlist", "approve", "reject", "answered", "reopen", "show", "move", "queue", "unmod",
    "review", "withdraw", "export", "merge", "live", "party", "partylang", "fixtr", "answer",
    "broadcast",
)  # fmt: skip
HISTORY = (
    ("2026-12-03 09:41", "received"),
    ("2026-12-03 10:02", "shortlisted by Ana <mod> & co"),
    ("2026-12-03 10:30", "approved by Chen: " + USER_HTML),
)
LONG_HISTORY = tuple(
    (f"2026-12-03 {10 + i // 60:02d}:{i % 60:02d}", f"note {i:02d}: " + _long(30, f"n{i:02d}x"))
    for i in range(40)
)
STATS_BASIC = Statistics(
    total=3,
    by_status={"pending": 2, "approved": 1},
    by_kind={"question": 2, "idea": 1},
    by_language={"en": 2, "ar": 1},
    by_hour={"2026-12-03T09:00": 1, "2026-12-03T10:00": 2},
    by_topic={"-": 3},
    by_party={"-": 3},
    funnel=[("en", 2, 1, 1), ("ar", 1, 0, 0)],
)
STATS_FULL = Statistics(
    total=42,
    by_status={s.value: i + 1 for i, s in enumerate(Status)},
    by_kind={"question": 30, "idea": 12},
    by_language={"en": 20, "fr": 10, "ar": 7, "<und>": 5},
    by_hour={f"2026-12-03T{h:02d}:00": h for h in range(8, 20)},
    by_topic={"climate": 9, "-": 30, "health": 3},
    by_party={"-": 20, "Nairobi <Hub>": 12, "Accra": 5, "Lima": 5},
    funnel=[("en", 20, 10, 5)],
)
BROADCAST = Broadcast(
    id=3,
    created_by=99,
    author_name="Org",
    source_locale="en",
    text="Town hall starts at <b>15:00</b> & lasts 2h. " + _long(40, "b"),
    own_texts={"fr": "…", "es": "…"},
    state="preview",
    chat_id=99,
    message_id=None,
    recipients=None,
    cursor=0,
    confirmed_at=None,
)
BROADCAST_PLAIN = dataclasses.replace(BROADCAST, id=4, text="Short news.", own_texts={})
STREAM = "https://example.org/live?ref=bot&lang=fr"


def browse_items() -> list[render.browse.BrowseItem]:
    return [
        render.browse.BrowseItem(
            FULL, "Est-ce <b>sûr</b> & « cité » ?", machine=True, voted=False
        ),
        render.browse.BrowseItem(ARABIC, ARABIC.translation or "", machine=False, voted=True),
        render.browse.BrowseItem(PENDING, PENDING.text, machine=False, voted=False),
    ]


def queue_nav(offset: int) -> str:
    return callbacks.encode(callbacks.QueuePage(Status.PENDING, None, None, offset))


# ---- the cases: one list, "<function>" or "<function>.<variant>" -------------------------

Case = tuple[str, Callable[[Ctx], object]]

CASES: list[Case] = [
    # helpers that build pieces of messages
    ("escape", lambda c: render.base.escape(USER_HTML)),
    (
        "plain.html",
        lambda c: render.base.plain("<b>Bold</b> &amp; <i>it</i> &lt;tag&gt; &quot;q&quot;"),
    ),
    ("plain.clipped", lambda c: render.base.plain(LONG_TEXT, limit=50)),
    ("ref", lambda c: render.base.ref(7)),
    ("snippet.short", lambda c: render.base.snippet(USER_HTML)),
    ("snippet.long_multiline", lambda c: render.base.snippet(QUESTION_TEXT + " " + LONG_TEXT)),
    ("snippet.rtl", lambda c: render.base.snippet(RTL_TEXT, limit=20)),
    *[
        (f"minutes.{n}", lambda c, n=n: render.base.minutes(c.tr, n))
        for n in (0, 1, 2, 5, 11, 21, 100)
    ],
    *[(f"and_more.{n}", lambda c, n=n: render.base.and_more(c.tr, n)) for n in (1, 2, 5, 22)],
    ("kind_label.question", lambda c: render.base.kind_label(c.tr, Kind.QUESTION)),
    ("kind_label.idea", lambda c: render.base.kind_label(c.tr, Kind.IDEA)),
    *[
        (f"status_label.{s.value}", lambda c, s=s: render.base.status_label(c.tr, s))
        for s in Status
    ],
    # participants
    ("welcome.plain", lambda c: render.intake.welcome(c.tr)),
    (
        "welcome.starts_at",
        lambda c: render.intake.welcome(c.tr, render.base.moment(c.locale, SHOW_AT, NAIROBI)),
    ),
    ("help_text.limit_1", lambda c: render.intake.help_text(c.tr, 1, 1)),
    ("help_text.limit_5", lambda c: render.intake.help_text(c.tr, 5, 60)),
    ("confirmation.question", lambda c: render.intake.confirmation(c.tr, PENDING)),
    ("confirmation.idea", lambda c: render.intake.confirmation(c.tr, IDEA)),
    ("confirmation.topics_to_choose", lambda c: render.intake.confirmation(c.tr, PENDING, TOPICS)),
    (
        "confirmation.topic_chosen",
        lambda c: render.intake.confirmation(c.tr, sub(topic="climate"), TOPICS),
    ),
    (
        "confirmation.topic_skipped",
        lambda c: render.intake.confirmation(c.tr, sub(topic=""), TOPICS),
    ),
    ("confirmation.not_pending", lambda c: render.intake.confirmation(c.tr, ARABIC, TOPICS)),
    ("topic_chosen.none", lambda c: render.intake.topic_chosen(c.tr, 7, None)),
    ("topic_chosen.label", lambda c: render.intake.topic_chosen(c.tr, 7, "Climate & <energy>")),
    ("kind_switched.idea", lambda c: render.intake.kind_switched(c.tr, IDEA)),
    ("kind_switched.question", lambda c: render.intake.kind_switched(c.tr, PENDING)),
    ("cannot_change", lambda c: render.intake.cannot_change(c.tr, 7)),
    ("stale_button", lambda c: render.common.stale_button(c.tr)),
    ("my_submissions.none", lambda c: render.intake.my_submissions(c.tr, [], 0)),
    ("my_submissions.one", lambda c: render.intake.my_submissions(c.tr, [PENDING], 1)),
    (
        "my_submissions.latest_of_5",
        lambda c: render.intake.my_submissions(
            c.tr, [FULL, ARABIC, IDEA, sub(id=30, status=Status.MERGED, text=LONG_TEXT)], 5
        ),
    ),
    ("edit_accepted.question", lambda c: render.intake.edit_accepted(c.tr, PENDING)),
    ("edit_accepted.idea", lambda c: render.intake.edit_accepted(c.tr, IDEA)),
    ("edit_refused", lambda c: render.intake.edit_refused(c.tr, ARABIC)),
    ("edit_not_submission", lambda c: render.intake.edit_not_submission(c.tr)),
    # language choice and Telegram's menus
    (
        "language_menu",
        lambda c: render.language.language_menu(
            c.tr,
            [
                ("en", "English"),
                ("fr", "Français"),
                ("ar", "العربية"),
                ("zh", "中文 (简体)"),
                ("ru", "Русский"),
            ],
            "fr",
        ),
    ),
    ("language_chosen", lambda c: render.language.language_chosen(c.tr, "Français")),
    ("language_chosen_toast", lambda c: render.language.language_chosen_toast(c.tr, "العربية")),
    ("bot_commands", lambda c: render.language.bot_commands(c.tr)),
    ("moderator_commands.moderator", lambda c: render.language.moderator_commands(c.tr, False)),
    ("moderator_commands.organizer", lambda c: render.language.moderator_commands(c.tr, True)),
    ("bot_description", lambda c: render.language.bot_description(c.tr)),
    ("bot_short_description", lambda c: render.language.bot_short_description(c.tr)),
    # polite refusals
    ("unsupported_media", lambda c: render.intake.unsupported_media(c.tr)),
    ("empty_text", lambda c: render.intake.empty_text(c.tr)),
    ("too_short.1", lambda c: render.intake.too_short(c.tr, 1)),
    ("too_short.5", lambda c: render.intake.too_short(c.tr, 5)),
    ("missing_text.question", lambda c: render.intake.missing_text(c.tr, Kind.QUESTION)),
    ("missing_text.idea", lambda c: render.intake.missing_text(c.tr, Kind.IDEA)),
    ("rate_limited.1", lambda c: render.intake.rate_limited(c.tr, 1, 1, 0.5)),
    ("rate_limited.5", lambda c: render.intake.rate_limited(c.tr, 5, 60, 1234.0)),
    ("intake_closed.plain", lambda c: render.intake.intake_closed(c.tr)),
    (
        "intake_closed.opens_and_starts",
        lambda c: render.intake.intake_closed(
            c.tr,
            opens_at=render.base.moment(c.locale, T0, NAIROBI),
            starts_at=render.base.moment(c.locale, SHOW_AT, NAIROBI),
        ),
    ),
    ("moment.nairobi", lambda c: render.base.moment(c.locale, SHOW_AT, NAIROBI)),
    ("moment.utc", lambda c: render.base.moment(c.locale, T0, UTC_ZONE)),
    ("intake_switched.open", lambda c: render.intake.intake_switched(c.tr, True)),
    ("intake_switched.closed", lambda c: render.intake.intake_switched(c.tr, False)),
    ("unknown_command", lambda c: render.common.unknown_command(c.tr)),
    ("internal_error", lambda c: render.common.internal_error(c.tr)),
    ("please_wait.1", lambda c: render.common.please_wait(c.tr, 1)),
    ("please_wait.3", lambda c: render.common.please_wait(c.tr, 3)),
    ("please_wait.11", lambda c: render.common.please_wait(c.tr, 11)),
    # moderators
    (
        "post_body.translation_pending",
        lambda c: render.moderation.post_body(
            c.tr, sub(translation_status=TranslationStatus.PENDING, language=None)
        ),
    ),
    ("post_body.full", lambda c: render.moderation.post_body(c.tr, FULL, age_minutes=5)),
    ("post_body.age_1", lambda c: render.moderation.post_body(c.tr, ARABIC, age_minutes=1)),
    (
        "post_body.erased",
        lambda c: render.moderation.post_body(c.tr, sub(text="", language="und")),
    ),
    (
        "post_body.long_clipped",
        lambda c: render.moderation.post_body(
            c.tr,
            sub(text=LONG_TEXT, translation=LONG_TEXT, translation_status=TranslationStatus.DONE),
        ),
    ),
    (
        "post_body.rejected_reason",
        lambda c: render.moderation.post_body(
            c.tr, sub(status=Status.REJECTED, decided_by="Ana", reason=USER_HTML)
        ),
    ),
    (
        "post_body.rejected_long_reason",
        lambda c: render.moderation.post_body(
            c.tr, sub(status=Status.REJECTED, decided_by=None, reason=LONG_TEXT)
        ),
    ),
    (
        "post_body.merged",
        lambda c: render.moderation.post_body(
            c.tr, sub(status=Status.MERGED, decided_by="Ana", merged_into=3, similar_to=(3,))
        ),
    ),
    (
        "post_body.answered",
        lambda c: render.moderation.post_body(
            c.tr, sub(status=Status.ANSWERED, decided_by="Chen")
        ),
    ),
    (
        "post_body.withdrawn",
        lambda c: render.moderation.post_body(c.tr, sub(status=Status.WITHDRAWN)),
    ),
    ("moderator_post.pending", lambda c: render.moderation.moderator_post(c.tr, PENDING)),
    ("moderator_post.shortlisted", lambda c: render.moderation.moderator_post(c.tr, ARABIC)),
    ("moderator_post.approved", lambda c: render.moderation.moderator_post(c.tr, FULL)),
    (
        "moderator_post.rejected",
        lambda c: render.moderation.moderator_post(
            c.tr, sub(status=Status.REJECTED, decided_by="Ana")
        ),
    ),
    ("review_card.pending", lambda c: render.moderation.review_card(c.tr, PENDING, 12)),
    ("review_card.shortlisted", lambda c: render.moderation.review_card(c.tr, ARABIC, 1)),
    ("review_done", lambda c: render.moderation.review_done(c.tr)),
    ("digest.1", lambda c: render.moderation.digest(c.tr, [7], {"en": 1}, "09:41 <UTC>")),
    (
        "digest.70",
        lambda c: render.moderation.digest(
            c.tr, list(range(100, 170)), {"fr": 30, "ar": 25, "en": 15}, "09:41"
        ),
    ),
    *[
        (f"action_done.{a.value}", lambda c, a=a: render.moderation.action_done(c.tr, a, 7))
        for a in Action
    ],
    (
        "action_lost.by",
        lambda c: render.moderation.action_lost(c.tr, 7, Status.APPROVED, "Ana <mod>"),
    ),
    (
        "action_lost.no_one",
        lambda c: render.moderation.action_lost(c.tr, 7, Status.WITHDRAWN, None),
    ),
    ("no_such_submission", lambda c: render.moderation.no_such_submission(c.tr, 999)),
    *[
        (f"reason_too_long.{n}", lambda c, n=n: render.moderation.reason_too_long(c.tr, n))
        for n in (1, 500)
    ],
    (
        "action_results.many",
        lambda c: render.moderation.action_results(
            c.tr,
            [render.moderation.action_lost(c.tr, i, Status.APPROVED, NAME_MAX) for i in ID_RUN],
        ),
    ),
    ("staff_only.moderators", lambda c: render.common.staff_only(c.tr)),
    ("staff_only.organizers", lambda c: render.common.staff_only(c.tr, organizers=True)),
    ("anonymous_refused", lambda c: render.common.anonymous_refused(c.tr)),
    *[
        (f"usage.{cmd}", lambda c, cmd=cmd: render.common.usage(c.tr, cmd))
        for cmd in USAGE_COMMANDS
    ],
    (
        "queue_page.empty",
        lambda c: render.moderation.queue_page(c.tr, [], 0, 0, Status.REJECTED, (None, None)),
    ),
    (
        "queue_page.pending",
        lambda c: render.moderation.queue_page(
            c.tr,
            [PENDING, sub(id=9, language=None, text=LONG_TEXT), FULL],
            25,
            10,
            Status.PENDING,
            (queue_nav(0), queue_nav(20)),
        ),
    ),
    (
        "queue_page.approved_first",
        lambda c: render.moderation.queue_page(
            c.tr, [FULL, sub(id=13, position=3)], 2, 0, Status.APPROVED, (None, queue_nav(2))
        ),
    ),
    ("run_order.empty", lambda c: render.moderation.run_order(c.tr, [])),
    (
        "run_order.long",
        lambda c: render.moderation.run_order(
            c.tr, [sub(id=i, text=LONG_TEXT, position=i) for i in range(100, 250)]
        ),
    ),
    (
        "run_order.items",
        lambda c: render.moderation.run_order(c.tr, [FULL, ARABIC, sub(language=None)]),
    ),
    ("similar_line", lambda c: render.moderation.similar_line(c.tr, [12, 40])),
    (
        "show_submission.short_history",
        lambda c: render.moderation.show_submission(
            c.tr, FULL, HISTORY, similar=[3, 40], merged=[5, 6]
        ),
    ),
    (
        "show_submission.plain",
        lambda c: render.moderation.show_submission(c.tr, PENDING, []),
    ),
    (
        "show_submission.long_history",
        lambda c: render.moderation.show_submission(
            c.tr, ARABIC, LONG_HISTORY, similar=list(range(50, 70)), merged=list(range(200, 235))
        ),
    ),
    ("moved", lambda c: render.moderation.moved(c.tr, 7, 3)),
    ("not_approved", lambda c: render.moderation.not_approved(c.tr, 7)),
    (
        "invite_link.1",
        lambda c: render.moderation.invite_link(c.tr, "https://t.me/bot?start=a&b=1", 1),
    ),
    (
        "invite_link.24",
        lambda c: render.moderation.invite_link(c.tr, "https://t.me/bot?start=inv_x", 24),
    ),
    ("welcome_moderator", lambda c: render.moderation.welcome_moderator(c.tr)),
    ("invite_invalid", lambda c: render.moderation.invite_invalid(c.tr)),
    (
        "moderator_list",
        lambda c: render.moderation.moderator_list(
            c.tr, [111, 222], [(333, "Ana <mod> & co"), (444, "Bo")]
        ),
    ),
    ("moderator_list.empty", lambda c: render.moderation.moderator_list(c.tr, [], [])),
    ("unmodded.removed", lambda c: render.moderation.unmodded(c.tr, 333, True)),
    ("unmodded.not_removed", lambda c: render.moderation.unmodded(c.tr, 111, False)),
    ("moderator_help", lambda c: render.moderation.moderator_help(c.tr)),
    # what participants are told about their submission
    *[
        (
            f"status_notice.{s.value}",
            lambda c, s=s: render.intake.status_notice(c.tr, sub(status=s)),
        )
        for s in Status
    ],
    (
        "status_notice.rejected_reason",
        lambda c: render.intake.status_notice(c.tr, sub(status=Status.REJECTED, reason=USER_HTML)),
    ),
    ("withdrawn", lambda c: render.intake.withdrawn(c.tr, 7)),
    ("cannot_withdraw", lambda c: render.intake.cannot_withdraw(c.tr, 7)),
    # privacy
    ("privacy", lambda c: render.privacy.privacy(c.tr)),
    (
        "privacy.retention",
        lambda c: render.privacy.privacy(
            c.tr, render.privacy.erasure_day(c.locale, SHOW_AT, NAIROBI)
        ),
    ),
    # 22:30 UTC on the 10th is already the 11th in Nairobi: the event's zone decides the day.
    (
        "erasure_day.nairobi",
        lambda c: render.privacy.erasure_day(
            c.locale, datetime(2026, 12, 10, 22, 30, tzinfo=UTC), NAIROBI
        ),
    ),
    # the on-air screen
    (
        "page_words",
        lambda c: "\n".join(f"{k}: {v}" for k, v in render.screen.page_words(c.tr).items()),
    ),
    ("from_place.party", lambda c: render.screen.from_place(c.tr, "US Embassy & <Nairobi>")),
    ("from_place.participant", lambda c: render.screen.from_place(c.tr, None)),
    (
        "screen_links",
        lambda c: render.screen.screen_links(
            c.tr,
            "https://tv.example.org/screen/s3cr3t",
            "https://tv.example.org/order/0rd3r",
            False,
        ),
    ),
    (
        "screen_links.renewed",
        lambda c: render.screen.screen_links(
            c.tr, "https://tv.example.org/screen/n3w", "https://tv.example.org/order/n3w2", True
        ),
    ),
    ("forget_prompt.1", lambda c: render.privacy.forget_prompt(c.tr, 1)),
    ("forget_prompt.5", lambda c: render.privacy.forget_prompt(c.tr, 5)),
    ("forgotten", lambda c: render.privacy.forgotten(c.tr)),
    ("erased_copy", lambda c: render.privacy.erased_copy(c.tr)),
    # statistics and exports
    ("statistics.basic", lambda c: render.statistics.statistics(c.tr, STATS_BASIC)),
    ("statistics.full", lambda c: render.statistics.statistics(c.tr, STATS_FULL, hours=3)),
    ("chart_labels", lambda c: render.statistics.chart_labels(c.tr)),
    ("export_caption.1_all", lambda c: render.statistics.export_caption(c.tr, 1, [], None)),
    (
        "export_caption.5_filtered",
        lambda c: render.statistics.export_caption(c.tr, 5, ["pending", "approved"], "idea"),
    ),
    ("export_failed", lambda c: render.statistics.export_failed(c.tr)),
    # broadcasts
    (
        "broadcast_preview.1",
        lambda c: render.broadcast.broadcast_preview(c.tr, BROADCAST_PLAIN, 1),
    ),
    (
        "broadcast_preview.5_own_texts",
        lambda c: render.broadcast.broadcast_preview(c.tr, BROADCAST, 5),
    ),
    ("broadcast_too_long", lambda c: render.broadcast.broadcast_too_long(c.tr, 3500)),
    ("broadcast_already", lambda c: render.broadcast.broadcast_already(c.tr)),
    ("broadcast_cancelled", lambda c: render.broadcast.broadcast_cancelled(c.tr)),
    ("broadcast_started.1", lambda c: render.broadcast.broadcast_started(c.tr, 1)),
    ("broadcast_started.5", lambda c: render.broadcast.broadcast_started(c.tr, 5)),
    (
        "broadcast_messages.titled_machine",
        lambda c: render.broadcast.broadcast_messages(c.tr, USER_HTML, True, "Town <Hall> & co"),
    ),
    (
        "broadcast_messages.plain",
        lambda c: render.broadcast.broadcast_messages(c.tr, RTL_TEXT, False, None),
    ),
    (
        "broadcast_messages.long_in_parts",
        lambda c: render.broadcast.broadcast_messages(
            c.tr, LONG_PARAGRAPHS, True, "Town <Hall> & co"
        ),
    ),
    (
        "broadcast_progress.sending",
        lambda c: render.broadcast.broadcast_progress(
            c.tr, BROADCAST, Progress(10, 7, 3, 0, 0), False
        ),
    ),
    (
        "broadcast_progress.finished_1",
        lambda c: render.broadcast.broadcast_progress(
            c.tr, BROADCAST_PLAIN, Progress(3, 0, 1, 1, 1), True
        ),
    ),
    (
        "broadcast_progress.finished_5",
        lambda c: render.broadcast.broadcast_progress(
            c.tr, BROADCAST, Progress(20, 0, 10, 5, 5), True
        ),
    ),
    *[
        (
            f"broadcast_progress.refused_{n}",
            lambda c, n=n: render.broadcast.broadcast_progress(
                c.tr, BROADCAST, Progress(20, 0, 15, 2, 0, n), True
            ),
        )
        for n in (1, 3)
    ],
    # browsing and voting
    (
        "browse_page.empty",
        lambda c: render.browse.browse_page(c.tr, [], 0, 0, 5, Sort.VOTES, None),
    ),
    (
        "browse_page.votes_first",
        lambda c: render.browse.browse_page(c.tr, browse_items(), 12, 0, 3, Sort.VOTES, None),
    ),
    (
        "browse_page.newest_original",
        lambda c: render.browse.browse_page(c.tr, browse_items(), 6, 3, 3, Sort.NEWEST, 21),
    ),
    (
        "browse_page.long_original",
        lambda c: render.browse.browse_page(
            c.tr,
            [
                render.browse.BrowseItem(
                    sub(text=LONG_TEXT, language=None), _long(80, "t"), True, False
                )
            ],
            1,
            0,
            5,
            Sort.VOTES,
            7,
        ),
    ),
    ("vote_toast.added_1", lambda c: render.browse.vote_toast(c.tr, 7, VoteOutcome.ADDED, 1)),
    ("vote_toast.added_5", lambda c: render.browse.vote_toast(c.tr, 7, VoteOutcome.ADDED, 5)),
    ("vote_toast.removed", lambda c: render.browse.vote_toast(c.tr, 7, VoteOutcome.REMOVED, 4)),
    ("vote_toast.own", lambda c: render.browse.vote_toast(c.tr, 7, VoteOutcome.OWN, 4)),
    (
        "vote_toast.not_public",
        lambda c: render.browse.vote_toast(c.tr, 7, VoteOutcome.NOT_PUBLIC, 0),
    ),
    # curation
    ("voices.1_1", lambda c: render.curation.voices(c.tr, 1, 1)),
    ("voices.5_5", lambda c: render.curation.voices(c.tr, 5, 5)),
    ("merge_done.1_1", lambda c: render.curation.merge_done(c.tr, 9, 7, 1, 1, 1)),
    ("merge_done.5_5", lambda c: render.curation.merge_done(c.tr, 9, 7, 5, 5, 12)),
    (
        "merge_refused.itself",
        lambda c: render.curation.merge_refused(c.tr, "same", PENDING, PENDING),
    ),
    (
        "merge_refused.already_part",
        lambda c: render.curation.merge_refused(c.tr, "same", PENDING, FULL),
    ),
    (
        "merge_refused.kinds_differ",
        lambda c: render.curation.merge_refused(c.tr, "kinds_differ", IDEA, FULL),
    ),
    (
        "merge_refused.source_closed",
        lambda c: render.curation.merge_refused(
            c.tr, "source_closed", sub(status=Status.ANSWERED), FULL
        ),
    ),
    (
        "merge_refused.target_closed",
        lambda c: render.curation.merge_refused(
            c.tr, "target_closed", PENDING, sub(id=9, status=Status.REJECTED)
        ),
    ),
    (
        "merge_refused.target_merged",
        lambda c: render.curation.merge_refused(
            c.tr, "target_closed", PENDING, sub(id=9, status=Status.MERGED, merged_into=3)
        ),
    ),
    (
        "merge_refused.not_found",
        lambda c: render.curation.merge_refused(c.tr, "not_found", None, None),
    ),
    ("merge_notice.question_1_1", lambda c: render.curation.merge_notice(c.tr, PENDING, 3, 1, 1)),
    ("merge_notice.idea_5_5", lambda c: render.curation.merge_notice(c.tr, IDEA, 3, 5, 5)),
    ("translation_fixed", lambda c: render.curation.translation_fixed(c.tr, 7)),
    ("translation_not_fixed", lambda c: render.curation.translation_not_fixed(c.tr, 7)),
    ("answer_queued.1_1", lambda c: render.curation.answer_queued(c.tr, 7, 1, 1, 0)),
    ("answer_queued.1_1_machine_1", lambda c: render.curation.answer_queued(c.tr, 7, 1, 1, 1)),
    ("answer_queued.5_5_machine_5", lambda c: render.curation.answer_queued(c.tr, 7, 5, 5, 5)),
    ("answer_already", lambda c: render.curation.answer_already(c.tr, 7)),
    (
        "answer_refused",
        lambda c: render.curation.answer_refused(c.tr, sub(status=Status.WITHDRAWN)),
    ),
    (
        "written_answers.asked",
        lambda c: render.curation.written_answers(c.tr, 7, USER_HTML, False, True),
    ),
    (
        "written_answers.supporter_machine",
        lambda c: render.curation.written_answers(c.tr, 7, RTL_TEXT, True, False),
    ),
    (
        "written_answers.long_whole",
        lambda c: render.curation.written_answers(c.tr, 7, LONG_ANSWER, False, True),
    ),
    (
        "written_answers.long_in_parts",
        lambda c: render.curation.written_answers(c.tr, 7, LONG_PARAGRAPHS, True, False),
    ),
    # the live show
    ("now_answering.asked_stream", lambda c: render.live.now_answering(c.tr, 7, True, STREAM)),
    ("now_answering.supporter", lambda c: render.live.now_answering(c.tr, 7, False, None)),
    ("live_board.empty", lambda c: render.live.live_board(c.tr, None, [])),
    (
        "live_board.on_air",
        lambda c: render.live.live_board(c.tr, FULL, [ARABIC, sub(id=13, language=None)]),
    ),
    ("live_told.1", lambda c: render.live.live_told(c.tr, 1)),
    ("live_told.5", lambda c: render.live.live_told(c.tr, 5)),
    ("live_refused.moved_on", lambda c: render.live.live_refused(c.tr, "moved_on", None)),
    ("live_refused.already", lambda c: render.live.live_refused(c.tr, "already", FULL)),
    (
        "live_refused.not_a_question",
        lambda c: render.live.live_refused(c.tr, "not_a_question", IDEA),
    ),
    (
        "live_refused.wrong_status",
        lambda c: render.live.live_refused(c.tr, "wrong_status", ARABIC),
    ),
    ("live_refused.nothing_next", lambda c: render.live.live_refused(c.tr, "nothing_next", None)),
    ("live_refused.not_found", lambda c: render.live.live_refused(c.tr, "not_found", None)),
    (
        "show_time.upcoming",
        lambda c: render.live.show_time(
            c.tr, c.locale, "Town <Hall> & co", SHOW_AT, NAIROBI, T0, STREAM
        ),
    ),
    (
        "show_time.started_utc",
        lambda c: render.live.show_time(
            c.tr, c.locale, None, T0, UTC_ZONE, T0 + timedelta(minutes=75), None
        ),
    ),
    ("no_show_time", lambda c: render.live.no_show_time(c.tr)),
    *[
        (f"countdown.{name}", lambda c, left=left: render.live.countdown(c.locale, left))
        for name, left in (
            ("days_hours", timedelta(days=6, hours=3, minutes=59)),
            ("1_day_1_hour", timedelta(days=1, hours=1)),
            ("days_only", timedelta(days=10, minutes=5)),
            ("hours_minutes", timedelta(hours=2, minutes=5)),
            ("hours_only", timedelta(hours=5)),
            ("1_minute", timedelta(seconds=90)),
            ("zero", timedelta(seconds=30)),
            ("negative", timedelta(minutes=-5)),
        )
    ],
    # viewing parties
    (
        "party_registered.new",
        lambda c: render.parties.party_registered(
            c.tr, "Nairobi <Hub> & friends", 4, True, "Kiswahili"
        ),
    ),
    (
        "party_registered.renamed",
        lambda c: render.parties.party_registered(c.tr, "مركز القاهرة", 4, False, "العربية"),
    ),
    ("party_language_set", lambda c: render.parties.party_language_set(c.tr, "Français")),
    ("not_a_party", lambda c: render.parties.not_a_party(c.tr)),
    ("ask_as_yourself", lambda c: render.parties.ask_as_yourself(c.tr)),
    ("party_only_in_groups", lambda c: render.parties.party_only_in_groups(c.tr)),
    ("party_list.empty", lambda c: render.parties.party_list(c.tr, [])),
    (
        "party_list.some",
        lambda c: render.parties.party_list(
            c.tr, [(1, "Accra", "en", 3), (4, "Nairobi <Hub>", "sw", 0)]
        ),
    ),
    (
        "party_list.many",
        lambda c: render.parties.party_list(
            c.tr, [(n, f"Place {n}", "fr", n) for n in range(1, 36)]
        ),
    ),
    # a Reply as it goes to the outbox
    (
        "Reply.send",
        lambda c: render.moderation.review_card(c.tr, PENDING, 3).send(1001, "key-1", reply_to=55),
    ),
    ("Reply.edit", lambda c: render.intake.welcome(c.tr).edit(1001, 56, None)),
]


# ---- serialization ----------------------------------------------------------------------


def serialize(value: object) -> str:
    """A result as text: its type on the first line, then its content, line by line."""
    kind = type(value).__name__
    if value is None or isinstance(value, str):
        return f"<{kind}>\n{value}"
    if isinstance(value, render.base.Reply):
        lines = [f"<{kind}>", value.text]
        for number, row in enumerate(value.buttons, start=1):
            lines.append(f"--- buttons, row {number} ---")
            lines += [f"[{button.text}] {button.callback_data}" for button in row]
        for field in dataclasses.fields(value):
            if field.name not in ("text", "buttons"):
                lines.append(f"--- {field.name} ---\n{getattr(value, field.name)!r}")
        return "\n".join(lines)
    if (
        isinstance(value, list) and value and all(isinstance(v, render.base.Reply) for v in value)
    ):  # one text sent as several messages
        return "\n".join(
            f"--- message {n} of {len(value)} ---\n{serialize(v)}" for n, v in enumerate(value, 1)
        )
    if isinstance(value, (list, tuple)):
        items = [" | ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in value]
        return "\n".join([f"<{kind}>", *items])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.asdict(value)
        return f"<{kind}>\n" + json.dumps(fields, ensure_ascii=False, indent=1, sort_keys=True)
    raise TypeError(f"no serialization for {kind}")


def render_locale(locale: str) -> dict[str, str]:
    ctx = Ctx(_catalogs().get(locale), locale)
    return {name: serialize(make(ctx)) for name, make in CASES}


# ---- the snapshot files -----------------------------------------------------------------

_HEADER = re.compile(r"^=== (\S+) ===$", re.MULTILINE)


def golden_path(locale: str) -> Path:
    return GOLDEN_DIR / f"{locale}.txt"


def dump(cases: dict[str, str]) -> str:
    return "\n\n".join(f"=== {name} ===\n{body}" for name, body in cases.items()) + "\n"


def parse(content: str) -> dict[str, str]:
    """The cases of a snapshot file, by name (a name twice is an error)."""
    content = content.removesuffix("\n")
    parts = _HEADER.split(content)
    if parts[0].strip():
        raise ValueError(f"text before the first case: {parts[0][:80]!r}")
    cases: dict[str, str] = {}
    for index in range(1, len(parts), 2):
        name, body = parts[index], parts[index + 1]
        if name in cases:
            raise ValueError(f"case {name} appears twice")
        body = body.removeprefix("\n")
        cases[name] = body.removesuffix("\n\n") if index + 2 < len(parts) else body
    return cases


def compare(locale: str, expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """What differs, readably: missing and extra cases, and a diff per changed case."""
    problems = []
    missing = [name for name in actual if name not in expected]
    extra = [name for name in expected if name not in actual]
    if missing:
        problems.append(f"cases missing from golden/{locale}.txt: {', '.join(missing)}")
    if extra:
        problems.append(f"cases in golden/{locale}.txt that no longer exist: {', '.join(extra)}")
    for name, text in actual.items():
        if name in expected and expected[name] != text:
            diff = difflib.unified_diff(
                expected[name].splitlines(),
                text.splitlines(),
                f"golden/{locale}.txt [{name}]",
                f"rendered [{name}]",
                lineterm="",
            )
            problems.append("\n".join(diff))
    return problems


# ---- tests ------------------------------------------------------------------------------


def test_case_names_are_unique_and_well_formed() -> None:
    names = [name for name, _ in CASES]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    assert all(re.fullmatch(r"[A-Za-z_][\w.]*", name) for name in names)


def _render_modules(package: ModuleType) -> Iterator[ModuleType]:
    yield package
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), package.__name__ + "."):
        yield importlib.import_module(info.name)


# Building blocks shared by render/'s modules (made public by the split): each shows only
# through the texts that use it, which have cases.
BUILDING_BLOCKS = {
    "babel_locale",
    "clip_to",
    "preview",
    # Telegram's limit: each shows in the texts that use it (and tests/test_text_limits.py).
    "size",
    "escape_clipped",
    "fit",
    "split_text",
    "in_pieces",
}


def test_every_public_render_function_has_a_case() -> None:
    """Still true once render is a package: its submodules are walked too."""
    covered = {name.split(".", 1)[0] for name, _ in CASES} | BUILDING_BLOCKS
    public = {
        name
        for module in _render_modules(render)
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and name[0] != "_"
    }
    assert not public - covered, f"render functions without a golden case: {public - covered}"


def test_every_locale_has_a_golden_file() -> None:
    files = {p.stem for p in GOLDEN_DIR.glob("*.txt")}
    assert set(SHIPPED) <= files, f"no golden file for {set(SHIPPED) - files}: see --update"
    assert files <= set(SHIPPED), f"golden files for locales not shipped: {files - set(SHIPPED)}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_golden(locale: str) -> None:
    path = golden_path(locale)
    if not path.exists():
        pytest.fail(f"{path} is missing: python -m tests.test_golden --update, then review it")
    problems = compare(locale, parse(path.read_text(encoding="utf-8")), render_locale(locale))
    if problems:
        pytest.fail(
            f"{len(problems)} difference(s) from the golden texts in {locale}; if intended, "
            "regenerate with `python -m tests.test_golden --update` and review the diff.\n\n"
            + "\n\n".join(problems),
            pytrace=False,
        )


def test_snapshot_format_round_trips() -> None:
    cases = {"a": "<str>\nx\n\ny", "b.c": "<str>\n", "d": "<NoneType>\nNone"}
    assert parse(dump(cases)) == cases


# ---- regeneration (never run by the tests) ----------------------------------------------


def update(locales: tuple[str, ...]) -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for locale in locales:
        path = golden_path(locale)
        content = dump(render_locale(locale))
        before = path.read_text(encoding="utf-8") if path.exists() else None
        if content != before:
            path.write_text(content, encoding="utf-8")
        state = "created" if before is None else "updated" if content != before else "unchanged"
        print(f"{path.relative_to(ROOT)}: {len(CASES)} cases, {state}")
    for stale in GOLDEN_DIR.glob("*.txt"):
        if stale.stem not in SHIPPED:
            print(f"{stale.relative_to(ROOT)}: no such locale any more; delete it by hand")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/*.txt")
    parser.add_argument("locales", nargs="*", help="only these locales (default: all)")
    args = parser.parse_args(argv)
    if not args.update:
        parser.error("nothing to do without --update (the test itself is run by pytest)")
    unknown = set(args.locales) - set(SHIPPED)
    if unknown:
        parser.error(f"unknown locales: {', '.join(sorted(unknown))}")
    update(tuple(args.locales) or SHIPPED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
