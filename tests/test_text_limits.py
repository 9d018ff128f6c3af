"""Every text the bot sends fits in one Telegram message (4,096 characters), in every locale,
with the longest inputs it accepts; longer announcements and answers go out whole, in parts.

Telegram refuses a longer text, and the message is lost. Each text is measured as the HTML the
bot sends, in UTF-16 code units (`render.base.size`): never less than what Telegram counts.
The cases are the golden test's (every render function, ordinary inputs) and those below
(maximum inputs: the longest texts, reasons, names, places, topic labels the bot lets in,
200-item lists, and for announcements and answers a fake engine whose translations are half
as long again as the original). tests/services/test_long_texts.py takes announcements,
answers and reasons through the services.
"""

from __future__ import annotations

import dataclasses
import html
import inspect
import random
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot import render
from bot.render.base import TEXT_LIMIT, escape, size, split_text
from bot.services.broadcast import MAX_BROADCAST_CHARS
from storage.broadcasts import Broadcast, Progress
from storage.models import Kind, Status, TranslationStatus
from storage.statistics import Statistics
from tests.test_golden import (
    CASES,
    NAIROBI,
    SHIPPED,
    SHOW_AT,
    T0,
    Case,
    Ctx,
    _catalogs,
    _render_modules,
    sub,
)

# ---- the longest inputs the bot lets in ---------------------------------------------------

# Participants' texts: Telegram's 4,096 characters, stored as sent. Words with HTML's special
# characters; nothing but special characters (five times longer once escaped); emoji (two
# UTF-16 units each).
WORDS = ("Q&A <about> the budget, 2027: who decides? " * 100)[:4096]
SPECIALS = "&<" * 2048
EMOJI = "🌍" * 4096
TEXTS = {"words": WORDS, "specials": SPECIALS, "emoji": EMOJI}
NAME = ("Ana & <Bo> " * 12)[:129]  # Telegram: first name 64, last name 64
PLACE = ("Hub & <Co> " * 8)[:80]  # bot/services/parties.py MAX_PLACE
TOPIC_ID = "t" * 24  # bot/event.py: 24 at most
TOPIC_LABEL = ("Climate & <energy> " * 3)[:40]  # bot/event.py MAX_LABEL_CHARS
REASON = ("Off topic & <dup>. " * 30)[: render.base.REASON_CHARS]
TITLE = ("Town Hall & <Climate> " * 10)[:200]  # bot/event.py: event.name, 200 at most
STREAM = "https://example.org/live?" + "ref=bot&" * 250  # the event file does not bound it
MANY = 200
PUBLIC_URL = "https://" + "tv." * 64 + "org"  # bot/config.py: 200 characters at most


def longer(text: str, locale: str) -> str:
    """A fake engine's translation: every word twice as long, in the locale's script, with its
    own sentence ends; paragraphs, emoji and special characters kept. Half as long again as
    the original at least (checked where it is used)."""
    letter, stop = _SCRIPTS.get(locale, ("x", "."))
    out = re.sub(r"[^\W\d_]+", lambda m: letter * 2 * len(m.group()), text)
    return re.sub(r"[.?!](?=\s|$)", stop, out)


_SCRIPTS = {
    "am": ("ሀ", "።"),
    "ar": ("ب", "؟"),
    "bn": ("ক", "।"),
    "fa": ("ب", "."),
    "hi": ("क", "।"),
    "my": ("က", "။"),
    "ru": ("ж", "."),
    "uk": ("ж", "."),
    "ur": ("ب", "۔"),
    "zh": ("文", "。"),
}

# An announcement as long as /broadcast takes, in paragraphs of sentences; and an answer as
# long as a Telegram message after "/answer 123456 ".
_SENTENCE = "Q&A <live> 🌍 at 15:00, with the minister and 40 partners. "
ANNOUNCEMENT = "\n\n".join([_SENTENCE * 9] * 20)[:MAX_BROADCAST_CHARS]
ANSWER = ("The ministry & <partners> will act on this. " * 100)[: 4096 - len("/answer 123456 ")]


def big(sid: int, text: str, **changes: Any) -> Any:
    """A submission with every field at its longest."""
    fields: dict[str, Any] = dict(
        id=sid,
        text=text,
        translation=text,
        translation_engine="deepl",
        translation_status=TranslationStatus.DONE,
        translation_reviewed_by=NAME,
        decided_by=NAME,
        status=Status.REJECTED,
        reason=REASON,
        topic=TOPIC_ID,
        votes=10**9,
        similar_to=(10**8, 10**8 + 1, 10**8 + 2),
        party_id=10**9,
        party_place=PLACE,
        position=10**6,
        merged_into=10**8,
        language="und",
        language_confidence=1.0,
    )
    fields.update(changes)
    return sub(**fields)


