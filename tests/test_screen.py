"""The on-air screen and the host's run order, as the production team uses them: /screen
gives the links, the pages follow /live, /next and /answered, and a question is text."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningBot, free_port, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram
from tests.test_browse import ask, command
from tests.test_event import toml_time
from tests.test_live import STARTS

ORGANIZER, MODERATOR = 981, 982
EVENT = """
[event]
name = { en = "Global Town Hall", fr = "Town Hall mondial" }
starts_at = {starts}
timezone = "Africa/Nairobi"
"""
LINK = re.compile(r"(http://[^\s<]+/(screen|order)/[A-Za-z0-9_-]+)")
MARKUP_Q = "Will you answer this? <script>alert('x')</script> & <b>bold</b> please"


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    path = tmp_path / "event.toml"
    path.write_text(EVENT.replace("{starts}", toml_time(STARTS)))
    async with FakeLibreTranslate() as libre:
        env = {
            "TOWNHALL_CONFIG": str(path),
            "TOWNHALL_ORGANIZERS": str(ORGANIZER),
            "TOWNHALL_MODERATORS": str(MODERATOR),
            "TOWNHALL_WEB_PORT": str(free_port()),
            "TOWNHALL_TRANSLATOR": "libre",
            "TOWNHALL_TRANSLATOR_URL": libre.url,
        }
        async with running_bot(fake, tmp_path, **env) as running:
            yield running


async def screen_links(bot: RunningBot, text: str = "/screen") -> dict[str, str]:
    reply = await command(bot, ORGANIZER, text)
    found = {kind: url for url, kind in LINK.findall(reply.text or "")}
    assert set(found) == {"screen", "order"}, reply.text
    assert (reply.text or "").index(found["screen"]) < (reply.text or "").index(found["order"])
    return found


async def first_state(url: str, query: str = "") -> dict[str, Any]:
    """The first state the page's feed sends."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", f"{url}/events{query}") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                return dict(json.loads(line[len("data: ") :]))
    raise AssertionError("no state sent")


async def state_until(url: str, wanted: Any, query: str = "") -> dict[str, Any]:
    """States from the feed until one matches (the page follows within seconds)."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", f"{url}/events{query}") as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                state = dict(json.loads(line[len("data: ") :]))
                if wanted(state):
                    return state
    raise AssertionError("the feed ended")


async def approved(bot: RunningBot, user: int, text: str, language: str) -> int:
    sid = await ask(bot, user, text, language)
    await bot.fake.wait_for(
        lambda: (
            bot.values("SELECT count(*) FROM submissions WHERE translation_status = 'pending'")
            == [(0,)]
        ),
        timeout=15,
    )
    await command(bot, MODERATOR, f"/approve {sid}")
    return sid


async def test_screen_links_secrets_and_refusals(bot: RunningBot) -> None:
    links = await screen_links(bot)
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(links["screen"])
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
        assert "<main></main>" in page.text
        wrong = links["screen"][:-3] + "xyz"
        for url in (wrong, wrong + "/events", links["screen"].replace("/screen/", "/order/")):
            missing = await client.get(url)
            assert missing.status_code == 404 and "screen" not in missing.text.lower()
        # /screen new: new links; the old ones stop working.
        fresh = await screen_links(bot, "/screen new")
        assert fresh != links
        assert (await client.get(links["screen"])).status_code == 404
        assert (await client.get(links["order"] + "/events")).status_code == 404
        assert (await client.get(fresh["order"])).status_code == 200
    # Anyone else: the usual refusal, and no link.
    for user in (MODERATOR, 5555):
        refused = await command(bot, user, "/screen")
        assert not LINK.search(refused.text or "")


async def test_idle_screen_shows_the_event_and_how_to_take_part(bot: RunningBot) -> None:
    links = await screen_links(bot)
    idle = await first_state(links["screen"])
    assert idle["idle"] is True and idle["title"] == "Global Town Hall"
    assert idle["when"] and idle["link"].startswith("https://t.me/")
    assert idle["qr"].lstrip().startswith(("<?xml", "<svg"))
    french = await first_state(links["screen"], "?lang=fr")
    assert french["title"] == "Town Hall mondial"
    assert french["words"]["now"] != idle["words"]["now"]  # the page's words in French
    arabic = await first_state(links["screen"], "?lang=ar")
    assert arabic["dir"] == "rtl" and idle["dir"] == "ltr"


async def test_the_screen_follows_the_show_and_shows_text_as_text(bot: RunningBot) -> None:
    links = await screen_links(bot)
    first = await approved(bot, 801, MARKUP_Q, "en")
    second = await approved(
        bot, 802, "¿Cómo protegerán a los periodistas durante las elecciones?", "es"
    )
    await command(bot, MODERATOR, f"/live {first}")
    on_air = await state_until(links["screen"], lambda s: "question" in s)
    question = on_air["question"]
    assert question["ref"] == f"#{first}" and question["text"] == MARKUP_Q  # verbatim
    assert question["from"] and "801" not in json.dumps(on_air)  # never who asked
    await command(bot, MODERATOR, "/next")
    on_air = await state_until(
        links["screen"], lambda s: s.get("question", {}).get("ref") == f"#{second}"
    )
    assert on_air["question"]["translation"].endswith(
        "¿Cómo protegerán a los periodistas durante las elecciones?"
    )
    order = await first_state(links["order"])
    assert [i["ref"] for i in order["items"]] == [f"#{second}"]
    assert order["items"][0]["live"] is True
    await command(bot, MODERATOR, f"/answered {second}")
    idle = await state_until(links["screen"], lambda s: s.get("idle") is True)
    assert "question" not in idle


async def test_a_question_withdrawn_on_air_turns_the_screen_idle(bot: RunningBot) -> None:
    links = await screen_links(bot)
    sid = await approved(bot, 803, "What will the ministry publish after the town hall?", "en")
    await command(bot, MODERATOR, f"/live {sid}")
    await state_until(links["screen"], lambda s: "question" in s)
    bot.execute("UPDATE submissions SET status = 'withdrawn' WHERE id = ?", (sid,))
    await state_until(links["screen"], lambda s: s.get("idle") is True)
    bot.execute("UPDATE submissions SET status = 'approved', text = '' WHERE id = ?", (sid,))
    state = await first_state(links["screen"])
    assert state.get("idle") is True


async def test_the_run_order_follows_live_and_move(bot: RunningBot) -> None:
    links = await screen_links(bot)
    ids = [await approved(bot, 810 + i, f"Question number {i} for the run order, please", "en")
           for i in range(3)]  # fmt: skip
    await command(bot, MODERATOR, f"/live {ids[0]}")
    await command(bot, MODERATOR, f"/move {ids[2]} 2")  # next up, after the one on air
    wanted = [f"#{ids[0]}", f"#{ids[2]}", f"#{ids[1]}"]
    order = await state_until(links["order"], lambda s: [i["ref"] for i in s["items"]] == wanted)
    assert [i["live"] for i in order["items"]] == [True, False, False]
