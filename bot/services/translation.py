"""Translation engines: blocking calls to Google, LibreTranslate, MyMemory, Microsoft and DeepL.

The translation worker calls ``Engine.translate`` from a thread pool.  Every engine maps our
ISO 639-1 codes to its own, splits text over its length limit (sentence, then word boundaries),
and turns every failure into ``TranslationFailed`` whose ``retryable`` says whether a later retry
can help.  Error messages never carry the user's text or an API key: they end up in logs, and
some participants are at risk if their words leak.

Google, LibreTranslate and MyMemory go through deep-translator.  Microsoft and DeepL are called
directly with httpx: deep-translator's Microsoft class fetches the language list over the network
in its constructor and hides request errors, and its DeepL class sends the key as a query
parameter, which DeepL no longer accepts.

What an engine translates is a fixed list, except LibreTranslate's: a server has the models its
operator installed, more or fewer than the upstream set, so ``LibreEngine`` reads the server's
``GET /languages`` (lazily, in the calling thread, never on the event loop), keeps it an hour,
and reads it again at once when the server refuses a language it listed.  ``supports`` and
``supports_pair`` never do I/O: they answer from what was last read; a caller on the event loop
runs ``refresh_languages`` in a thread first when ``languages_due()`` says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import httpx
import requests
from deep_translator import GoogleTranslator, LibreTranslator, MyMemoryTranslator
from deep_translator import exceptions as dt_errors

from bot.services.http_timeouts import (
    _engine_timeout,
    _ensure_requests_patched,
    _responses,
    install_http_timeout,
)
from bot.services.translation_codes import (
    _CODES,
    _DEEPL_TARGET,
    ENGINES,
    LANGUAGES,
    _canonical,
    _parse_languages,
    _refuses_language,
    _ServerLanguages,
    _source_code,
    engine_code,
)
from bot.services.translation_text import (
    TranslationFailed,
    _check_piece,
    _looks_echoed,
    _query_len,
    _utf8_len,
    is_engine_notice,
    split_for_limit,
)

__all__ = [
    "ENGINES",
    "LANGUAGES",
    "Engine",
    "LibreEngine",
    "TranslationFailed",
    "engine_code",
    "install_http_timeout",
    "is_engine_notice",
    "make_engine",
    "split_for_limit",
]

_log = logging.getLogger(__name__)


class Engine(Protocol):
    """A translation engine.  ``translate`` and ``refresh_languages`` block (run them in a
    thread); the other methods answer at once, from what the engine knows now."""

    name: str

    def supports(self, language: str) -> bool:
        """Whether it translates from this language."""
        ...

    def supports_pair(self, source: str, target: str) -> bool: ...

    def languages(self) -> tuple[str, ...]:
        """Our codes of the languages it translates from, sorted."""
        ...

    def languages_due(self) -> bool:
        """Whether ``refresh_languages`` would read the list again now."""
        ...

    def languages_known(self) -> bool:
        """False while the engine answers from a fallback (its server's list never read)."""
        ...

    def refresh_languages(self) -> None:
        """Re-read what the engine supports if that is due; never raises.  Blocking."""
        ...

    def translate(self, text: str, source: str, target: str) -> str: ...


# ----------------------------------------------------------------------------- failure mapping

# HTTP statuses where the same request will fail again (bad input, bad key, unsupported pair).
_PERMANENT_STATUSES: Final = frozenset({400, 401, 402, 403, 413, 414, 422, 501})
_SERVER_EXCEPTION_STATUS: Final[Mapping[str, int]] = {
    message: status for status, message in dt_errors.ServerException.errors.items()
}
_NOT_RETRYABLE: Final[Mapping[type[Exception], str]] = {
    dt_errors.AuthorizationException: "authorization refused",
    dt_errors.ApiKeyException: "API key missing",
    dt_errors.LanguageNotSupportedException: "language not supported",
    dt_errors.InvalidSourceOrTargetLanguage: "language not supported",
    dt_errors.NotValidPayload: "text rejected",
    dt_errors.NotValidLength: "text too long for the engine",
}


def _failure_from(name: str, exc: Exception) -> TranslationFailed:
    """Map a library exception; only its type and status, as its text may hold text or key."""
    for kind, detail in _NOT_RETRYABLE.items():
        if isinstance(exc, kind):
            return TranslationFailed(f"{name}: {detail}", retryable=False)
    if isinstance(exc, dt_errors.ServerException):
        status = _SERVER_EXCEPTION_STATUS.get(str(exc.args[0]) if exc.args else "", 0)
        retryable = status not in _PERMANENT_STATUSES
        return TranslationFailed(f"{name}: HTTP {status or 'error'}", retryable=retryable)
    if isinstance(exc, requests.exceptions.Timeout):
        return TranslationFailed(f"{name}: timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return TranslationFailed(f"{name}: connection failed")
    if isinstance(exc, dt_errors.TooManyRequests):
        return TranslationFailed(f"{name}: rate limited")
    return TranslationFailed(f"{name}: {type(exc).__name__}")


def _failure_from_status(name: str, status: int) -> TranslationFailed:
    # DeepL 456 (quota) and 429 are retryable: quotas reset and the worker backs off.
    return TranslationFailed(f"{name}: HTTP {status}", retryable=status not in _PERMANENT_STATUSES)


# ----------------------------------------------------------------------------- engines


class _BaseEngine:
    """Code mapping, splitting and result checks; subclasses translate one piece."""

    name = ""
    char_limit = 5000
    # Engines that send text in a GET/POST query string must also fit the URL length.
    query_limit: int | None = None

    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout

    def supports(self, language: str) -> bool:
        return engine_code(self.name, language) is not None

    def supports_pair(self, source: str, target: str) -> bool:
        return self.supports(source) and self.supports(target)

    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(_CODES[self.name]))

    # A fixed list: nothing to read, always known.
    def languages_due(self) -> bool:
        return False

    def languages_known(self) -> bool:
        return True

    def refresh_languages(self) -> None:
        return None

    def _codes(self, source: str, target: str, text: str) -> tuple[str | None, str | None]:
        return _source_code(self.name, source, text), engine_code(self.name, target)

    def translate(self, text: str, source: str, target: str) -> str:
        if not text.strip():
            raise TranslationFailed(f"{self.name}: nothing to translate", retryable=False)
        src, tgt = self._codes(source, target, text)
        if src is None or tgt is None:
            raise TranslationFailed(
                f"{self.name}: unsupported language pair {source}->{target}", retryable=False
            )
        if _canonical(source) == _canonical(target):
            return text
        result = "".join(self._translate_spaced(piece, src, tgt) for piece in self._split(text))
        if _looks_echoed(text, result):
            raise TranslationFailed(f"{self.name}: the engine returned the text untranslated")
        return result

    def _measure(self, text: str) -> int:
        return len(text)

    def _split(self, text: str) -> list[str]:
        pieces = split_for_limit(text, self.char_limit, measure=self._measure)
        if self.query_limit is None:
            return pieces
        return [
            part
            for piece in pieces
            for part in split_for_limit(piece, self.query_limit, measure=_query_len)
        ]

    def _translate_spaced(self, piece: str, source: str, target: str) -> str:
        # Engines strip their input, so the spacing between pieces is put back here.
        core = piece.strip()
        if not core:
            return piece
        lead = piece[: len(piece) - len(piece.lstrip())]
        trail = piece[len(piece.rstrip()) :]
        translated = _check_piece(self.name, core, self._translate_piece(core, source, target))
        return lead + translated.strip() + trail

    def _translate_piece(self, text: str, source: str, target: str) -> object:
        raise NotImplementedError


class _DeepTranslatorEngine(_BaseEngine):
    """Runs a deep-translator class with this engine's HTTP timeout in force."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        _ensure_requests_patched()

    def _translate_piece(self, text: str, source: str, target: str) -> object:
        token = _engine_timeout.set(self.timeout)
        try:
            # A fresh translator per call: deep-translator keeps request state on the instance.
            return self._translator(source, target).translate(text)
        except Exception as exc:
            raise _failure_from(self.name, exc) from None
        finally:
            _engine_timeout.reset(token)

    def _translator(self, source: str, target: str) -> Any:
        raise NotImplementedError


class GoogleEngine(_DeepTranslatorEngine):
    name = "google"
    char_limit = 4999  # deep-translator requires len(text) < 5000
    # Google rejects URLs over about 16 KB: 1,900 CJK characters fail (deep-translator #224).
    query_limit = 14_000

    def _translator(self, source: str, target: str) -> Any:
        return GoogleTranslator(source=source, target=target)


class LibreEngine(_DeepTranslatorEngine):
    name = "libre"
    char_limit = 2000  # below common server char_limit settings
    query_limit = 7000  # deep-translator sends q in the URL; nginx's default line limit is 8 KB
    _PLACEHOLDER_KEY = "not-needed"

    # The server's list is read again after an hour, or at once when it refuses a language it
    # listed; while it cannot be read, again after a minute (the last list, else the built-in
    # one, meanwhile).
    LANGUAGES_TTL_S = 3600.0
    LANGUAGES_RETRY_S = 60.0

    def __init__(
        self,
        *,
        url: str,
        key: str | None,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(timeout=timeout)
        self.base_url = _libre_base(url)
        self.key = key or self._PLACEHOLDER_KEY
        self._clock = clock
        self._server: _ServerLanguages | None = None  # None: never read
        self._due_at = float("-inf")
        self._read_lock = threading.Lock()
        self._unreachable = False  # said in the log once per outage

    # ------------------------------------------------------------- the server's languages

    def supports(self, language: str) -> bool:
        server = self._server
        if server is None:
            return super().supports(language)
        return _canonical(language) in server.targets

    def supports_pair(self, source: str, target: str) -> bool:
        server = self._server
        if server is None:
            return super().supports_pair(source, target)
        return _canonical(target) in server.targets.get(_canonical(source), ())

    def languages(self) -> tuple[str, ...]:
        server = self._server
        return super().languages() if server is None else tuple(sorted(server.targets))

    def languages_due(self) -> bool:
        return self._clock() >= self._due_at

    def languages_known(self) -> bool:
        return self._server is not None

    def refresh_languages(self) -> None:
        with self._read_lock:  # threads asking at once share one read
            if not self.languages_due():
                return
            try:
                server = self._read_languages()
            except TranslationFailed as error:
                self._due_at = self._clock() + self.LANGUAGES_RETRY_S
                if not self._unreachable:
                    self._unreachable = True
                    fallback = "the list it gave before" if self._server else "the built-in list"
                    _log.warning(
                        "libre: the server's languages could not be read (%s); using %s until"
                        " it answers",
                        error,
                        fallback,
                    )
                return
            self._server = server
            self._due_at = self._clock() + self.LANGUAGES_TTL_S
            self._unreachable = False
            _log.info("libre: the server translates %d languages", len(server.targets))

    def _forget_languages(self) -> None:
        """The server refused a language it listed: its list is out of date."""
        self._due_at = float("-inf")

    def _read_languages(self) -> _ServerLanguages:
        # No key: LibreTranslate serves its languages to anyone, and a key stays out of URLs.
        try:
            response = httpx.get(self.base_url + "languages", timeout=self.timeout)
        except httpx.TimeoutException:
            raise TranslationFailed("timed out") from None
        except httpx.HTTPError as exc:
            raise TranslationFailed(type(exc).__name__) from None
        if not response.is_success:
            raise TranslationFailed(f"HTTP {response.status_code}")
        try:
            return _parse_languages(response.json())
        except ValueError:
            raise TranslationFailed("unreadable answer") from None

    # ------------------------------------------------------------- translating

    def _codes(self, source: str, target: str, text: str) -> tuple[str | None, str | None]:
        # The server's own code where it listed the language; else the upstream one, so that a
        # model installed since the last read is tried (a 400 makes us read the list again).
        server = self._server

        def code(language: str) -> str | None:
            listed = server.codes.get(_canonical(language)) if server else None
            return listed or engine_code(self.name, language)

        return code(source), code(target)

    def translate(self, text: str, source: str, target: str) -> str:
        # The first call reads the list; later reads are the caller's (the worker re-reads in
        # the background when due) or follow a refusal, so no translation waits for one.
        if self._server is None and self.languages_due():
            self.refresh_languages()
        return super().translate(text, source, target)

    def _translate_piece(self, text: str, source: str, target: str) -> object:
        answers: list[Any] = []
        token = _responses.set(answers)
        try:
            return super()._translate_piece(text, source, target)
        except TranslationFailed:
            if answers and _refuses_language(answers[-1], (source, target)):
                self._forget_languages()
                self.refresh_languages()
                raise TranslationFailed(
                    f"{self.name}: the server does not translate {source}->{target}",
                    retryable=False,
                ) from None
            raise
        finally:
            _responses.reset(token)

    def _translator(self, source: str, target: str) -> Any:
        translator = LibreTranslator(
            source="en", target="es", api_key=self.key,
            use_free_api=False, custom_url=self.base_url,
        )  # fmt: skip
        # deep-translator's Libre list has 17 languages; the server decides what it supports.
        translator.source, translator.target = source, target
        return translator


def _libre_base(url: str) -> str:
    # deep-translator appends "translate" to the base URL verbatim, so it must end with "/".
    base = url.strip().rstrip("/")
    base = base.removesuffix("/translate")
    return base + "/"


class MyMemoryEngine(_DeepTranslatorEngine):
    name = "mymemory"
    char_limit = 480  # MyMemory allows 500 bytes per query; deep-translator < 500 chars

    def __init__(self, *, email: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.email = email

    def _measure(self, text: str) -> int:
        return _utf8_len(text)

    def _translator(self, source: str, target: str) -> Any:
        # With an email ("de" parameter) MyMemory's free quota is 50,000 chars a day, not 5,000.
        return MyMemoryTranslator(source=source, target=target, email=self.email)


class _HttpxEngine(_BaseEngine):
    def _post(self, url: str, **kwargs: Any) -> Any:
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.post(url, **kwargs)
        except httpx.TimeoutException:
            raise TranslationFailed(f"{self.name}: timed out") from None
        except httpx.HTTPError as exc:
            raise TranslationFailed(f"{self.name}: {type(exc).__name__}") from None
        if not response.is_success:
            raise _failure_from_status(self.name, response.status_code)
        try:
            return response.json()
        except ValueError:
            raise TranslationFailed(f"{self.name}: unreadable answer") from None


def _endpoint(url: str, path: str) -> str:
    base = url.strip().rstrip("/")
    return base if base.endswith(path) else base + path


class MicrosoftEngine(_HttpxEngine):
    name = "microsoft"
    char_limit = 10_000  # the API takes 50,000 per request; smaller keeps latency predictable
    DEFAULT_URL = "https://api.cognitive.microsofttranslator.com"

    def __init__(self, *, key: str, url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        # "KEY:REGION" carries the resource region, required for regional/multi-service keys.
        self.key, _, self.region = key.partition(":")
        self.url = _endpoint(url or self.DEFAULT_URL, "/translate")

    def _translate_piece(self, text: str, source: str, target: str) -> object:
        headers = {"Ocp-Apim-Subscription-Key": self.key}
        if self.region:
            headers["Ocp-Apim-Subscription-Region"] = self.region
        params = {"api-version": "3.0", "from": source, "to": target}
        data = self._post(self.url, params=params, headers=headers, json=[{"Text": text}])
        try:
            return data[0]["translations"][0]["text"]
        except (KeyError, IndexError, TypeError):
            raise TranslationFailed(f"{self.name}: unexpected answer") from None


class DeepLEngine(_HttpxEngine):
    name = "deepl"
    char_limit = 10_000  # DeepL takes 128 KiB per request
    FREE_URL = "https://api-free.deepl.com"
    PRO_URL = "https://api.deepl.com"

    def __init__(self, *, key: str, url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.key = key
        default = self.FREE_URL if key.endswith(":fx") else self.PRO_URL
        self.url = _endpoint(url or default, "/v2/translate")

    def _translate_piece(self, text: str, source: str, target: str) -> object:
        form = {
            "text": text,
            "source_lang": source,
            "target_lang": _DEEPL_TARGET.get(target, target),
        }
        headers = {"Authorization": f"DeepL-Auth-Key {self.key}"}
        data = self._post(self.url, data=form, headers=headers)
        try:
            return data["translations"][0]["text"]
        except (KeyError, IndexError, TypeError):
            raise TranslationFailed(f"{self.name}: unexpected answer") from None


# ----------------------------------------------------------------------------- factory


def _require_key(name: str, key: str | None) -> str:
    if not key:
        raise ValueError(f"the {name} translation engine needs an API key")
    return key


def make_engine(
    name: str, *, url: str | None = None, key: str | None = None, timeout: float = 15.0
) -> Engine | None:
    """Build an engine; None for "none", ValueError for unknown names or missing settings.

    ``url``: the LibreTranslate server (required for libre), or an API base for microsoft and
    deepl (tests point them at a fake).  ``key``: API key (microsoft "KEY" or "KEY:REGION",
    deepl; optional for libre; for mymemory an email address raising the free quota).
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if name == "none":
        return None
    if name == "google":
        return GoogleEngine(timeout=timeout)
    if name == "libre":
        if not url:
            raise ValueError("the libre translation engine needs the server URL")
        return LibreEngine(url=url, key=key, timeout=timeout)
    if name == "mymemory":
        return MyMemoryEngine(email=key if key and "@" in key else None, timeout=timeout)
    if name == "microsoft":
        return MicrosoftEngine(key=_require_key(name, key), url=url, timeout=timeout)
    if name == "deepl":
        return DeepLEngine(key=_require_key(name, key), url=url, timeout=timeout)
    raise ValueError(f"unknown translation engine {name!r}; expected one of {ENGINES}")
