"""Translation engines against fakes on 127.0.0.1: deep-translator's real code paths for
LibreTranslate, MyMemory and Google, our own httpx calls for DeepL and Microsoft.

Engines block, so tests call them through ``asyncio.to_thread`` while the fakes answer from
the test's event loop.  Nothing here reaches a real translation service.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from aiohttp import web
from deep_translator import constants as dt_constants

from bot.services import http_timeouts, translation
from bot.services.translation import (
    ENGINES,
    LANGUAGES,
    Engine,
    TranslationFailed,
    engine_code,
    install_http_timeout,
    is_engine_notice,
    make_engine,
    split_for_limit,
)
from tests.fakes.libretranslate import FakeLibreTranslate, fake_translation


@pytest.fixture
async def libre() -> AsyncIterator[FakeLibreTranslate]:
    async with FakeLibreTranslate() as server:
        yield server


def libre_engine(libre: FakeLibreTranslate) -> Engine | None:
    return make_engine("libre", url=libre.url, timeout=5)


async def translate(engine: Engine | None, text: str, source: str, target: str) -> str:
    assert engine is not None
    return await asyncio.to_thread(engine.translate, text, source, target)


async def failure(engine: Engine | None, text: str, source: str, target: str) -> TranslationFailed:
    with pytest.raises(TranslationFailed) as caught:
        await translate(engine, text, source, target)
    return caught.value


# ------------------------------------------------------------------ libre (deep-translator)


@pytest.mark.parametrize("suffix", ["", "/", "/translate"])
async def test_libre_translates_through_deep_translator(
    libre: FakeLibreTranslate, suffix: str
) -> None:
    engine = make_engine("libre", url=libre.url + suffix, timeout=5)

    result = await translate(engine, "Bonjour à tous, voici ma question.", "fr", "en")

    assert result == fake_translation("Bonjour à tous, voici ma question.", "fr", "en")
    (seen,) = libre.requests
    assert seen["path"] == "/translate"
    assert (seen["source"], seen["target"], seen["format"]) == ("fr", "en", "text")
    assert seen["api_key"] == "not-needed"  # deep-translator refuses to run without a key
    assert libre.translated == 1


async def test_libre_maps_codes_and_sends_the_configured_key(libre: FakeLibreTranslate) -> None:
    libre.api_key = "s3cret"
    engine = make_engine("libre", url=libre.url, key="s3cret", timeout=5)

    assert await translate(engine, "Hei alle sammen", "no", "zh") == "[nb->zh] Hei alle sammen"
    assert libre.requests[0]["api_key"] == "s3cret"


async def test_libre_wrong_key_is_not_retryable(libre: FakeLibreTranslate) -> None:
    libre.api_key = "right"
    engine = make_engine("libre", url=libre.url, key="wrong", timeout=5)

    error = await failure(engine, "Hola a todos", "es", "en")

    assert error.retryable is False
    assert "wrong" not in str(error)  # deep-translator puts the key in its message; we do not


async def test_libre_splits_long_text_at_sentences_in_order(libre: FakeLibreTranslate) -> None:
    libre.char_limit = 2000  # the server's own limit: every request must stay under it
    text = " ".join(f"Voici la phrase numéro {i}, qui porte une idée." for i in range(120))
    engine = make_engine("libre", url=libre.url, timeout=5)

    result = await translate(engine, text, "fr", "en")

    pieces = [str(seen["q"]) for seen in libre.requests]
    assert len(pieces) >= 3
    assert all(len(piece) <= 2000 and piece.endswith("idée.") for piece in pieces)
    assert " ".join(pieces) == text  # nothing lost, nothing reordered
    assert result == " ".join(fake_translation(piece, "fr", "en") for piece in pieces)


async def test_libre_503_is_retryable(libre: FakeLibreTranslate) -> None:
    libre.mode = "error503"
    error = await failure(libre_engine(libre), "Hola amigos", "es", "en")
    assert error.retryable is True
    assert "503" in str(error)


async def test_libre_400_is_not_retryable(libre: FakeLibreTranslate) -> None:
    libre.mode = "error400"
    error = await failure(libre_engine(libre), "Hola amigos", "es", "en")
    assert error.retryable is False


async def test_libre_language_missing_on_the_server_is_not_retryable(
    libre: FakeLibreTranslate,
) -> None:
    # "vi" is in LibreTranslate's model set but this server has no Vietnamese model.
    engine = make_engine("libre", url=libre.url, timeout=5)
    error = await failure(engine, "Xin chào các bạn", "vi", "en")
    assert error.retryable is False
    assert len(libre.requests) == 1


async def test_libre_unsupported_language_fails_before_any_request(
    libre: FakeLibreTranslate,
) -> None:
    engine = make_engine("libre", url=libre.url, timeout=5)
    assert engine is not None and not engine.supports("sw")
    error = await failure(engine, "Habari zenu wote", "sw", "en")
    assert error.retryable is False
    assert libre.requests == []


async def test_libre_empty_translation_fails(libre: FakeLibreTranslate) -> None:
    libre.mode = "empty"
    error = await failure(libre_engine(libre), "Hola amigos", "es", "en")
    assert error.retryable is True
    assert libre.translated == 1


async def test_libre_connection_refused_fails_fast_then_recovers(
    libre: FakeLibreTranslate,
) -> None:
    engine = make_engine("libre", url=libre.url, timeout=5)
    await libre.stop()

    started = time.monotonic()
    error = await failure(engine, "Hola amigos", "es", "en")
    assert error.retryable is True
    assert time.monotonic() - started < 2

    await libre.restart()
    assert await translate(engine, "Hola amigos", "es", "en") == "[es->en] Hola amigos"


async def test_libre_hanging_server_times_out(libre: FakeLibreTranslate) -> None:
    libre.mode = "hang"
    engine = make_engine("libre", url=libre.url, timeout=1)

    started = time.monotonic()
    error = await failure(engine, "Hola amigos", "es", "en")

    assert time.monotonic() - started < 5
    assert error.retryable is True
    assert "timed out" in str(error)


async def test_libre_slow_server_within_timeout_succeeds(libre: FakeLibreTranslate) -> None:
    libre.mode, libre.delay = "slow", 0.3
    engine = make_engine("libre", url=libre.url, timeout=3)
    assert await translate(engine, "Hola amigos", "es", "en") == "[es->en] Hola amigos"


async def test_same_language_needs_no_request(libre: FakeLibreTranslate) -> None:
    engine = make_engine("libre", url=libre.url, timeout=5)
    assert await translate(engine, "Hello everyone", "en", "en") == "Hello everyone"
    assert libre.requests == []


async def test_install_http_timeout_bounds_plain_requests_calls(
    libre: FakeLibreTranslate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Restore the process-wide default after the test.
    monkeypatch.setattr(
        http_timeouts, "_default_http_timeout", http_timeouts._default_http_timeout
    )
    libre.mode = "hang"
    install_http_timeout(5)
    install_http_timeout(1)  # idempotent: the second call only changes the value
    wrapped = requests.sessions.Session.request
    assert not getattr(getattr(wrapped, "__wrapped__", None), "_townhall_default_timeout", False)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        await asyncio.to_thread(requests.post, libre.url + "/translate", data={"q": "x"})
    assert time.monotonic() - started < 5


# ------------------------------------------------------------------ scripted fakes


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    json: Any


Reply = Callable[[Seen], web.Response]


class ScriptedServer:
    """Records each request and answers with ``reply``; stands in for DeepL, Microsoft, etc."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.reply: Reply = lambda seen: web.json_response({})
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        is_json = request.content_type == "application/json"
        seen = Seen(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            form={k: str(v) for k, v in (await request.post()).items()} if not is_json else {},
            json=await request.json() if is_json else None,
        )
        self.seen.append(seen)
        return self.reply(seen)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    scripted = ScriptedServer()
    await scripted.start()
    yield scripted
    await scripted.stop()


