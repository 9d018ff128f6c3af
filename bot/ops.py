"""Operations: the one-bot-per-database lock, health figures, and the HTTP side of the bot
(the webhook endpoint and /healthz)."""

from __future__ import annotations

import fcntl
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from bot.workers.base import FAILING_AFTER, WorkerHealth
from storage.statistics import OpsFigures, StatisticsStore

_log = logging.getLogger(__name__)

# /healthz says "degraded" when a message has waited this long to be delivered.
STALE_OUTBOX_S = 300.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class AlreadyRunning(Exception):
    """Another townhall-bot holds this database."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def hold_database_lock(db_path: Path) -> IO[str]:
    """Take the lock that marks the database as in use (released when the process ends,
    however it ends: the kernel drops flock locks of dead processes)."""
    handle = lock_path(db_path).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise AlreadyRunning(str(db_path)) from None
    return handle


def health_document(
    figures: OpsFigures, workers: dict[str, dict[str, Any]] | None = None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for /healthz: degraded when a message has waited too long or a
    worker keeps failing (its last error is in the body)."""
    workers = workers or {}
    stale = (figures.oldest_outbox_seconds or 0.0) > STALE_OUTBOX_S
    # An erasure not yet flushed from the -wal shows as such (the erasure worker retries).
    stale = stale or figures.erasure_unflushed_since is not None
    failing = sorted(n for n, s in workers.items() if int(s.get("failures", 0)) >= FAILING_AFTER)
    degraded = stale or bool(failing)
    body: dict[str, Any] = {
        "status": "degraded" if degraded else "ok",
        **asdict(figures),
        "failing_workers": failing,
        "workers": workers,
    }
    return (503 if degraded else 200), body


def health_routes(statistics: StatisticsStore, health: WorkerHealth) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        workers = health.snapshot()
        try:
            figures = await statistics.ops_figures(time.time())
        except Exception as error:  # the database itself is in trouble: say so, don't crash
            return web.json_response(
                {"status": "degraded", "database": type(error).__name__, "workers": workers},
                status=503,
            )
        status, body = health_document(figures, workers)
        return web.json_response(body, status=status)

    return [web.get("/healthz", healthz)]


def webhook_routes(
    path: str, secret: str, receive: Callable[[dict[str, Any]], Awaitable[None]]
) -> list[web.RouteDef]:
    """The endpoint Telegram posts updates to. 200 only once the update is in the inbox:
    if we die before answering, Telegram sends it again, and the inbox ignores the repeat."""

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            _log.warning("webhook request with a wrong secret from %s", request.remote)
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400)
        await receive(payload)
        return web.Response(text="ok")

    return [web.post(path or "/", webhook)]


async def start_http(
    routes: list[web.RouteDef],
    host: str,
    port: int,
    setup: Callable[[web.Application], None] | None = None,
) -> web.AppRunner:
    app = web.Application(client_max_size=1024**2)
    app.add_routes(routes)
    if setup is not None:
        setup(app)
    runner = web.AppRunner(app, access_log=None)  # access lines would carry the secret path
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    _log.info("listening on http://%s:%d", host, port)
    return runner
