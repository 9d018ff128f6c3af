"""Curation across languages, end to end on the fake servers: similar questions shown to
moderators, /merge with notices in each asker's language, /fixtr flowing into /browse, and
/answer reaching askers and voters in their languages."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render
from bot.i18n import load_locales
from bot.telegram import callbacks
from storage.models import submission_from_row
from tests.conftest import RunningBot, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli
from tests.test_browse import ask, command, vote_button

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
ORGANIZER, MODERATOR, GROUP = 981, 982, -1009876
# Three people, three languages, one question; the engine makes the same English of two.
TR_Q = "Hükümet seçimler sırasında gazetecileri nasıl koruyacak?"
ES_Q = "¿Cómo protegerá el gobierno a los periodistas durante las elecciones?"
EN_Q = "How is the government going to protect journalists in the elections?"
OTHER_Q = "When will visa fees for students from Africa be lowered?"
CANNED = {
    (TR_Q, "en"): "How will the government protect journalists during the elections?",
    (ES_Q, "en"): "How will the government protect the journalists during elections?",
}
TR_ASKER, ES_ASKER, EN_ASKER, OTHER_ASKER = 811, 812, 813, 814
FR_VOTER, DE_VOTER, SW_VOTER = 815, 816, 817


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with FakeLibreTranslate() as libre:
        libre.canned.update(CANNED)
        env = {
            "TOWNHALL_ORGANIZERS": str(ORGANIZER),
            "TOWNHALL_MODERATORS": str(MODERATOR),
            "TOWNHALL_MODERATOR_CHAT": str(GROUP),
            "TOWNHALL_TRANSLATOR": "libre",
            "TOWNHALL_TRANSLATOR_URL": libre.url,
        }
        async with running_bot(fake, tmp_path, **env) as running:
            running.libre = libre  # type: ignore[attr-defined]
            yield running


async def settled(bot: RunningBot) -> None:
    """Every translation finished (or not needed). The look-alikes of a submission are looked
    for just after its translation is recorded: wait for them on its post."""
    await bot.fake.wait_for(
        lambda: bot.values(
            "SELECT count(*) FROM submissions WHERE translation_status = 'pending'"
        ) == [(0,)],
        timeout=15,
    )  # fmt: skip


async def ask_settled(bot: RunningBot, user: int, text: str, language: str) -> int:
    sid = await ask(bot, user, text, language)
    await settled(bot)
    return sid


def group_post(bot: RunningBot, sid: int) -> str:
    for message in bot.fake.messages_to(GROUP):
        text = message.current_text or ""
        if text.startswith(f"<b>#{sid}</b>"):
            return text
    return ""


async def post_shows(bot: RunningBot, sid: int, fragment: str) -> str:
    await bot.fake.wait_for(lambda: fragment in group_post(bot, sid), timeout=30)
    return group_post(bot, sid)


async def vote(bot: RunningBot, voter: int, sid: int, language: str) -> None:
    page = await command(bot, voter, "/browse", language)
    before = bot.values("SELECT count(*) FROM votes WHERE voter_id = ?", (voter,))[0][0]
    bot.fake.push_callback(voter, page.message_id, vote_button(page, sid), language_code=language)
    await bot.fake.wait_for(
        lambda: (
            bot.values("SELECT count(*) FROM votes WHERE voter_id = ?", (voter,))
            == [(before + 1,)]
        )
    )


async def three_alike(bot: RunningBot) -> tuple[int, int, int, int]:
    tr = await ask_settled(bot, TR_ASKER, TR_Q, "tr")
    es = await ask_settled(bot, ES_ASKER, ES_Q, "es")
    en = await ask_settled(bot, EN_ASKER, EN_Q, "en")
    other = await ask_settled(bot, OTHER_ASKER, OTHER_Q, "en")
    return tr, es, en, other


async def export_csv(bot: RunningBot) -> str:
    code, out, _ = await run_cli("export", env={"TOWNHALL_DB": str(bot.settings.db_path)})
    assert code == 0
    return out


def submission(bot: RunningBot, sid: int):  # type: ignore[no-untyped-def]
    return submission_from_row(bot.query("SELECT * FROM submissions WHERE id = ?", (sid,))[0])


async def test_similar_questions_across_languages_are_shown_to_moderators(
    bot: RunningBot,
) -> None:
    tr, es, en, other = await three_alike(bot)
    # The Spanish one's English meets the Turkish one's: shown on its post.
    await post_shows(bot, es, f"similar: #{tr}")
    en_post = await post_shows(bot, en, "similar: #")
    assert f"#{tr}" in en_post.split("similar:")[1] and f"#{es}" in en_post.split("similar:")[1]
    # The unrelated question is like none of them, and none is like it. The translation
    # worker takes English questions in turn, each with its look-alikes: once a later one is
    # settled, the unrelated one's look-alikes were looked for.
    await ask_settled(bot, OTHER_ASKER, "Will the minimum wage follow inflation next year?", "en")
    await bot.fake.wait_for(lambda: group_post(bot, other) != "", timeout=30)
    assert "similar:" not in group_post(bot, other)
    assert bot.values("SELECT count(*) FROM similar WHERE ? IN (submission_id, other_id)",
                      (other,)) == [(0,)]  # fmt: skip
    # /show lists later look-alikes too: the first one learns of both.
    shown = await command(bot, MODERATOR, f"/show {tr}")
    listed = (shown.text or "").split("similar:")[1].split("\n")[0]
    assert f"#{es}" in listed and f"#{en}" in listed
    # The review card shows them as well: the first card is the Turkish one (it came first and
    # has no earlier look-alike); skipped, the next is the Spanish one, with its look-alike.
    card = await command(bot, MODERATOR, "/review")
    assert f"<b>#{tr}</b>" in (card.text or "") and "similar:" not in (card.text or "")
    skip = callbacks.encode(callbacks.SkipCard(tr))
    bot.fake.push_callback(MODERATOR, card.message_id, skip)
    await bot.fake.wait_for(lambda: bool(card.edits))
    assert f"<b>#{es}</b>" in card.edits[-1] and f"similar: #{tr}" in card.edits[-1]


async def test_merge_pools_votes_once_and_tells_each_asker_in_their_language(
    bot: RunningBot,
) -> None:
    tr, es, en, other = await three_alike(bot)
    await command(bot, MODERATOR, f"/shortlist {tr} {es}")
    # The French voter supports both; the German one only the Spanish; the Turkish asker
    # votes for the Spanish one (and will not be counted for their own question).
    await vote(bot, FR_VOTER, tr, "fr")
    await vote(bot, FR_VOTER, es, "fr")
    await vote(bot, DE_VOTER, es, "de")
    await vote(bot, TR_ASKER, es, "tr")

    done = await command(bot, MODERATOR, f"/merge {es} into {tr}")
    en_tr = LOCALES.get("en")
    # Votes on the Turkish one: the French voter once, the German one, the Spanish asker.
    assert done.text == render.curation.merge_done(en_tr, es, tr, 2, 2, 3).text
    assert bot.values(
        "SELECT voter_id FROM votes WHERE submission_id = ? ORDER BY voter_id", (tr,)
    ) == [(ES_ASKER,), (FR_VOTER,), (DE_VOTER,)]
    assert bot.values("SELECT status, merged_into, votes FROM submissions WHERE id = ?", (es,)) \
        == [("merged", tr, 0)]  # fmt: skip
    # The Spanish asker is told in Spanish.
    spanish = LOCALES.get("es")
    await bot.fake.wait_for(
        lambda: any(
            m.text == render.curation.merge_notice(spanish, submission(bot, es), tr, 2, 2).text
            for m in bot.fake.messages_to(ES_ASKER)
        )
    )
    assert (
        "2 personas" in render.curation.merge_notice(spanish, submission(bot, es), tr, 2, 2).text
    )
    # Moderators see the merge on the merged one's post, and the votes on the other.
    await post_shows(bot, es, f"#{tr}")
    await post_shows(bot, tr, "👍 3")

    # A pending English one joins too: three people, three languages; a chain is flattened.
    done = await command(bot, MODERATOR, f"/merge #{en} into #{tr}")
    assert done.text == render.curation.merge_done(en_tr, en, tr, 3, 3, 4).text
    await bot.fake.wait_for(
        lambda: any(
            m.text == render.curation.merge_notice(en_tr, submission(bot, en), tr, 3, 3).text
            for m in bot.fake.messages_to(EN_ASKER)
        )
    )
    assert "3 people writing in 3 languages" in bot.fake.messages_to(EN_ASKER)[-1].text  # type: ignore[operator]

    # What cannot be merged says why.
    itself = await command(bot, MODERATOR, f"/merge {tr} into {tr}")
    assert itself.text == render.curation.merge_refused(en_tr, "same", submission(bot, tr),
                                               submission(bot, tr)).text  # fmt: skip
    into_merged = await command(bot, MODERATOR, f"/merge {other} into {es}")
    assert f"Merge into #{tr} instead" in (into_merged.text or "")
    again = await command(bot, MODERATOR, f"/merge {es} into {other}")
    assert "cannot be merged now" in (again.text or "")
    missing = await command(bot, MODERATOR, f"/merge {other} into 999")
    assert missing.text == render.moderation.no_such_submission(en_tr, 999)
    usage = await command(bot, MODERATOR, f"/merge {other}")
    assert usage.text == render.common.usage(en_tr, "merge").text
    refused = await command(bot, OTHER_ASKER, f"/merge {other} into {tr}")
    assert refused.text == render.common.staff_only(en_tr).text
    assert bot.values("SELECT status FROM submissions WHERE id = ?", (other,)) == [("pending",)]
    # /show: what was merged into it; /browse: only the one standing for all, with the votes.
    shown = await command(bot, MODERATOR, f"/show {tr}")
    assert f"#{es}, #{en}" in (shown.text or "")
    page = await command(bot, 820, "/browse", "en")
    assert f"#{tr}</b> · 👍 4" in (page.text or "") and f"#{es}" not in (page.text or "")
    # The merged askers hear what becomes of the question they joined, in their language.
    await command(bot, MODERATOR, f"/approve {tr}")
    for asker, language in ((TR_ASKER, "tr"), (ES_ASKER, "es"), (EN_ASKER, "en")):
        selected = render.intake.status_notice(LOCALES.get(language), submission(bot, tr))
        assert selected is not None
        await bot.fake.wait_for(
            lambda a=asker, n=selected: any(m.text == n.text for m in bot.fake.messages_to(a))
        )
    # The export says where each went.
    rows = list(csv.DictReader(io.StringIO(await export_csv(bot))))
    assert {r["id"]: r["merged_into"] for r in rows}[str(es)] == str(tr)
    assert {r["id"]: r["status"] for r in rows}[str(en)] == "merged"


async def test_a_corrected_translation_is_what_browse_translates_from(bot: RunningBot) -> None:
    tr = await ask_settled(bot, TR_ASKER, TR_Q, "tr")
    await command(bot, MODERATOR, f"/shortlist {tr}")
    fixed_text = "How will the government keep reporters safe while the votes are counted?"
    # Participants cannot; moderators can.
    refused = await command(bot, OTHER_ASKER, f"/fixtr {tr} nonsense")
    assert refused.text == render.common.staff_only(LOCALES.get("en")).text
    reply = await command(bot, MODERATOR, f"/fixtr {tr} {fixed_text}")
    assert reply.text == render.curation.translation_fixed(LOCALES.get("en"), tr).text
    assert bot.values(
        "SELECT translation, translation_engine, translation_reviewed_by FROM submissions"
        " WHERE id = ?",
        (tr,),
    )[0][:2] == (fixed_text, "human")
    await post_shows(bot, tr, "translation corrected by")
    # A French reader gets the French made from the corrected English.
    page = await command(bot, FR_VOTER, "/browse", "fr")
    assert render.base.escape(f"[en->fr] {fixed_text}") in (page.text or "")
    rows = list(csv.DictReader(io.StringIO(await export_csv(bot))))
    [row] = rows
    assert (row["translation"], row["translation_engine"], row["translation_reviewed"]) == (
        fixed_text,
        "human",
        "yes",
    )
    unknown = await command(bot, MODERATOR, "/fixtr 999 Some text")
    assert unknown.text == render.curation.translation_not_fixed(LOCALES.get("en"), 999).text


async def test_a_written_answer_reaches_askers_and_voters_in_their_languages(
    bot: RunningBot,
) -> None:
    tr, es, _en, other = await three_alike(bot)
    await command(bot, MODERATOR, f"/shortlist {tr} {es}")
    await vote(bot, FR_VOTER, tr, "fr")
    await vote(bot, DE_VOTER, es, "de")
    await vote(bot, SW_VOTER, tr, "sw")
    await command(bot, MODERATOR, f"/merge {es} into {tr}")
    text = "We will publish a protection protocol for journalists before the elections."
    # Moderators cannot answer in the organizers' name.
    refused = await command(bot, MODERATOR, f"/answer {tr} {text}")
    assert refused.text == render.common.staff_only(LOCALES.get("en"), organizers=True).text

    reply = await command(bot, ORGANIZER, f"/answer {es} {text}")  # the merged one: its root
    # Turkish asker, Spanish asker (merged), French, German and Swahili voters.
    assert reply.text == render.curation.answer_queued(LOCALES.get("en"), tr, 5, 5, 4).text
    expected = {
        TR_ASKER: render.curation.written_answers(
            LOCALES.get("tr"), tr, f"[en->tr] {text}", True, True
        ),
        ES_ASKER: render.curation.written_answers(
            LOCALES.get("es"), tr, f"[en->es] {text}", True, True
        ),
        FR_VOTER: render.curation.written_answers(
            LOCALES.get("fr"), tr, f"[en->fr] {text}", True, False
        ),
        DE_VOTER: render.curation.written_answers(
            LOCALES.get("de"), tr, f"[en->de] {text}", True, False
        ),
        # The engine has no Swahili: the answer as written, not labelled as a translation.
        SW_VOTER: render.curation.written_answers(LOCALES.get("sw"), tr, text, False, False),
    }
    for user, [message] in expected.items():  # a short answer: one message each
        await bot.fake.wait_for(
            lambda u=user, m=message: any(s.text == m.text for s in bot.fake.messages_to(u)),
            timeout=10,
        )
    # Nobody else: the unrelated asker got nothing of it. Their chat is answered in order,
    # and the answers were queued before the organizer was told: had one been owed to them,
    # it would come before the answer to their /my.
    listing = await command(bot, OTHER_ASKER, "/my")
    assert (
        listing.text
        == render.intake.my_submissions(LOCALES.get("en"), [submission(bot, other)], 1).text
    )
    assert len(bot.fake.messages_to(OTHER_ASKER)) == 2  # their confirmation, then this
    rows = list(csv.DictReader(io.StringIO(await export_csv(bot))))
    assert {r["id"]: r["answer"] for r in rows}[str(tr)] == text
    assert bot.values("SELECT recipients FROM answers") == [(5,)]