def deepl_reply(seen: Seen) -> web.Response:
    text = f"<{seen.form['source_lang']}->{seen.form['target_lang']}> {seen.form['text']}"
    return web.json_response({"translations": [{"detected_source_language": "FR", "text": text}]})


async def test_deepl_sends_header_auth_and_form_fields(server: ScriptedServer) -> None:
    server.reply = deepl_reply
    engine = make_engine("deepl", url=server.url, key="abc-123:fx", timeout=5)

    result = await translate(engine, "Bonjour à tous !", "fr", "en")

    assert result == "<FR->EN-GB> Bonjour à tous !"
    (seen,) = server.seen
    assert (seen.method, seen.path) == ("POST", "/v2/translate")
    assert seen.headers["Authorization"] == "DeepL-Auth-Key abc-123:fx"
    assert seen.form == {"text": "Bonjour à tous !", "source_lang": "FR", "target_lang": "EN-GB"}
    assert "auth_key" not in seen.query and "auth_key" not in seen.form


def test_deepl_picks_the_endpoint_from_the_key() -> None:
    free = make_engine("deepl", key="k:fx")
    pro = make_engine("deepl", key="k")
    assert isinstance(free, translation.DeepLEngine) and isinstance(pro, translation.DeepLEngine)
    assert free.url == "https://api-free.deepl.com/v2/translate"
    assert pro.url == "https://api.deepl.com/v2/translate"


