"""The on-air screen and the host's run order over HTTP.

Without the right secret a page answers 404, as any unknown path does: no hint that a page
exists. The state reaches the page as Server-Sent Events, checked twice a second and sent
when it changes; the browser's EventSource reconnects by itself after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from bot.services.screen import PageRequest, ScreenService
from bot.web.pages import SCRIPT, STYLE, page_html
from storage.screen import Page

_log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5  # the screen follows /live, /next and /answered well within 2 s
KEEPALIVE_S = 15.0
HEADERS = {
    # The secret is in the address: never passed on, never cached, never indexed.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:;"
        " connect-src 'self'; base-uri 'none'; frame-ancestors *"
    ),
}
_STOPPING = web.AppKey("screen_stopping", asyncio.Event)


def screen_routes(service: ScreenService) -> list[web.RouteDef]:
    async def page(request: web.Request) -> web.StreamResponse:
        wanted = await _request(service, request)
        if wanted is None:
            raise web.HTTPNotFound()
        overlay = request.query.get("overlay") == "1"
        return web.Response(
            text=page_html(wanted.page.value, overlay), content_type="text/html", headers=HEADERS
        )

    async def events(request: web.Request) -> web.StreamResponse:
        wanted = await _request(service, request)
        if wanted is None:
            raise web.HTTPNotFound()
        return await _stream(service, wanted, request)

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "screen.js":
            return web.Response(text=SCRIPT, content_type="text/javascript", headers=HEADERS)
        if name == "screen.css":
            return web.Response(text=STYLE, content_type="text/css", headers=HEADERS)
        raise web.HTTPNotFound()

    routes = [web.get("/static/{name}", static)]
    for kind in Page:
        routes.append(web.get(f"/{kind.value}/{{secret}}", page))
        routes.append(web.get(f"/{kind.value}/{{secret}}/events", events))
    return routes


def install_shutdown(app: web.Application) -> None:
    """Open feeds end when the server stops (else they would hold its shutdown)."""
    stopping = asyncio.Event()
    app[_STOPPING] = stopping

    async def stop_feeds(_: web.Application) -> None:
        stopping.set()

    app.on_shutdown.append(stop_feeds)


async def _request(service: ScreenService, request: web.Request) -> PageRequest | None:
    kind = Page(request.path.strip("/").split("/")[0])
    wanted = PageRequest(kind, request.match_info["secret"], request.query.get("lang") or None)
    try:
        return wanted if await service.allowed(wanted) else None
    except Exception:  # the database in trouble: no page, and no stack trace shown
        _log.warning("screen: could not check a secret", exc_info=True)
        return None


async def _stream(
    service: ScreenService, wanted: PageRequest, request: web.Request
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={**HEADERS, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    await response.write(b"retry: 1000\n\n")  # reconnect within a second after a restart
    stopping = request.app.get(_STOPPING) or asyncio.Event()
    last: str | None = None
    quiet = 0.0
    while not stopping.is_set():
        if not await service.allowed(wanted):
            break  # /screen new: the old link stops here too
        state = await _state(service, wanted)
        if state is not None and state != last:
            await response.write(f"data: {state}\n\n".encode())
            last, quiet = state, 0.0
        elif quiet >= KEEPALIVE_S:
            await response.write(b": keepalive\n\n")
            quiet = 0.0
        try:
            await asyncio.wait_for(stopping.wait(), CHECK_EVERY_S)
        except TimeoutError:
            quiet += CHECK_EVERY_S
    return response


async def _state(service: ScreenService, wanted: PageRequest) -> str | None:
    try:
        state: dict[str, Any] = await service.state(wanted)
    except Exception:  # an unknown state never shows a stack trace; the log has it
        _log.warning("screen: state not available", exc_info=True)
        return None
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))
