"""Engines as an operator configures them: a LibreTranslate server's own languages, and a chain
of engines (TOWNHALL_TRANSLATOR=libre,microsoft) where the first that can translate a pair and
succeeds wins, and the export says which one did.

Everything runs against fakes on 127.0.0.1: the Bot API, LibreTranslate, and a Microsoft
Translator stand-in (its URL is configurable, TOWNHALL_TRANSLATOR_MICROSOFT_URL).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import configured_engine
from bot.check import check_translator
from bot.config import ConfigError, EngineSettings, load_settings
from bot.services import translation
from bot.services.translation import LibreEngine, TranslationFailed, make_engine
from bot.workers import translation as translation_worker
from tests.conftest import TOKEN, RunningBot, bot_env, running_bot
from tests.fakes.libretranslate import LANGUAGES, FakeLibreTranslate, fake_translation
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

SWAHILI = "Serikali itawalindaje waandishi wa habari katika maeneo yenye vita vya silaha?"
FRENCH = "Comment allez-vous protéger les journalistes dans les zones de conflit ?"
WITH_SWAHILI = {**LANGUAGES, "sw": "Swahili"}
MS_KEY = "ms-key-never-shown"


class FakeMicrosoft:
    """Microsoft Translator's POST /translate, enough for MicrosoftEngine: the translation is
    ``"<ms {from}->{to}> {text}"``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeMicrosoft:
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _translate(self, request: web.Request) -> web.Response:
        body = await request.json()
        source, target = request.query["from"], request.query["to"]
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        self.requests.append({"from": source, "to": target, "key": key, "text": body[0]["Text"]})
        if self.status != 200:
            return web.json_response({"error": {"message": "no"}}, status=self.status)
        text = f"<ms {source}->{target}> {body[0]['Text']}"
        return web.json_response([{"translations": [{"text": text, "to": target}]}])


@pytest.fixture
async def microsoft() -> AsyncIterator[FakeMicrosoft]:
    async with FakeMicrosoft() as server:
        yield server


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Backoff is shortened; the breakers keep their real cool-downs (5 s and more), so that a
    # paused engine stays paused while a test looks.
    monkeypatch.setattr(translation_worker, "BASE_BACKOFF_S", 0.1)
    monkeypatch.setattr(translation_worker, "MAX_BACKOFF_S", 0.5)


def chain_env(libre: FakeLibreTranslate, microsoft: FakeMicrosoft) -> dict[str, str]:
    return {
        "TOWNHALL_TRANSLATOR": "libre,microsoft",
        "TOWNHALL_TRANSLATOR_URL": libre.url,  # the first engine that needs a URL: libre
        "TOWNHALL_TRANSLATOR_KEY": MS_KEY,  # the first that needs a key: microsoft
        "TOWNHALL_TRANSLATOR_MICROSOFT_URL": microsoft.url,
        "TOWNHALL_TRANSLATOR_TIMEOUT": "2",
    }


async def wait_translated(bot: RunningBot, count: int, timeout: float = 20) -> None:
    def done() -> bool:
        rows = bot.query("SELECT count(*) FROM submissions WHERE translation_status != 'pending'")
        return int(rows[0][0]) >= count

    await bot.fake.wait_for(done, timeout=timeout)


async def exported(bot: RunningBot) -> list[dict[str, Any]]:
    """The queue as `townhall-bot export --format json` gives it to organizers."""
    env = {"TOWNHALL_DB": str(bot.settings.db_path)}
    code, out, err = await run_cli("export", "--format", "json", env=env)
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


# ------------------------------------------------------------------ end to end, through the bot