@pytest.mark.parametrize(("status", "retryable"), [(403, False), (456, True), (503, True)])
async def test_deepl_http_errors(server: ScriptedServer, status: int, retryable: bool) -> None:
    server.reply = lambda seen: web.json_response({"message": "no"}, status=status)
    engine = make_engine("deepl", url=server.url, key="secret-key", timeout=5)

    error = await failure(engine, "Bonjour à tous", "fr", "en")

    assert error.retryable is retryable
    assert str(status) in str(error) and "secret-key" not in str(error)


async def test_deepl_unsupported_source_is_not_retryable(server: ScriptedServer) -> None:
    engine = make_engine("deepl", url=server.url, key="k", timeout=5)
    error = await failure(engine, "Habari zenu wote", "sw", "en")
    assert error.retryable is False
    assert server.seen == []


async def test_echoed_long_text_fails_but_short_text_may_echo(server: ScriptedServer) -> None:
    server.reply = lambda seen: web.json_response({"translations": [{"text": seen.form["text"]}]})
    engine = make_engine("deepl", url=server.url, key="k", timeout=5)

    error = await failure(engine, "Ceci est une question assez longue pour compter.", "fr", "en")
    assert error.retryable is True
    assert await translate(engine, "Merci", "fr", "en") == "Merci"


async def test_microsoft_sends_key_region_and_codes(server: ScriptedServer) -> None:
    server.reply = lambda seen: web.json_response(
        [{"translations": [{"text": "Hello everyone", "to": seen.query["to"]}]}]
    )
    engine = make_engine("microsoft", url=server.url, key="mskey:westeurope", timeout=5)

    assert await translate(engine, "大家好", "zh", "en") == "Hello everyone"
    (seen,) = server.seen
    assert seen.path == "/translate"
    assert seen.query == {"api-version": "3.0", "from": "zh-Hans", "to": "en"}
    assert seen.headers["Ocp-Apim-Subscription-Key"] == "mskey"
    assert seen.headers["Ocp-Apim-Subscription-Region"] == "westeurope"
    assert seen.json == [{"Text": "大家好"}]


async def test_microsoft_serbian_source_follows_the_script(server: ScriptedServer) -> None:
    server.reply = lambda seen: web.json_response([{"translations": [{"text": "Hello all"}]}])
    engine = make_engine("microsoft", url=server.url, key="k", timeout=5)

    await translate(engine, "Zdravo svima", "sr", "en")
    await translate(engine, "Здраво свима", "sr", "en")

    assert [seen.query["from"] for seen in server.seen] == ["sr-Latn", "sr-Cyrl"]


async def test_microsoft_bad_key_is_not_retryable(server: ScriptedServer) -> None:
    server.reply = lambda seen: web.json_response(
        {"error": {"code": 401000, "message": "invalid key"}}, status=401
    )
    engine = make_engine("microsoft", url=server.url, key="k", timeout=5)
    assert (await failure(engine, "Hola amigos", "es", "en")).retryable is False


def mymemory_reply(translated: str) -> Reply:
    def reply(seen: Seen) -> web.Response:
        return web.json_response(
            {"responseData": {"translatedText": translated}, "responseStatus": 200, "matches": []}
        )

    return reply


async def test_mymemory_through_deep_translator_with_locale_codes(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dt_constants.BASE_URLS, "MYMEMORY", server.url + "/get")
    server.reply = mymemory_reply("Hello everyone")
    engine = make_engine("mymemory", key="team@example.org", timeout=5)

    assert await translate(engine, "Bonjour à tous", "fr", "en") == "Hello everyone"
    (seen,) = server.seen
    assert seen.query["langpair"] == "fr-FR|en-GB"
    assert seen.query["de"] == "team@example.org"


async def test_mymemory_quota_notice_is_a_retryable_failure(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dt_constants.BASE_URLS, "MYMEMORY", server.url + "/get")
    server.reply = mymemory_reply(
        "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY. NEXT AVAILABLE IN"
        "  10 HOURS 52 MINUTES 32 SECONDS"
    )
    engine = make_engine("mymemory", timeout=5)

    error = await failure(engine, "Bonjour à tous", "fr", "en")

    assert error.retryable is True