def subs(text: str, count: int = MANY, **changes: Any) -> list[Any]:
    return [big(10**8 + i, text, **changes) for i in range(count)]


BROADCAST = Broadcast(
    id=10**6,
    created_by=1,
    author_name=NAME,
    source_locale="en",
    text=ANNOUNCEMENT,
    own_texts={locale: ANNOUNCEMENT for locale in SHIPPED},
    state="sending",
    chat_id=1,
    message_id=2,
    recipients=10**9,
    cursor=0,
    confirmed_at=None,
)
STATISTICS = Statistics(
    total=10**9,
    by_status={s.value: 10**9 for s in Status},
    by_kind={k.value: 10**9 for k in Kind},
    by_language={f"l{i:03d}": 10**9 for i in range(MANY)},
    by_hour={f"2026-12-03T{h:02d}:00": 10**9 for h in range(24)},
    by_topic={f"{TOPIC_ID[:-3]}{i:03d}": 10**9 for i in range(MANY)},
    by_party={f"{PLACE[:-3]}{i:03d}": 10**9 for i in range(MANY)},
    funnel=[],
)
HISTORY = [("2026-12-03 10:00", f"reject · {NAME} (pending → rejected): {REASON}")] * MANY
PROGRESS = Progress(10**9, 10**9, 10**9, 10**9, 10**9, 10**9)


def _per_text(name: str, make: Callable[[Ctx, str], object]) -> list[Case]:
    return [(f"{name}.{kind}", lambda c, t=text: make(c, t)) for kind, text in TEXTS.items()]


