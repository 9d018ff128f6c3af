"""/browse with a slow translation engine: the page does not wait long, and the translation
it stopped waiting for still lands in the cache for the next reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import render
from bot.services import browse
from tests.conftest import running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram
from tests.test_browse import MODERATOR, ORGANIZER, TURKISH_Q, ask, command


async def test_a_slow_translation_is_cached_when_it_lands(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browse, "TRANSLATION_WAIT_S", 0.3)
    async with FakeLibreTranslate() as libre:
        env = {
            "TOWNHALL_ORGANIZERS": str(ORGANIZER),
            "TOWNHALL_MODERATORS": str(MODERATOR),
            "TOWNHALL_TRANSLATOR": "libre",
            "TOWNHALL_TRANSLATOR_URL": libre.url,
        }
        async with running_bot(fake, tmp_path, **env) as bot:
            sid = await ask(bot, 702, TURKISH_Q, "tr")
            await fake.wait_for(
                lambda: bot.values("SELECT translation_status FROM submissions") == [("done",)]
            )
            await command(bot, MODERATOR, f"/shortlist {sid}")
            libre.mode, libre.delay = "slow", 1.5
            translated = render.base.escape(f"[en->fr] [tr->en] {TURKISH_Q}")
            first = await command(bot, 704, "/browse", "fr")
            assert translated not in (first.text or "")  # shown as it is: no long wait
            asked = len(libre.requests)
            await fake.wait_for(
                lambda: bot.values(
                    "SELECT count(*) FROM translation_cache WHERE target = 'fr'"
                ) == [(1,)],
                timeout=10,
            )  # fmt: skip
            libre.mode = "ok"
            again = await command(bot, 705, "/browse", "fr")
            assert translated in (again.text or "")  # from the cache
            assert len(libre.requests) == asked  # no second request for it