async def test_mymemory_splits_by_bytes(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dt_constants.BASE_URLS, "MYMEMORY", server.url + "/get")
    server.reply = lambda seen: mymemory_reply(f"<{seen.query['q']}>")(seen)
    text = "我们需要更多的学校和医院。" * 30  # 390 chars, 1,170 UTF-8 bytes
    engine = make_engine("mymemory", timeout=5)

    result = await translate(engine, text, "zh", "en")

    queries = [seen.query["q"] for seen in server.seen]
    assert len(queries) >= 3
    assert all(len(q.encode()) <= 500 for q in queries)
    assert result == "".join(f"<{q}>" for q in queries)


async def test_google_through_deep_translator_with_google_codes(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dt_constants.BASE_URLS, "GOOGLE_TRANSLATE", server.url + "/m")
    server.reply = lambda seen: web.Response(
        text='<html><div class="result-container">Peace to all</div></html>',
        content_type="text/html",
    )
    engine = make_engine("google", timeout=5)

    assert await translate(engine, "שלום לכולם", "he", "zh") == "Peace to all"
    assert (server.seen[0].query["sl"], server.seen[0].query["tl"]) == ("iw", "zh-CN")


async def test_google_rate_limit_is_retryable(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dt_constants.BASE_URLS, "GOOGLE_TRANSLATE", server.url + "/m")
    server.reply = lambda seen: web.Response(text="<title>Error 429</title>", status=429)
    error = await failure(make_engine("google", timeout=5), "Bonjour à tous", "fr", "en")
    assert error.retryable is True and "rate limited" in str(error)


# ------------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    "notice",
    [
        "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY. NEXT AVAILABLE IN"
        " 23 HOURS 59 MINUTES 59 SECONDS VISIT HTTPS://MYMEMORY.TRANSLATED.NET/DOC/USAGELIMITS.PHP",
        "QUERY LENGTH LIMIT EXCEDEED. MAX ALLOWED QUERY : 500 CHARS",
        "INVALID LANGUAGE PAIR SPECIFIED. EXAMPLE: LANGPAIR=EN|IT USING 2 LETTER ISO OR RFC3066",
        "PLEASE SELECT TWO DISTINCT LANGUAGES",
        "please select two distinct languages",
        "'AUTO' IS AN INVALID SOURCE LANGUAGE . EXAMPLE: LANGPAIR=EN|IT",
        "Error 400 (Bad Request)!!1 That’s an error.",
        "Our systems have detected unusual traffic from your computer network.",
    ],
)
def test_engine_notices_are_recognised(notice: str) -> None:
    assert is_engine_notice(notice)


@pytest.mark.parametrize(
    "text",
    [
        "Hello everyone, what is the plan for clean water?",
        "How will the ministry warn villages before floods?",
        "Why are two distinct languages taught in schools?",
        "x" * 200 + " MYMEMORY WARNING",  # deep inside a long text it is content
        "我们需要更多的学校。",
    ],
)
def test_ordinary_translations_are_not_notices(text: str) -> None:
    assert not is_engine_notice(text)


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_code_for_every_language(engine: str) -> None:
    codes = {language: engine_code(engine, language) for language in LANGUAGES}
    for code in codes.values():
        assert code is None or (code.strip() == code != "")
    supported = {language for language, code in codes.items() if code is not None}
    if engine == "none":
        assert supported == set()
    elif engine == "google":
        assert supported == set(LANGUAGES)
    else:
        assert len(supported) >= 30, supported  # DeepL has the fewest


def test_engine_codes_are_what_each_service_expects() -> None:
    google = set(dt_constants.GOOGLE_LANGUAGES_TO_CODES.values())
    mymemory = set(dt_constants.MY_MEMORY_LANGUAGES_TO_CODES.values())
    assert (engine_code("google", "zh"), engine_code("google", "he")) == ("zh-CN", "iw")
    assert engine_code("google", "jv") == "jw"
    for language in LANGUAGES:
        assert engine_code("google", language) in google
        my_code = engine_code("mymemory", language)
        assert my_code in mymemory and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]+)+", my_code or "")
        deepl = engine_code("deepl", language)
        assert deepl is None or deepl == deepl.upper()
    assert engine_code("microsoft", "zh") == "zh-Hans"
    assert engine_code("libre", "no") == engine_code("libre", "nb") == "nb"
    assert engine_code("deepl", "no") == "NB" and engine_code("deepl", "sw") is None