MAX_CASES: list[Case] = [
    # the on-air screen's links: TOWNHALL_PUBLIC_URL is at most 200 characters
    (
        "screen_links",
        lambda c: render.screen.screen_links(
            c.tr, PUBLIC_URL + "/screen/" + "s" * 24, PUBLIC_URL + "/order/" + "o" * 24, True
        ),
    ),
    ("from_place", lambda c: render.screen.from_place(c.tr, PLACE)),
    # participants
    ("welcome", lambda c: render.intake.welcome(c.tr, render.base.moment(c.locale, T0, NAIROBI))),
    *_per_text(
        "confirmation",
        lambda c, t: render.intake.confirmation(
            c.tr,
            big(1, t, status=Status.PENDING, topic=None),
            [(f"{TOPIC_ID[:-2]}{i:02d}", TOPIC_LABEL) for i in range(12)],
        ),
    ),
    *_per_text(
        "confirmation.topic",
        lambda c, t: render.intake.confirmation(c.tr, big(1, t), [(TOPIC_ID, TOPIC_LABEL)]),
    ),
    ("topic_chosen", lambda c: render.intake.topic_chosen(c.tr, 10**9, TOPIC_LABEL)),
    ("kind_switched", lambda c: render.intake.kind_switched(c.tr, big(10**9, WORDS))),
    *_per_text("my_submissions", lambda c, t: render.intake.my_submissions(c.tr, subs(t), 10**9)),
    ("edit_accepted", lambda c: render.intake.edit_accepted(c.tr, big(10**9, WORDS))),
    ("edit_refused", lambda c: render.intake.edit_refused(c.tr, big(10**9, WORDS))),
    (
        "intake_closed",
        lambda c: render.intake.intake_closed(
            c.tr,
            render.base.moment(c.locale, T0, NAIROBI),
            render.base.moment(c.locale, SHOW_AT, NAIROBI),
        ),
    ),
    *[
        (
            f"status_notice.{s.value}",
            lambda c, s=s: render.intake.status_notice(c.tr, big(1, "", status=s)),
        )
        for s in Status
    ],
    (
        "status_notice.specials_reason",
        lambda c: render.intake.status_notice(c.tr, big(1, "", reason=SPECIALS[:500])),
    ),
    (
        "status_notice.reason_from_before_the_cap",
        lambda c: render.intake.status_notice(c.tr, big(1, "", reason=SPECIALS)),
    ),
    # languages
    (
        "language_menu",
        lambda c: render.language.language_menu(
            c.tr, [(loc, NAME) for loc in SHIPPED], SHIPPED[0]
        ),
    ),
    ("language_chosen", lambda c: render.language.language_chosen(c.tr, NAME)),
    ("language_chosen_toast", lambda c: render.language.language_chosen_toast(c.tr, NAME)),
    # moderators
    *_per_text("post_body", lambda c, t: render.moderation.post_body(c.tr, big(1, t), 10**6)),
    *_per_text(
        "post_body.translation_pending",
        lambda c, t: render.moderation.post_body(
            c.tr, big(1, t, translation=None, translation_status=TranslationStatus.PENDING)
        ),
    ),
    *_per_text("moderator_post", lambda c, t: render.moderation.moderator_post(c.tr, big(1, t))),
    *_per_text(
        "review_card",
        lambda c, t: render.moderation.review_card(c.tr, big(1, t, status=Status.PENDING), 10**6),
    ),
    (
        "digest",
        lambda c: render.moderation.digest(
            c.tr,
            list(range(10**8, 10**8 + MANY)),
            {f"l{i:03d}": 10**6 for i in range(MANY)},
            "2026-12-03 09:41 UTC",
        ),
    ),
    (
        "action_lost",
        lambda c: render.moderation.action_lost(c.tr, 10**9, Status.APPROVED, NAME),
    ),
    (
        "action_results",
        lambda c: render.moderation.action_results(
            c.tr,
            [render.moderation.action_lost(c.tr, i, Status.APPROVED, NAME) for i in range(1000)],
        ),
    ),
    *_per_text(
        "queue_page",
        lambda c, t: render.moderation.queue_page(
            c.tr, subs(t, 8), 10**9, 10**9, Status.APPROVED, ("a" * 64, "b" * 64)
        ),
    ),
    *_per_text(
        "queue_page.200",
        lambda c, t: render.moderation.queue_page(
            c.tr, subs(t), 10**9, 0, Status.PENDING, (None, "b" * 64)
        ),
    ),
    *_per_text("run_order", lambda c, t: render.moderation.run_order(c.tr, subs(t))),
    ("similar_line", lambda c: render.moderation.similar_line(c.tr, range(10**8, 10**8 + MANY))),
    *_per_text(
        "show_submission",
        lambda c, t: render.moderation.show_submission(
            c.tr,
            big(1, t),
            HISTORY,
            list(range(10**8, 10**8 + MANY)),
            list(range(10**8, 10**8 + MANY)),
        ),
    ),
    (
        "invite_link",
        lambda c: render.moderation.invite_link(
            c.tr, "https://t.me/" + "b" * 32 + "?start=" + "x" * 64, 10**6
        ),
    ),
    (
        "moderator_list",
        lambda c: render.moderation.moderator_list(
            c.tr, list(range(10**9, 10**9 + MANY)), [(10**9 + i, NAME) for i in range(MANY)]
        ),
    ),
    # curation
    *[
        (
            f"merge_refused.{outcome}",
            lambda c, o=outcome: render.curation.merge_refused(
                c.tr, o, big(1, WORDS), big(2, WORDS, merged_into=10**9)
            ),
        )
        for outcome in ("same", "kinds_differ", "source_closed", "target_closed", "other")
    ],
    (
        "merge_notice",
        lambda c: render.curation.merge_notice(c.tr, big(10**9, WORDS), 10**9, 10**9, 10**9),
    ),
    ("answer_refused", lambda c: render.curation.answer_refused(c.tr, big(10**9, WORDS))),
    *[
        (
            f"written_answers.{name}",
            lambda c, t=text: render.curation.written_answers(
                c.tr, 10**9, longer(t, c.locale), True, False
            ),
        )
        for name, text in {"answer": ANSWER, **TEXTS}.items()
    ],
    # announcements
    ("broadcast_preview", lambda c: render.broadcast.broadcast_preview(c.tr, BROADCAST, 10**9)),
    (
        "broadcast_preview.specials",
        lambda c: render.broadcast.broadcast_preview(
            c.tr, dataclasses.replace(BROADCAST, text=SPECIALS[:MAX_BROADCAST_CHARS]), 10**9
        ),
    ),
    *[
        (
            f"broadcast_messages.{name}",
            lambda c, t=text: render.broadcast.broadcast_messages(
                c.tr, longer(t[:MAX_BROADCAST_CHARS], c.locale), True, TITLE
            ),
        )
        for name, text in {"announcement": ANNOUNCEMENT, **TEXTS}.items()
    ],
    (
        "broadcast_progress",
        lambda c: render.broadcast.broadcast_progress(c.tr, BROADCAST, PROGRESS, True),
    ),
    # browsing
    *_per_text(
        "browse_page",
        lambda c, t: render.browse.browse_page(
            c.tr,
            [render.browse.BrowseItem(s, t, True, False) for s in subs(t, 5)],
            10**9,
            10**9,
            5,
            render.browse.Sort.VOTES,
            10**8,
        ),
    ),
    # the live show
    ("now_answering", lambda c: render.live.now_answering(c.tr, 10**9, False, STREAM)),
    *_per_text(
        "live_board",
        lambda c, t: render.live.live_board(c.tr, big(1, t), subs(t, 2)),
    ),
    *[
        (
            f"live_refused.{outcome}",
            lambda c, o=outcome: render.live.live_refused(c.tr, o, big(10**9, WORDS)),
        )
        for outcome in ("moved_on", "already", "not_a_question", "wrong_status", "other")
    ],
    (
        "show_time",
        lambda c: render.live.show_time(
            c.tr, c.locale, TITLE, SHOW_AT, NAIROBI, T0 - timedelta(days=10**4), STREAM
        ),
    ),
    # viewing parties
    (
        "party_registered",
        lambda c: render.parties.party_registered(c.tr, PLACE, 10**9, True, NAME),
    ),
    ("party_language_set", lambda c: render.parties.party_language_set(c.tr, NAME)),
    (
        "party_list",
        lambda c: render.parties.party_list(
            c.tr, [(10**9 + i, PLACE, "zh_Hans", 10**9) for i in range(MANY)]
        ),
    ),
    # organizers
    ("statistics", lambda c: render.statistics.statistics(c.tr, STATISTICS, hours=24)),
    (
        "export_caption",
        lambda c: render.statistics.export_caption(
            c.tr, 10**9, [s.value for s in Status], Kind.QUESTION.value
        ),
    ),
    (
        "privacy",
        lambda c: render.privacy.privacy(
            c.tr, render.privacy.erasure_day(c.locale, SHOW_AT, NAIROBI)
        ),
    ),
]


