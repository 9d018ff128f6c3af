"""Browsing the public questions in one's own language, and voting for them."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render
from bot.i18n import load_locales
from bot.telegram import callbacks
from storage.votes import Sort, VoteOutcome
from tests.conftest import RunningBot, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.process import run_cli

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
FR = LOCALES.get("fr")
ORGANIZER, MODERATOR = 971, 972
FRENCH_Q = "Comment la société civile sera-t-elle entendue après le sommet ?"
TURKISH_Q = "Hükümet seçimler sırasında gazetecileri nasıl koruyacak?"
SPANISH_Q = "¿Qué harán para proteger a los defensores del medio ambiente?"


def browse_env(libre: FakeLibreTranslate) -> dict[str, str]:
    return {
        "TOWNHALL_ORGANIZERS": str(ORGANIZER),
        "TOWNHALL_MODERATORS": str(MODERATOR),
        "TOWNHALL_TRANSLATOR": "libre",
        "TOWNHALL_TRANSLATOR_URL": libre.url,
    }


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with (
        FakeLibreTranslate() as libre,
        running_bot(fake, tmp_path, **browse_env(libre)) as running,
    ):
        running.libre = libre  # type: ignore[attr-defined]
        yield running


async def ask(bot: RunningBot, user: int, text: str, language: str) -> int:
    before = len(bot.fake.messages_to(user))
    bot.fake.push_message(user, text, language_code=language)
    reply = await bot.reply_to(user, before)
    match = re.search(r"#(\d+)", reply)
    assert match
    return int(match.group(1))


async def command(bot: RunningBot, user: int, text: str, language: str = "en") -> SentMessage:
    before = len(bot.fake.messages_to(user))
    bot.fake.push_message(user, text, language_code=language)
    return (await bot.fake.wait_for_messages(user, before + 1, timeout=10))[before]


def buttons(message: SentMessage) -> list[dict[str, str]]:
    return [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


def vote_button(message: SentMessage, sid: int) -> str:
    return next(
        b["callback_data"]
        for b in buttons(message)
        if isinstance(callbacks.decode(b["callback_data"]), callbacks.Upvote)
        and f"#{sid} " in b["text"]
    )


def sort_button(message: SentMessage, sort: Sort) -> str:
    """The button that shows the first page in `sort` order."""
    return next(
        b["callback_data"]
        for b in buttons(message)
        if callbacks.decode(b["callback_data"]) == callbacks.BrowsePage(sort, 0)
    )


def listed(text: str | None) -> list[int]:
    """The questions on a /browse page, in the order shown."""
    return [int(n) for n in re.findall(r"<b>#(\d+)</b> · 👍", text or "")]


def heading(sort: Sort, total: int) -> str:
    most_voted = "🌍 <b>Questions from everyone</b>, most voted first: {first}–{last} of {total}"
    newest = "🌍 <b>Questions from everyone</b>, newest first: {first}–{last} of {total}"
    head = most_voted if sort is Sort.VOTES else newest
    return FR.gettext(head).format(first=1, last=total, total=total)


async def public_questions(bot: RunningBot) -> tuple[int, int, int]:
    fr = await ask(bot, 701, FRENCH_Q, "fr")
    ind = await ask(bot, 702, TURKISH_Q, "tr")
    es = await ask(bot, 703, SPANISH_Q, "es")
    await bot.fake.wait_for(
        lambda: bot.values(
            "SELECT count(*) FROM submissions WHERE translation_status = 'pending'"
        ) == [(0,)],
        timeout=15,
    )  # fmt: skip
    await command(bot, MODERATOR, f"/shortlist {fr} {ind}")
    return fr, ind, es


async def test_browse_shows_public_questions_in_my_language(bot: RunningBot) -> None:
    fr, ind, es = await public_questions(bot)
    page = await command(bot, 704, "/browse", "fr")
    text = page.text or ""
    assert f"#{fr}" in text and f"#{ind}" in text and f"#{es}" not in text  # es is pending
    assert render.base.escape(FRENCH_Q) in text  # French, as written
    # Turkish, in French: translated from its English working translation.
    assert render.base.escape(f"[en->fr] [tr->en] {TURKISH_Q}") in text
    assert FR.gettext("<i>Automatic translation</i>") in text
    assert f"<blockquote>{TURKISH_Q}" not in text  # the original only on request
    # The original, one tap away.
    original = next(b for b in buttons(page) if b["text"].endswith(f"#{ind}"))
    bot.fake.push_callback(704, page.message_id, original["callback_data"], language_code="fr")
    await bot.fake.wait_for(lambda: bool(page.edits))
    assert f"<blockquote>{TURKISH_Q}</blockquote>" in page.edits[-1]
    # Translated once per language: a second French reader costs no translation.
    requests = len(bot.libre.requests)  # type: ignore[attr-defined]
    again = await command(bot, 705, "/browse", "fr")
    assert render.base.escape(f"[en->fr] [tr->en] {TURKISH_Q}") in (again.text or "")
    assert len(bot.libre.requests) == requests  # type: ignore[attr-defined]


async def test_one_vote_each_undoable_never_for_ones_own(bot: RunningBot) -> None:
    fr, ind, es = await public_questions(bot)
    page = await command(bot, 704, "/browse", "fr")
    bot.fake.push_callback(704, page.message_id, vote_button(page, ind), language_code="fr")
    await bot.fake.wait_for(lambda: bool(page.edits))
    assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(1,)]
    assert f"✅ #{ind} · 1" in [b["text"] for b in buttons(page)]
    toasts = lambda: [c.params.get("text") for c in bot.fake.calls("answerCallbackQuery")]  # noqa: E731
    assert render.browse.vote_toast(FR, ind, VoteOutcome.ADDED, 1) in toasts()
    # Pressed again: the vote is taken back.
    bot.fake.push_callback(704, page.message_id, vote_button(page, ind), language_code="fr")
    await bot.fake.wait_for(lambda: len(page.edits) >= 2)
    assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(0,)]
    assert bot.values("SELECT count(*) FROM votes") == [(0,)]
    # Another participant votes: one vote (a replayed press: see the test below).
    other = await command(bot, 706, "/browse", "es")
    data = vote_button(other, ind)
    bot.fake.push_callback(706, other.message_id, data, language_code="es")
    await bot.fake.wait_for(lambda: bool(other.edits))
    assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(1,)]
    # The author cannot vote for their own question, even with a forged button.
    own = await command(bot, 702, "/browse", "tr")
    bot.fake.push_callback(702, own.message_id, vote_button(own, ind), language_code="tr")
    forged = callbacks.encode(callbacks.Upvote(es, Sort.VOTES, 0))  # a pending question
    bot.fake.push_callback(706, other.message_id, forged, language_code="es")
    ind_tr, es_tr = LOCALES.get("tr"), LOCALES.get("es")
    await bot.fake.wait_for(
        lambda: (
            render.browse.vote_toast(ind_tr, ind, VoteOutcome.OWN, 1) in toasts()
            and render.browse.vote_toast(es_tr, es, VoteOutcome.NOT_PUBLIC, 0) in toasts()
        )
    )
    assert bot.values("SELECT submission_id, voter_id FROM votes") == [(ind, 706)]
    assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(1,)]
    # Moderators and exports see the votes.
    queue = await command(bot, MODERATOR, "/queue shortlisted")
    assert f"#{ind} · tr · " in (queue.text or "") and "👍 1" in (queue.text or "")
    code, out, _ = await run_cli("export", env={"TOWNHALL_DB": str(bot.settings.db_path)})
    assert code == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows[str(ind)]["votes"] == "1" and rows[str(fr)]["votes"] == "0"
    # Sorted by votes first (ties: newest first); the newest-first button switches the order.
    # The Spanish one, made public now, is the newest but has no vote.
    await command(bot, MODERATOR, f"/shortlist {es}")
    page = await command(bot, 704, "/browse", "fr")
    assert listed(page.text) == [ind, es, fr]
    assert (page.text or "").startswith(heading(Sort.VOTES, 3))
    bot.fake.push_callback(704, page.message_id, sort_button(page, Sort.NEWEST),
                           language_code="fr")  # fmt: skip
    await bot.fake.wait_for(lambda: bool(page.edits))
    assert listed(page.edits[-1]) == [es, ind, fr]
    assert page.edits[-1].startswith(heading(Sort.NEWEST, 3))
    # ... and back.
    bot.fake.push_callback(704, page.message_id, sort_button(page, Sort.VOTES),
                           language_code="fr")  # fmt: skip
    await bot.fake.wait_for(lambda: len(page.edits) >= 2)
    assert listed(page.edits[-1]) == [ind, es, fr]
    # Erasing one's data takes one's votes back.
    forget = await command(bot, 706, "/forget", "es")
    bot.fake.push_callback(706, forget.message_id, buttons(forget)[0]["callback_data"])
    await bot.fake.wait_for(
        lambda: bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(0,)]
    )
    assert bot.values("SELECT count(*) FROM votes") == [(0,)]


async def test_a_replayed_press_is_still_one_vote(fake: FakeTelegram, tmp_path: Path) -> None:
    async with FakeLibreTranslate() as libre:
        env = browse_env(libre)
        async with running_bot(fake, tmp_path, **env) as bot:
            _, ind, _ = await public_questions(bot)
            page = await command(bot, 706, "/browse", "es")
            bot.fake.push_callback(706, page.message_id, vote_button(page, ind),
                                   language_code="es")  # fmt: skip
            press = fake.pushed[-1]
            await fake.wait_for(lambda: bool(page.edits))
            assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(1,)]
        # The very same update (same update_id, same callback query) is still in the inbox, as
        # a kill after the vote was committed but before handled updates are cleared from the
        # inbox (FINISH_DELAY_S later, in a batch) leaves it: the next start replays it.
        bot.execute(
            "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
            (press["update_id"], json.dumps(press), "2026-01-01T00:00:00Z"),
        )
        async with running_bot(fake, tmp_path, **env) as bot:
            # The replay is handled once the inbox is empty again.
            await fake.wait_for(lambda: bot.values("SELECT count(*) FROM inbox") == [(0,)])
            assert bot.values("SELECT submission_id, voter_id FROM votes") == [(ind, 706)]
            assert bot.values("SELECT votes FROM submissions WHERE id = ?", (ind,)) == [(1,)]


async def test_browse_with_nothing_public_says_so(bot: RunningBot) -> None:
    page = await command(bot, 707, "/browse", "fr")
    assert page.text == render.browse.browse_page(FR, [], 0, 0, 5, Sort.VOTES, None).text
