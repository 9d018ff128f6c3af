"""The live show, end to end on the fake Bot API: /live and /next telling askers, voters and
viewing parties in their languages; viewing parties registered and asking; /when."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import render
from bot.i18n import load_locales
from tests.conftest import RunningBot, running_bot
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.test_browse import ask, command, vote_button
from tests.test_curation import export_csv
from tests.test_event import toml_time

LOCALES = load_locales(Path(__file__).resolve().parent.parent / "locales")
EN = LOCALES.get("en")
ORGANIZER, MODERATOR, GROUP = 961, 962, -100962
PARTY, STRANGERS = -1002000000001, -1002000000002
STREAM = "https://example.org/live"
EVENT = f"""
[event]
name = {{ en = "Global Town Hall", fr = "Town Hall mondial" }}
starts_at = {{starts}}
timezone = "Africa/Nairobi"
stream_url = "{STREAM}"
"""
# Starts in 3 days, 4 hours and 30 minutes: the countdown reads "3 days and 4 hours" for the
# half hour the test may take.
STARTS = (datetime.now(UTC) + timedelta(days=3, hours=4, minutes=30)).replace(microsecond=0)
ES_ASKER, PT_ASKER, DE_VOTER, TR_VOTER, PARTY_MEMBER = 861, 862, 863, 864, 865


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    path = tmp_path / "event.toml"
    path.write_text(EVENT.replace("{starts}", toml_time(STARTS)))
    env = {
        "TOWNHALL_CONFIG": str(path),
        "TOWNHALL_ORGANIZERS": str(ORGANIZER),
        "TOWNHALL_MODERATORS": str(MODERATOR),
        "TOWNHALL_MODERATOR_CHAT": str(GROUP),
    }
    async with running_bot(fake, tmp_path, **env) as running:
        yield running


async def in_group(
    bot: RunningBot, chat: int, user: int, text: str, language: str = "en"
) -> SentMessage:
    before = len(bot.fake.messages_to(chat))
    bot.fake.push_message(user, text, chat_id=chat, language_code=language)
    return (await bot.fake.wait_for_messages(chat, before + 1, timeout=10))[before]


async def says(bot: RunningBot, chat: int, user: int, text: str, answer: str) -> None:
    """Send `text` in a group and wait for `answer` there (other traffic goes on meanwhile)."""
    bot.fake.push_message(user, text, chat_id=chat)
    await bot.fake.wait_for(
        lambda: any(m.text == answer for m in bot.fake.messages_to(chat)), timeout=40
    )


async def register_party(bot: RunningBot) -> int:
    """The organizer registers the group, then has the bot speak French there."""
    registered = await in_group(bot, PARTY, ORGANIZER, "/party  US Embassy   Nairobi")
    match = re.search(r"party:(\d+)", registered.text or "")
    assert match
    number = int(match.group(1))
    assert (
        registered.text
        == render.parties.party_registered(EN, "US Embassy Nairobi", number, True, "English").text
    )
    french = await in_group(bot, PARTY, ORGANIZER, "/partylang fr")
    assert french.text == render.parties.party_language_set(LOCALES.get("fr"), "Français").text
    return number


async def party_question(bot: RunningBot) -> int:
    confirmation = await in_group(
        bot, PARTY, PARTY_MEMBER, "/ask Comment la presse sera-t-elle protégée pendant le vote ?",
        "sw",
    )  # fmt: skip
    match = re.search(r"#(\d+)", confirmation.text or "")
    assert match
    sid = int(match.group(1))
    # Confirmed in the group, in the party's language, whatever the member's own.
    assert bot.fake.messages_to(PARTY)[-1].text == confirmation.text
    assert (confirmation.text or "").startswith("✅ Votre question")
    # No buttons in a group: anyone there could press them.
    assert not (confirmation.reply_markup or {}).get("inline_keyboard")
    return sid


async def test_live_tells_asker_voters_and_party_in_their_languages(bot: RunningBot) -> None:
    await register_party(bot)
    from_party = await party_question(bot)
    spanish = await ask(bot, ES_ASKER, "¿Cómo protegerá el gobierno a los periodistas?", "es")
    portuguese = await ask(bot, PT_ASKER, "Como o governo vai proteger os jornalistas?", "pt")
    await command(bot, MODERATOR, f"/shortlist {spanish}")
    for voter, language in ((DE_VOTER, "de"), (TR_VOTER, "tr")):
        page = await command(bot, voter, "/browse", language)
        bot.fake.push_callback(voter, page.message_id, vote_button(page, spanish),
                               language_code=language)  # fmt: skip
    await bot.fake.wait_for(lambda: bot.values("SELECT count(*) FROM votes") == [(2,)])
    await command(bot, MODERATOR, f"/merge {portuguese} into {spanish}")
    await command(bot, MODERATOR, f"/approve {spanish} {from_party}")

    # A participant cannot put anything on air.
    refused = await command(bot, DE_VOTER, f"/live {spanish}", "de")
    assert refused.text == render.common.staff_only(LOCALES.get("de")).text

    bot.fake.push_message(MODERATOR, f"/live {spanish}", chat_id=GROUP)
    # Asker, merged asker (Portuguese), two voters: four chats (the merged asker, who also
    # counts as a voter, once).
    told = render.live.live_told(EN, 4).text
    # (The group's messages are paced at Telegram's 20 a minute: posts and edits go first.)
    await bot.fake.wait_for(
        lambda: any(m.text == told for m in bot.fake.messages_to(GROUP)), timeout=40
    )
    expected = {
        ES_ASKER: render.live.now_answering(LOCALES.get("es"), spanish, True, STREAM),
        PT_ASKER: render.live.now_answering(LOCALES.get("pt"), spanish, True, STREAM),
        DE_VOTER: render.live.now_answering(LOCALES.get("de"), spanish, False, STREAM),
        TR_VOTER: render.live.now_answering(LOCALES.get("tr"), spanish, False, STREAM),
    }
    for chat, notice in expected.items():
        await bot.fake.wait_for(
            lambda c=chat, n=notice: any(m.text == n.text for m in bot.fake.messages_to(c)),
            timeout=10,
        )
    assert f"#{spanish}" in (expected[ES_ASKER].text) and STREAM in expected[ES_ASKER].text
    # The moderators' group sees what is on air and what comes next.
    await bot.fake.wait_for(
        lambda: any(
            (m.text or "").startswith(EN.gettext("🔴 <b>On air</b>: {ref}").format(
                ref=f"#{spanish}")) and f"1. #{from_party}" in (m.text or "")
            for m in bot.fake.messages_to(GROUP)
        ),
        timeout=40,
    )  # fmt: skip
    already = await command(bot, MODERATOR, f"/live {spanish}")
    assert already.text == EN.gettext("{ref} is already on air.").format(ref=f"#{spanish}")

    # /next: the Spanish one is answered, the party's question is on air, told in French.
    nxt = await command(bot, MODERATOR, "/next")
    assert (nxt.text or "").startswith(
        EN.gettext("🔴 <b>On air</b>: {ref}").format(ref=f"#{from_party}")
    )
    party_notice = render.live.now_answering(LOCALES.get("fr"), from_party, True, STREAM)
    await bot.fake.wait_for(
        lambda: any(m.text == party_notice.text for m in bot.fake.messages_to(PARTY))
    )
    assert bot.values("SELECT status, position FROM submissions WHERE id = ?", (spanish,)) == [
        ("answered", None)
    ]
    assert bot.values("SELECT value FROM settings WHERE key = 'live_now'") == [(str(from_party),)]
    # Nothing else approved: /next closes the last one.
    # (From a private chat: the group's own messages are paced at Telegram's 20 a minute.)
    last = await command(bot, MODERATOR, "/next")
    assert last.text == render.live.live_refused(EN, "nothing_next", None).text
    assert bot.values("SELECT status FROM submissions WHERE id = ?", (from_party,)) == [
        ("answered",)
    ]
    # Everyone was told once, however many times the board moved: the asker, the merged
    # asker, both voters (of the Spanish one) and the party (its own question), each exactly
    # one "now answering" notice, and none about the other question. The notices were queued
    # with each move of the board, before its answer to the moderator: once nothing is left
    # to deliver to these chats, every notice owed to them is in.
    expected[PARTY] = party_notice
    chats = tuple(expected)
    owed = (
        "SELECT count(*) FROM outbox"
        " WHERE state IN ('queued', 'sending') AND chat_id IN (?, ?, ?, ?, ?)"
    )
    await bot.fake.wait_for(lambda: bot.values(owed, chats) == [(0,)], timeout=40)
    locale = {ES_ASKER: "es", PT_ASKER: "pt", DE_VOTER: "de", TR_VOTER: "tr", PARTY: "fr"}
    for chat, notice in expected.items():
        tr = LOCALES.get(locale[chat])
        notices = {
            render.live.now_answering(tr, sid, asked, STREAM).text
            for sid in (spanish, from_party)
            for asked in (True, False)
        }
        got = [m.text for m in bot.fake.messages_to(chat) if m.text in notices]
        assert got == [notice.text], chat


async def test_a_viewing_party_asks_and_is_counted(bot: RunningBot) -> None:
    number = await register_party(bot)
    sid = await party_question(bot)
    assert bot.values("SELECT party_id, party_place, locale FROM submissions WHERE id = ?",
                      (sid,)) == [(number, "US Embassy Nairobi", "fr")]  # fmt: skip
    # Other chatter in the party's group is not taken.
    bot.fake.push_message(PARTY_MEMBER, "Bonjour à tous, on commence bientôt ?", chat_id=PARTY)
    # An unregistered group is told why in the writer's language; nothing is stored.
    refused = await in_group(bot, STRANGERS, 870, "/ask Pourquoi pas ici ?", "fr")
    assert refused.text == render.parties.not_a_party(LOCALES.get("fr")).text
    # Anonymous admins all look alike to the bot: they are asked to write as themselves.
    anonymous = await in_group(bot, PARTY, 1087968824, "/ask Une question anonyme ?", "fr")
    assert anonymous.text == render.parties.ask_as_yourself(LOCALES.get("fr")).text
    # Only organizers register parties, and never the moderators' group.
    not_organizer = await in_group(bot, STRANGERS, MODERATOR, "/party Somewhere")
    assert not_organizer.text == render.common.staff_only(EN, organizers=True).text
    await says(
        bot, GROUP, ORGANIZER, "/party Moderators", render.parties.party_only_in_groups(EN).text
    )
    assert bot.values("SELECT count(*) FROM submissions") == [(1,)]
    # Moderators see the party, and filter by it.
    listed = await command(bot, MODERATOR, f"/queue party:{number}")
    assert f"#{sid}" in (listed.text or "") and "US Embassy Nairobi" in (listed.text or "")
    none = await command(bot, MODERATOR, f"/queue party:{number + 1}")
    assert f"#{sid}" not in (none.text or "")
    parties = await command(bot, MODERATOR, "/parties")
    assert f"party:{number} · US Embassy Nairobi · fr · 1" in (parties.text or "")
    # Status notices go to the group, in French.
    await command(bot, MODERATOR, f"/shortlist {sid}")
    await bot.fake.wait_for(
        lambda: any(
            "#" + str(sid) in (m.text or "") and "⭐" in (m.text or "")
            for m in bot.fake.messages_to(PARTY)
        )
    )
    # Statistics and exports count by place.
    bot.fake.push_message(ORGANIZER, "/stats")
    await bot.fake.wait_for(
        lambda: any(
            EN.gettext("By viewing party") in (m.text or "")
            and "US Embassy Nairobi 1" in (m.text or "")
            for m in bot.fake.messages_to(ORGANIZER)
        )
    )
    rows = list(csv.DictReader(io.StringIO(await export_csv(bot))))
    assert (rows[0]["party"], rows[0]["place"]) == (str(number), "US Embassy Nairobi")


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
async def test_when_shows_the_show_in_my_language(bot: RunningBot, language: str) -> None:
    reply = await command(bot, 880, "/when", language)
    text = reply.text or ""
    nairobi = ZoneInfo("Africa/Nairobi")
    assert render.base.moment(language, STARTS, nairobi) in text  # the event's zone
    assert render.base.moment(language, STARTS, ZoneInfo("UTC")) in text  # and UTC
    left = render.base.escape(render.live.countdown(language, timedelta(days=3, hours=4)))
    assert left in text
    assert STREAM in text
    # CLDR's units and list pattern, as each language writes a duration.
    assert {"en": "3 days and 4 hours", "fr": "3\xa0jours et 4\xa0heures",
            "ar": "3 أيام و4 ساعات"}[language] in text  # fmt: skip
    # The welcome mentions it.
    welcome = await command(bot, 881, "/start", language)
    assert render.base.moment(language, STARTS, nairobi) in (welcome.text or "")
    assert "/when" in (welcome.text or "")