# ---- what counts as a message -----------------------------------------------------------


def texts_of(value: object) -> list[str]:
    """The texts a render result sends: a Reply's, each of several Replies', a line-per-item
    list's (joined as the handler joins it), a plain text's."""
    if isinstance(value, render.base.Reply):
        return [value.text]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, render.base.Reply) for v in value):
        return [v.text for v in value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ["\n".join(value)]
    return []  # Telegram's menus, chart labels, voices: not message texts


def all_cases() -> Iterator[tuple[str, Callable[[Ctx], object]]]:
    yield from (("golden:" + name, make) for name, make in CASES)
    yield from (("max:" + name, make) for name, make in MAX_CASES)


def longest(locale: str) -> tuple[int, str]:
    """The longest text in `locale` and its case (for the figures quoted in reports)."""
    ctx = Ctx(_catalogs().get(locale), locale)
    return max((size(text), name) for name, make in all_cases() for text in texts_of(make(ctx)))


# ---- every text, every locale ------------------------------------------------------------


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_text_fits_in_one_message(locale: str) -> None:
    ctx = Ctx(_catalogs().get(locale), locale)
    over = [
        (name, size(text))
        for name, make in all_cases()
        for text in texts_of(make(ctx))
        if size(text) > TEXT_LIMIT or not text.strip()
    ]
    assert not over, f"{locale}: texts over {TEXT_LIMIT} (or empty): {over}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_the_export_caption_fits_a_documents_caption(locale: str) -> None:
    """It goes out as a document's caption: Telegram takes 1,024 characters there."""
    ctx = Ctx(_catalogs().get(locale), locale)
    [caption] = texts_of(dict(MAX_CASES)["export_caption"](ctx))
    assert size(caption) <= 1024


# Parameters whose values come from a closed set (a locale code, an outcome, a command name).
_CLOSED = {"tr", "locale", "outcome", "command", "current", "kind"}
_UNBOUNDED = ("str", "Sequence", "Submission", "Broadcast", "Statistics", "dict", "Mapping")


def test_every_render_function_taking_text_or_lists_has_a_maximum_case() -> None:
    """A render function that embeds text from people or lists of any length is measured
    here with the longest of them: a new one needs a case in MAX_CASES."""
    covered = {name.split(".", 1)[0] for name, _ in MAX_CASES}
    missing = set()
    for module in _render_modules(render):
        if module is render.base or module is render:
            continue
        for name, obj in vars(module).items():
            if not inspect.isfunction(obj) or obj.__module__ != module.__name__ or name[0] == "_":
                continue
            params = inspect.signature(obj).parameters.values()
            if any(
                p.name not in _CLOSED and any(t in str(p.annotation) for t in _UNBOUNDED)
                for p in params
            ):
                missing.add(name)
    assert not missing - covered, f"no maximum-input case for {sorted(missing - covered)}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_long_announcements_and_answers_go_out_whole_in_order(locale: str) -> None:
    """The fake engine's translation (half as long again, at least) is cut into messages that
    each fit; the parts, joined, are the translation to the character."""
    tr = _catalogs().get(locale)
    for text in (ANNOUNCEMENT, ANSWER, *TEXTS.values()):
        translated = longer(text, locale)
        assert len(translated) >= 1.5 * len(text) or not re.search(r"[^\W\d_]", text)
        for replies, heading in (
            (render.broadcast.broadcast_messages(tr, translated, True, TITLE), "📢"),
            (render.curation.written_answers(tr, 10**9, translated, True, False), "💬"),
        ):
            parts = [r.text for r in replies]
            assert all(size(p) <= TEXT_LIMIT for p in parts)
            assert parts[0].startswith(heading) and not any(
                p.startswith(heading) for p in parts[1:]
            )
            note = "\n\n" + tr.gettext("<i>Automatic translation</i>")
            assert parts[-1].endswith(note) and not any(note in p for p in parts[:-1])
            bodies = [p.removesuffix(note) for p in parts]
            bodies[0] = bodies[0].split("\n\n", 1)[1]  # the heading's paragraph
            assert html.unescape("".join(bodies)) == translated


# ---- the pieces --------------------------------------------------------------------------


def _random_texts(seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    alphabet = [
        "word", "Wort", "слово", "كلمة", "词", "字", "ቃል", "စကား", "🌍", "👍🏽", "&", "<b>",
        "&amp;", ".", "!", "?", "。", "؟", "।", "…", "\n", "\n\n", " ", "  ", "\t", "x" * 50,
    ]  # fmt: skip
    for _ in range(300):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 900)))