async def test_swahili_is_translated_by_a_libre_server_that_lists_it(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with FakeLibreTranslate(languages=WITH_SWAHILI) as libre:
        env = {"TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
        async with running_bot(fake, tmp_path, **env) as bot:
            fake.push_message(1, SWAHILI, language_code="sw")
            await wait_translated(bot, 1)
            [row] = bot.submissions()
            assert row["language"] == "sw" and row["translation_status"] == "done"
            assert row["translation"] == fake_translation(SWAHILI, "sw", "en")
            [line] = await exported(bot)
        assert libre.language_reads == 1  # read once, then kept
    assert (line["language"], line["translation_engine"]) == ("sw", "libre")
    assert line["translation"] == fake_translation(SWAHILI, "sw", "en")


async def test_chain_gives_the_second_engine_what_the_libre_server_lacks(
    fake: FakeTelegram, tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    async with FakeLibreTranslate() as libre:  # no Swahili model
        assert "sw" not in libre.languages
        async with running_bot(fake, tmp_path, **chain_env(libre, microsoft)) as bot:
            fake.push_message(1, FRENCH, language_code="fr")
            fake.push_message(2, SWAHILI, language_code="sw")
            await wait_translated(bot, 2)
            french, swahili = bot.submissions()
            lines = await exported(bot)
    assert french["translation"] == fake_translation(FRENCH, "fr", "en")
    assert swahili["translation"] == f"<ms sw->en> {SWAHILI}"
    assert [(r["language"], r["translation_engine"]) for r in lines] == [
        ("fr", "libre"),
        ("sw", "microsoft"),
    ]
    # The self-hosted server had the French; only what it lacks went to the cloud.
    assert [(r["source"], r["target"]) for r in libre.requests] == [("fr", "en")]
    assert [(r["from"], r["to"], r["key"]) for r in microsoft.requests] == [("sw", "en", MS_KEY)]


async def test_a_failing_first_engine_hands_over_and_is_paused_alone(
    fake: FakeTelegram, tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    async with (
        FakeLibreTranslate(mode="error503") as libre,
        running_bot(fake, tmp_path, **chain_env(libre, microsoft)) as bot,
    ):
        users = range(10, 22)
        for user in users:
            fake.push_message(user, f"{FRENCH} ({user})", language_code="fr")
        await wait_translated(bot, len(users))
        rows = bot.submissions()
    assert all(r["translation_status"] == "done" for r in rows)
    assert {r["translation_engine"] for r in rows} == {"microsoft"}
    assert all(r["translation"] == f"<ms fr->en> {r['text']}" for r in rows)
    # libre's breaker opened after five failures: the rest went straight to Microsoft, which
    # its breaker never held up.
    assert 0 < len(libre.requests) < len(users)
    assert len(microsoft.requests) == len(users)


async def test_a_400_naming_the_language_rereads_the_list_and_the_chain_goes_on(
    fake: FakeTelegram, tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    async with (
        FakeLibreTranslate(languages=WITH_SWAHILI) as libre,
        running_bot(fake, tmp_path, **chain_env(libre, microsoft)) as bot,
    ):
        fake.push_message(1, FRENCH, language_code="fr")
        await wait_translated(bot, 1)
        assert libre.language_reads == 1
        del libre.languages["sw"]  # the operator removed the model since we read the list
        fake.push_message(2, SWAHILI, language_code="sw")
        await wait_translated(bot, 2)
        _, swahili = bot.submissions()
        assert libre.language_reads == 2  # read again at once, not after the hour
        fake.push_message(3, f"{SWAHILI} Asanteni.", language_code="sw")
        await wait_translated(bot, 3)
    assert swahili["translation_engine"] == "microsoft"
    assert swahili["translation"] == f"<ms sw->en> {SWAHILI}"
    # The 400 came once: the second Swahili question was not sent to libre at all.
    assert [r["source"] for r in libre.requests] == ["fr", "sw"]
    assert [r["from"] for r in microsoft.requests] == ["sw", "sw"]


async def test_a_language_is_not_given_up_while_the_server_list_cannot_be_read(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LibreEngine, "LANGUAGES_RETRY_S", 0.5)
    async with FakeLibreTranslate(languages=WITH_SWAHILI) as libre:
        libre.languages_status = 503
        env = {"TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
        async with running_bot(fake, tmp_path, **env) as bot:
            fake.push_message(1, SWAHILI, language_code="sw")
            await fake.wait_for(
                lambda: (
                    bot.values("SELECT translation_error FROM submissions")
                    == [("no engine lists sw yet",)]
                )
            )
            assert bot.values("SELECT translation_status FROM submissions") == [("pending",)]
            libre.languages_status = None  # the server's list can be read again
            await wait_translated(bot, 1)
            [row] = bot.submissions()
    assert (row["translation_status"], row["translation_engine"]) == ("done", "libre")


async def test_the_bot_reads_the_list_again_when_it_is_old(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LibreEngine, "LANGUAGES_TTL_S", 0.5)  # an hour, in the real world
    async with FakeLibreTranslate() as libre:
        env = {"TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
        async with running_bot(fake, tmp_path, **env) as bot:
            fake.push_message(1, FRENCH, language_code="fr")
            await wait_translated(bot, 1)
            libre.languages["sw"] = "Swahili"  # the operator installed the model
            await asyncio.sleep(0.6)
            fake.push_message(2, SWAHILI, language_code="sw")
            await wait_translated(bot, 2)
            _, swahili = bot.submissions()
    assert libre.language_reads >= 2
    assert (swahili["translation_status"], swahili["translation_engine"]) == ("done", "libre")
    assert swahili["translation"] == fake_translation(SWAHILI, "sw", "en")


# ------------------------------------------------------------------ the engine's language list


def libre_engine(libre: FakeLibreTranslate, clock: list[float]) -> LibreEngine:
    return LibreEngine(url=libre.url, key=None, timeout=5, clock=lambda: clock[0])


async def test_languages_are_read_lazily_kept_and_refreshed_hourly() -> None:
    clock = [1000.0]
    async with FakeLibreTranslate(languages=["en", "fr", "sw"]) as libre:
        engine = libre_engine(libre, clock)
        # Asking what it supports never does I/O: before the first read, the built-in list.
        assert not engine.supports("sw") and engine.supports("de")
        assert engine.languages_due() and not engine.languages_known()
        assert libre.language_reads == 0

        await asyncio.to_thread(engine.refresh_languages)
        assert libre.language_reads == 1 and engine.languages_known()
        assert engine.languages() == ("en", "fr", "sw")
        assert engine.supports_pair("sw", "en") and not engine.supports("de")
        await asyncio.to_thread(engine.refresh_languages)
        assert libre.language_reads == 1  # not due yet

        clock[0] += LibreEngine.LANGUAGES_TTL_S
        assert engine.languages_due()
        libre.languages["de"] = "German"
        await asyncio.to_thread(engine.refresh_languages)
        assert libre.language_reads == 2 and engine.supports("de")
        result = await asyncio.to_thread(engine.translate, "Guten Tag allerseits", "de", "en")
        assert result == fake_translation("Guten Tag allerseits", "de", "en")


async def test_the_first_translation_reads_the_list_first() -> None:
    async with FakeLibreTranslate(languages=["en", "sw"]) as libre:
        engine = libre_engine(libre, [0.0])
        result = await asyncio.to_thread(engine.translate, SWAHILI, "sw", "en")
        assert result == fake_translation(SWAHILI, "sw", "en")
        assert libre.language_reads == 1 and engine.languages() == ("en", "sw")


async def test_a_400_naming_the_language_rereads_the_list() -> None:
    clock = [0.0]
    async with FakeLibreTranslate(languages=WITH_SWAHILI) as libre:
        engine = libre_engine(libre, clock)
        await asyncio.to_thread(engine.refresh_languages)
        assert engine.supports("sw") and libre.language_reads == 1

        del libre.languages["sw"]
        with pytest.raises(TranslationFailed) as caught:
            await asyncio.to_thread(engine.translate, SWAHILI, "sw", "en")
        assert caught.value.retryable is False
        assert libre.language_reads == 2 and not engine.supports("sw")

        libre.mode = "error400"  # "Invalid request: something is wrong": names no language
        with pytest.raises(TranslationFailed):
            await asyncio.to_thread(engine.translate, FRENCH, "fr", "en")
        assert libre.language_reads == 2


async def test_an_unreadable_list_falls_back_to_the_built_in_one_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    caplog.set_level(logging.WARNING, logger="bot.services.translation")
    async with FakeLibreTranslate(languages=WITH_SWAHILI) as libre:
        libre.languages_status = 404  # a proxy that passes only /translate
        engine = libre_engine(libre, clock)
        for _ in range(3):
            await asyncio.to_thread(engine.refresh_languages)
            clock[0] += LibreEngine.LANGUAGES_RETRY_S
        assert libre.language_reads == 3
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "built-in list" in warnings[0].getMessage()
        # Not refusing everything: what the upstream set has is still translated.
        assert not engine.languages_known() and engine.supports_pair("fr", "en")
        assert not engine.supports("sw")
        result = await asyncio.to_thread(engine.translate, FRENCH, "fr", "en")
        assert result == fake_translation(FRENCH, "fr", "en")

        libre.languages_status = None
        clock[0] += LibreEngine.LANGUAGES_RETRY_S
        await asyncio.to_thread(engine.refresh_languages)
        assert engine.languages_known() and engine.supports("sw")

    # The server gone: the last list it gave is kept, and said once more.
    clock[0] += LibreEngine.LANGUAGES_TTL_S
    await asyncio.to_thread(engine.refresh_languages)
    assert engine.supports("sw")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "the list it gave before" in warnings[1].getMessage()


def test_server_codes_become_ours() -> None:
    listed = [
        {"code": "en", "name": "English", "targets": ["en", "zh-Hant", "zh-Hans", "nb", "pt-BR"]},
        {"code": "zh-Hant", "name": "Chinese (Traditional)", "targets": ["en"]},
        {"code": "zh-Hans", "name": "Chinese", "targets": ["en", "nb"]},
        {"code": "nb", "name": "Norwegian", "targets": ["en"]},
        {"code": "pt-BR", "name": "Portuguese (Brazil)", "targets": ["en"]},
        {"code": "sw", "name": "Swahili"},  # no targets (an old server): every listed language
    ]
    parsed = translation._parse_languages(listed)
    assert dict(parsed.codes) == {
        "en": "en",
        "zh": "zh-Hans",
        "no": "nb",
        "pt": "pt-BR",
        "sw": "sw",
    }
    assert parsed.targets["en"] == {"zh", "no", "pt"}
    assert parsed.targets["zh"] == {"en", "no"}
    assert parsed.targets["sw"] == {"en", "zh", "no", "pt"}
    for broken in ({"code": "en"}, [], [{"name": "English"}], "en"):
        with pytest.raises(ValueError):
            translation._parse_languages(broken)


async def test_the_server_codes_are_sent() -> None:
    async with FakeLibreTranslate(languages=["en", "zh-Hans", "nb"]) as libre:
        engine = make_engine("libre", url=libre.url, timeout=5)
        assert engine is not None
        result = await asyncio.to_thread(engine.translate, "你们好", "zh", "no")
        assert result == "[zh-Hans->nb] 你们好"


# ------------------------------------------------------------------ check


async def test_check_lists_each_engine_with_its_languages_and_tries_each(
    fake: FakeTelegram, tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    async with FakeLibreTranslate(languages=["en", "fr", "sw"]) as libre:
        settings = load_settings(bot_env(fake, tmp_path / "t.db", **chain_env(libre, microsoft)))
        first, second = [check.line() for check in await check_translator(settings)]
        asked = [(r["source"], r["target"]) for r in libre.requests]
    assert first.startswith("✓ translator: libre (1 of 2): “[fr->en] Bonjour")
    assert first.endswith("3 languages (server): en fr sw")
    assert second.startswith("✓ translator: microsoft (2 of 2): “<ms fr->en> Bonjour")
    assert "languages (built-in list): " in second and " sw " in second
    assert asked == [("fr", "en")] and len(microsoft.requests) == 1
    assert MS_KEY not in first + second


async def test_check_says_when_the_server_list_cannot_be_read(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with FakeLibreTranslate() as libre:
        libre.languages_status = 404
        env = {"TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_URL": libre.url}
        settings = load_settings(bot_env(fake, tmp_path / "t.db", **env))
        [line] = [check.line() for check in await check_translator(settings)]
    assert line.startswith("✗ translator: libre: “[fr->en] Bonjour")  # translates, but...
    assert "built-in list: the server's /languages could not be read" in line


async def test_check_through_the_command_line(
    fake: FakeTelegram, tmp_path: Path, microsoft: FakeMicrosoft
) -> None:
    async with FakeLibreTranslate(languages=WITH_SWAHILI) as libre:
        env = bot_env(fake, tmp_path / "t.db", **chain_env(libre, microsoft))
        _, out, err = await run_cli("check", env=env)
    translators = [line for line in out.splitlines() if " translator: " in line]
    assert len(translators) == 2
    assert translators[0].startswith("✓ translator: libre (1 of 2): “[fr->en] Bonjour")
    assert translators[1].startswith("✓ translator: microsoft (2 of 2): “<ms fr->en> Bonjour")
    assert " sw " in translators[0] and "(server)" in translators[0]
    assert TOKEN not in out + err and MS_KEY not in out + err


# ------------------------------------------------------------------ configuration


BASE = {"TELEGRAM_BOT_TOKEN": TOKEN}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TOWNHALL_TRANSLATOR": "libre,babelfish"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "google,google"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "none,google"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "google,none"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "google,,mymemory"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "google,"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "google,libre"}, "TOWNHALL_TRANSLATOR_URL"),
        ({"TOWNHALL_TRANSLATOR": "libre,deepl", "TOWNHALL_TRANSLATOR_URL": "http://l"},
         "TOWNHALL_TRANSLATOR_KEY"),
        ({"TOWNHALL_TRANSLATOR": "microsoft,deepl", "TOWNHALL_TRANSLATOR_KEY": "k"},
         "TOWNHALL_TRANSLATOR_DEEPL_KEY"),
        ({"TOWNHALL_TRANSLATOR": "google", "TOWNHALL_TRANSLATOR_DEEPPL_KEY": "k"},
         "TOWNHALL_TRANSLATOR_DEEPPL_KEY"),
        ({"TOWNHALL_TRANSLATOR": "google", "TOWNHALL_TRANSLATOR_NONE_KEY": "k"},
         "TOWNHALL_TRANSLATOR_NONE_KEY"),
        ({"TOWNHALL_TRANSLATOR": "google", "TOWNHALL_TRANSLATOR_GOOGLE_KEY": "k"},
         "TOWNHALL_TRANSLATOR_GOOGLE_KEY"),
        ({"TOWNHALL_TRANSLATOR": "mymemory", "TOWNHALL_TRANSLATOR_MYMEMORY_URL": "http://m"},
         "TOWNHALL_TRANSLATOR_MYMEMORY_URL"),
        ({"TOWNHALL_TRANSLATOR": "libre", "TOWNHALL_TRANSLATOR_LIBRE_URL": "ftp://l"},
         "TOWNHALL_TRANSLATOR_LIBRE_URL"),
    ],
)  # fmt: skip
def test_bad_chains_are_refused_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, **env})
    assert caught.value.variable == variable


def test_shared_url_and_key_go_to_the_first_engine_that_needs_them() -> None:
    settings = load_settings(
        {
            **BASE,
            "TOWNHALL_TRANSLATOR": " Libre , DeepL ",
            "TOWNHALL_TRANSLATOR_URL": "http://libre:5000",
            "TOWNHALL_TRANSLATOR_KEY": "deepl-key:fx",
        }
    )
    assert settings.translator == "libre,deepl"
    assert settings.translators == ("libre", "deepl")
    assert settings.translator_engines() == (
        EngineSettings("libre", url="http://libre:5000"),
        EngineSettings("deepl", key="deepl-key:fx"),
    )
    assert [e.key for e in settings.translator_engines()] == [None, "deepl-key:fx"]


def test_each_engine_has_its_own_url_and_key_winning_over_the_shared_ones() -> None:
    settings = load_settings(
        {
            **BASE,
            "TOWNHALL_TRANSLATOR": "libre,deepl,microsoft",
            "TOWNHALL_TRANSLATOR_URL": "http://libre:5000",
            "TOWNHALL_TRANSLATOR_KEY": "shared-key",
            "TOWNHALL_TRANSLATOR_LIBRE_KEY": "libre-key",
            "TOWNHALL_TRANSLATOR_DEEPL_URL": "https://deepl.example",
            "TOWNHALL_TRANSLATOR_MICROSOFT_KEY": "ms-key:westeurope",
        }
    )
    engines = {e.name: (e.url, e.key) for e in settings.translator_engines()}
    assert engines == {
        "libre": ("http://libre:5000", "libre-key"),
        "deepl": ("https://deepl.example", "shared-key"),
        "microsoft": (None, "ms-key:westeurope"),
    }
    assert set(settings.translator_secrets) == {"shared-key", "libre-key", "ms-key:westeurope"}
    assert not any(secret in repr(settings) for secret in settings.translator_secrets)
    built = configured_engine(settings)
    assert [engine.name for engine in built] == ["libre", "deepl", "microsoft"]
    assert isinstance(built[1], translation.DeepLEngine)
    assert built[1].url == "https://deepl.example/v2/translate"


def test_one_engine_works_as_before() -> None:
    deepl = load_settings(
        {
            **BASE,
            "TOWNHALL_TRANSLATOR": "deepl",
            "TOWNHALL_TRANSLATOR_URL": "http://fake-deepl",
            "TOWNHALL_TRANSLATOR_KEY": "k",
        }
    )
    assert deepl.translator_engines() == (EngineSettings("deepl", "http://fake-deepl", "k"),)
    memory = load_settings(
        {**BASE, "TOWNHALL_TRANSLATOR": "mymemory", "TOWNHALL_TRANSLATOR_KEY": "me@example.org"}
    )
    assert memory.translator_engines() == (EngineSettings("mymemory", key="me@example.org"),)
    off = load_settings({**BASE, "TOWNHALL_TRANSLATOR": "none"})
    assert off.translators == () and off.translator_engines() == ()
    assert configured_engine(off) == ()
    assert load_settings(BASE).translators == ("google",)


async def test_a_bad_chain_stops_the_command_with_one_line(tmp_path: Path) -> None:
    env = {**BASE, "TOWNHALL_DB": str(tmp_path / "t.db"), "TOWNHALL_TRANSLATOR": "libre,libre"}
    code, _, err = await run_cli("check", env=env)
    assert code == 2
    assert "TOWNHALL_TRANSLATOR" in err and "Traceback" not in err
