"""A fake LibreTranslate server (aiohttp) on loopback, with faults switchable at run time.

It answers like LibreTranslate where our engine cares: ``POST /translate`` takes q, source,
target, format and api_key from the query string (how deep-translator sends them), a form or a
JSON body, and answers ``{"translatedText": ...}`` or ``{"error": ...}`` with LibreTranslate's
statuses.  The fake translation is ``"[{source}->{target}] {q}"`` so tests can recognise it.

Set ``mode`` to ``"ok"``, ``"slow"`` (waits ``delay`` seconds), ``"hang"`` (never answers until
stop), ``"empty"``, ``"error400"`` or ``"error503"``.  ``stop()`` then ``restart()`` makes the port
refuse connections for a while and come back on the same port.

The models it has are ``languages`` (code -> name; ``LANGUAGES`` unless given, and changeable
at run time): ``GET /languages`` lists them, and ``/translate`` refuses any other code with
LibreTranslate's 400 ``"<code> is not supported"``.  ``languages_status`` set to an HTTP status
makes ``GET /languages`` fail with it; ``language_reads`` counts the reads.

The server runs in the test's event loop; call blocking clients from a thread
(``await asyncio.to_thread(engine.translate, ...)``) so the loop stays free to answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

__all__ = ["LANGUAGES", "MODES", "FakeLibreTranslate", "fake_translation"]

MODES = ("ok", "slow", "hang", "empty", "error400", "error503")

LANGUAGES: dict[str, str] = {
    "en": "English", "ar": "Arabic", "de": "German", "es": "Spanish", "fa": "Persian",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "ja": "Japanese", "nb": "Norwegian",
    "pt": "Portuguese", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip


def fake_translation(q: str, source: str, target: str) -> str:
    return f"[{source}->{target}] {q}"


class FakeLibreTranslate:
    def __init__(
        self,
        *,
        mode: str = "ok",
        delay: float = 0.5,
        api_key: str | None = None,
        char_limit: int | None = None,
        languages: Mapping[str, str] | Iterable[str] | None = None,
    ) -> None:
        self.mode = mode
        self.delay = delay
        # When set, requests must carry this api_key (403 otherwise), like a keyed server.
        self.api_key = api_key
        # LibreTranslate's --char-limit: longer q is refused with 400.
        self.char_limit = char_limit
        # The models this server has; a plain list of codes names each by its code.
        self.languages: dict[str, str] = (
            dict(LANGUAGES)
            if languages is None
            else dict(languages)
            if isinstance(languages, Mapping)
            else {code: code for code in languages}
        )
        # When set, GET /languages answers this HTTP status (a proxy that only passes /translate).
        self.languages_status: int | None = None
        self.language_reads = 0
        self.requests: list[dict[str, Any]] = []
        self.translated = 0
        # Known texts and what a real engine would make of them, by (q, target): a test can
        # have questions in different languages meet in the same English.
        self.canned: dict[tuple[str, str], str] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._release = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeLibreTranslate already started")
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        app.router.add_get("/languages", self._languages)
        app.router.add_post("/detect", self._detect)
        # stop() releases hanging handlers first, so a short shutdown is enough.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._release.set()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def restart(self) -> None:
        """Serve again on the port used before (after stop(): simulates a recovery)."""
        if not self._port:
            raise RuntimeError("FakeLibreTranslate never started; nothing to restart")
        await self.start(self._port)

    async def __aenter__(self) -> FakeLibreTranslate:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeLibreTranslate is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ handlers

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            params.update(await request.post())
        return params

    async def _translate(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self.requests.append({**params, "path": request.path, "time": time.monotonic()})
        fault = await self._fault()
        if fault is not None:
            return fault
        refusal = self._refusal(params)
        if refusal is not None:
            return refusal
        q, source, target = str(params["q"]), str(params["source"]), str(params["target"])
        self.translated += 1
        if self.mode == "empty":
            return web.json_response({"translatedText": ""})
        made = self.canned.get((q, target)) or fake_translation(q, source, target)
        answer: dict[str, Any] = {"translatedText": made}
        if source == "auto":
            answer["detectedLanguage"] = {"confidence": 90.0, "language": "en"}
        return web.json_response(answer)

    async def _fault(self) -> web.Response | None:
        if self.mode == "hang":
            await self._release.wait()
            return _error(503, "Shutting down")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "error503":
            return _error(503, "Service Unavailable")
        if self.mode == "error400":
            return _error(400, "Invalid request: something is wrong")
        return None

    def _refusal(self, params: dict[str, Any]) -> web.Response | None:
        """LibreTranslate's own 400/403 answers, checked in its order."""
        if self.api_key is not None and params.get("api_key") != self.api_key:
            return _error(403, "Invalid API key")
        for field in ("q", "source", "target"):
            if not params.get(field):
                return _error(400, f"Invalid request: missing {field} parameter")
        q = str(params["q"])
        if self.char_limit is not None and len(q) > self.char_limit:
            return _error(
                400,
                f"Invalid request: request ({len(q)}) exceeds text limit ({self.char_limit})",
            )
        for field in ("source", "target"):
            code = str(params[field])
            if code not in self.languages and not (field == "source" and code == "auto"):
                return _error(400, f"{code} is not supported")
        return None

    async def _languages(self, request: web.Request) -> web.Response:
        self.language_reads += 1
        if self.languages_status is not None:
            return _error(self.languages_status, "Not available")
        return web.json_response(
            [
                {"code": code, "name": name, "targets": sorted(self.languages)}
                for code, name in self.languages.items()
            ]
        )

    async def _detect(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self.requests.append({**params, "path": request.path, "time": time.monotonic()})
        return web.json_response([{"confidence": 90.0, "language": "en"}])


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