@pytest.mark.parametrize("seed", range(3))
def test_split_text_keeps_every_character_in_order_within_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    for text in _random_texts(seed):
        limit = rng.choice([12, 40, 200, 1000, TEXT_LIMIT])
        pieces = split_text(text, limit)
        assert "".join(pieces) == text
        assert all(piece and size(escape(piece)) <= limit for piece in pieces)


def test_split_text_cuts_between_paragraphs_then_sentences() -> None:
    first, second = "First paragraph. " * 10, "Second one. " * 10
    assert split_text(f"{first}\n\n{second}", 250) == [f"{first}\n\n", second]
    sentences = "One sentence here. Another sentence there. A third one follows."
    assert split_text(sentences, 50) == [
        "One sentence here. Another sentence there. ",
        "A third one follows.",
    ]
    assert split_text("第一句话。第二句话。第三句话。", 12) == [
        "第一句话。第二句话。",
        "第三句话。",
    ]
    assert split_text("a" * 30, 10) == ["a" * 10] * 3  # no place to cut: where the limit falls
    assert split_text("&" * 12, 10) == ["&&", "&&", "&&", "&&", "&&", "&&"]  # "&amp;" is 5
    assert split_text("", 10) == []


def test_escape_clipped_never_cuts_an_entity() -> None:
    for limit in range(1, 40):
        clipped = render.base.escape_clipped("a&b<c>d" * 10, limit)
        assert size(clipped) <= limit
        assert re.fullmatch(r"(?:[a-d]|&amp;|&lt;|&gt;)*…?", clipped), clipped


def test_fit_counts_what_it_leaves_out() -> None:
    tr = _catalogs().get("en")
    items = [f"line {i:03d}" for i in range(100)]
    shown = render.base.fit(tr, items, 100)
    assert size("\n".join(shown)) <= 100
    assert shown[-1] == f"… and {100 - len(shown) + 1} more"
    assert shown[:-1] == items[: len(shown) - 1]
    latest = render.base.fit(tr, items, 100, latest=True)
    assert latest[0] == f"… and {100 - len(latest) + 1} more"
    assert latest[1:] == items[len(items) - len(latest) + 1 :]
    assert render.base.fit(tr, items[:3], 100) == items[:3]