def test_engine_code_normalises_tags_and_aliases() -> None:
    assert engine_code("google", "ZH_cn") == "zh-CN"
    assert engine_code("google", "fil") == "tl"
    assert engine_code("microsoft", "iw") == "he"
    with pytest.raises(ValueError):
        engine_code("babelfish", "en")


def test_every_engine_covers_the_big_languages() -> None:
    for engine in ENGINES[:-1]:
        for language in ("en", "fr", "es", "ar", "ru", "zh", "pt"):
            assert engine_code(engine, language), (engine, language)


def test_make_engine_none_and_bad_settings() -> None:
    assert make_engine("none") is None
    with pytest.raises(ValueError, match="unknown"):
        make_engine("babelfish")
    with pytest.raises(ValueError):
        make_engine("libre")  # the server URL is required
    with pytest.raises(ValueError):
        make_engine("deepl")
    with pytest.raises(ValueError):
        make_engine("microsoft", key="")
    google = make_engine("google")
    assert google is not None and google.name == "google" and google.supports("am")


SAMPLES = [
    "Hello there. How are you today? I am fine!  Thanks for asking.\nNew line here.",
    "我们需要更多的学校。医院在哪里？请帮助我们！谢谢。",
    "هل يمكنكم مساعدة القرى؟ نعم بالتأكيد. شكرا لكم على الاستماع؟",
    "मैं ठीक हूँ। आप कैसे हैं? हमें पानी चाहिए। धन्यवाद॥",
    "supercalifragilisticexpialidocious antidisestablishmentarianism ok",
    "  leading and trailing spaces are kept.  ",
    "No punctuation at all just many words that go on and on without any sentence end",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("limit", [3, 8, 17, 40, 1000])
def test_split_for_limit_properties(text: str, limit: int) -> None:
    pieces = split_for_limit(text, limit)

    assert "".join(pieces) == text
    assert all(0 < len(piece) <= limit for piece in pieces)
    longest_word = max(len(word) for word in text.split())
    if longest_word <= limit:  # then no word may be cut
        for left, right in itertools.pairwise(pieces):
            assert left[-1].isspace() or right[0].isspace() or left[-1] in ".!?。！？؟।॥"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (
            "我们需要学校。医院在哪里？请帮助我们！",
            8,
            ["我们需要学校。", "医院在哪里？", "请帮助我们！"],
        ),
        ("هل يمكنكم المساعدة؟ نعم بالتأكيد.", 22, ["هل يمكنكم المساعدة؟ ", "نعم بالتأكيد."]),
        ("मैं ठीक हूँ। आप कैसे हैं?", 14, ["मैं ठीक हूँ। ", "आप कैसे हैं?"]),
        ("Pi is 3.14 exactly. Next one.", 22, ["Pi is 3.14 exactly. ", "Next one."]),
        ("short", 10, ["short"]),
        ("", 10, []),
    ],
)
def test_split_for_limit_prefers_sentence_boundaries(
    text: str, limit: int, expected: list[str]
) -> None:
    assert split_for_limit(text, limit) == expected


def test_split_for_limit_keeps_combining_marks_with_their_letter() -> None:
    word = "क्षत्रिय" * 3  # one long "word" full of virama and vowel signs
    pieces = split_for_limit(word, 5)
    assert "".join(pieces) == word
    assert all(len(piece) <= 5 for piece in pieces)
    assert not any(piece[0] in "\u094d\u093f" for piece in pieces)  # no piece starts with a mark


def test_split_for_limit_with_a_byte_measure() -> None:
    rng = random.Random(7)
    words = ["água", "ключ", "水", "🌍", "word", "mañana."]
    text = " ".join(rng.choice(words) for _ in range(400))
    pieces = split_for_limit(text, 50, measure=lambda s: len(s.encode()))
    assert "".join(pieces) == text
    assert all(len(piece.encode()) <= 50 for piece in pieces)
    assert all(piece.endswith(" ") for piece in pieces[:-1])  # cut between words only


def test_split_for_limit_rejects_impossible_limits() -> None:
    with pytest.raises(ValueError):
        split_for_limit("abc", 0)
    with pytest.raises(ValueError):
        split_for_limit("🌍🌍🌍", 3, measure=lambda s: len(s.encode()))
