"""`townhall-bot run`: start, take updates (long polling or webhook), stop cleanly on
SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from urllib.parse import urlsplit

from aiohttp import web
from telegram.error import InvalidToken, NetworkError

from bot import ops
from bot.app import build_application
from bot.config import Settings
from bot.context import Services, TownHallApplication
from bot.i18n import load_locales
from bot.telegram.menus import publish_menus, publish_staff_menus
from bot.telegram.polling import ALLOWED_UPDATES, DurablePoller
from bot.web.screen import install_shutdown, screen_routes
from bot.workers.base import SupervisedWorker, WorkerHealth, WorkerState
from storage import Stores, open_database

_log = logging.getLogger(__name__)

# The whole shutdown stays within 10 s: handlers first, then messages already on the wire.
DRAIN_TIMEOUT_S = 5.0
START_RETRY_S = 1.0  # then 2, 4 ... 60 s between attempts to reach Telegram at start
START_RETRY_MAX_S = 60.0
SENDER_STOP_TIMEOUT_S = 3.0
TRANSLATOR_STOP_TIMEOUT_S = 1.0


class StartupError(Exception):
    """The bot cannot start; the message is meant for the organizer."""


async def run_bot(
    settings: Settings, stop: asyncio.Event | None = None, health_port: int | None = None
) -> None:
    """Run until `stop` (or SIGTERM/SIGINT): webhook mode when a webhook URL is configured."""
    stop = stop or _stop_on_signals()
    try:
        lock = ops.hold_database_lock(settings.db_path)
    except ops.AlreadyRunning:
        raise StartupError(f"another townhall-bot is already using {settings.db_path}") from None
    try:
        db = await open_database(settings.db_path)
        try:
            stores = Stores.on(db)
            application = build_application(settings, stores, load_locales(settings.locales_dir))
            # getMe: the token is checked here, and Telegram may be out of reach for a while
            if not await with_telegram_retries("getMe", application.initialize, stop):
                return
            await application.start()
            try:
                await _serve(application, stores, stop, health_port)
            finally:
                await application.stop()
                await application.shutdown()
        finally:
            await db.close()
    finally:
        lock.close()


async def with_telegram_retries(
    what: str, call: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> bool:
    """Make a start-up call to Telegram, retrying while it is unreachable or answers 5xx (a
    network blip while the server boots): one log line per attempt, no traceback. An
    invalid token stops the start (exit code 2). False if stopped meanwhile."""
    attempt = 0
    while not stop.is_set():
        try:
            await call()
            return True
        except InvalidToken:
            raise StartupError(
                "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather"
            ) from None
        except NetworkError as error:  # timeouts and 5xx answers included
            attempt += 1
            delay = min(START_RETRY_MAX_S, START_RETRY_S * 2 ** (attempt - 1))
            _log.warning(
                "%s: Telegram is unreachable (%s); attempt %d, trying again in %.0f s",
                what,
                error,
                attempt,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    return False


# The name the tests and earlier callers use; polling is what it does unless configured.
run_polling = run_bot


async def _serve(
    application: TownHallApplication,
    stores: Stores,
    stop: asyncio.Event,
    health_port: int | None,
) -> None:
    services, settings = application.services, application.services.settings
    uncertain = await stores.outbox.requeue_interrupted()
    if uncertain:
        _log.warning(
            "%d message(s) were on the wire when the bot last stopped; sending them again"
            " (their recipients may see them twice)",
            uncertain,
        )
    await services.moderation.load()
    _record_worker_health(services.health, stores)
    async with contextlib.AsyncExitStack() as workers:
        # Started here and stopped in reverse order: the sender last, so that what the
        # others queued on their way out still has a chance to go.
        for worker, timeout in _workers(services):
            worker.start()
            workers.push_async_callback(worker.stop, timeout)
        menus = asyncio.create_task(_publish_all_menus(application))
        inbox = DurablePoller(
            application,
            stores.inbox,
            raw_request=services.updates_request,
            transient=services.transient,
            health=services.health,
        )
        await inbox.replay(stop)
        http = await _start_http(application, stores, inbox, health_port, stop)
        _log.info("townhall-bot is running as @%s", application.bot.username)
        try:
            if settings.webhook_url is None:
                # A webhook left set would make every getUpdates fail with 409.
                removed = await with_telegram_retries(
                    "deleteWebhook",
                    lambda: application.bot.delete_webhook(drop_pending_updates=False),
                    stop,
                )
                if removed:
                    await inbox.run(stop)
            else:
                await stop.wait()
        finally:
            menus.cancel()
            if http is not None:
                await http.cleanup()  # no new updates from here on
            _log.info("stopping: finishing updates in hand")
            if not await inbox.drain(DRAIN_TIMEOUT_S):
                _log.warning(
                    "some updates were cut short; they will be replayed at the next start"
                )
    _log.info("stopped after handling %d updates", inbox.processed)


def _workers(services: Services) -> list[tuple[SupervisedWorker, float]]:
    """Every background worker with its stop timeout, in starting order."""
    started: list[tuple[SupervisedWorker, float]] = [(services.sender, SENDER_STOP_TIMEOUT_S)]
    started.append((services.translator, TRANSLATOR_STOP_TIMEOUT_S))
    if services.feed is not None:
        started.append((services.feed, TRANSLATOR_STOP_TIMEOUT_S))
    started.append((services.broadcaster, TRANSLATOR_STOP_TIMEOUT_S))
    if services.retention is not None:
        started.append((services.retention, TRANSLATOR_STOP_TIMEOUT_S))
    started.append((services.erasure, TRANSLATOR_STOP_TIMEOUT_S))
    return started


def _record_worker_health(health: WorkerHealth, stores: Stores) -> None:
    """Save a worker's state when it starts or stops failing, for `stats --ops` (another
    process). Best effort: the database may be the very thing that fails."""
    pending: set[asyncio.Task[None]] = set()

    async def save(name: str, state: WorkerState) -> None:
        try:
            await stores.statistics.record_worker_state(name, json.dumps(asdict(state)))
        except Exception as error:
            _log.warning("could not record %s worker health: %s", name, type(error).__name__)

    def changed(name: str, state: WorkerState) -> None:
        task = asyncio.create_task(save(name, WorkerState(**asdict(state))))
        pending.add(task)
        task.add_done_callback(pending.discard)

    health.on_change = changed


async def _publish_all_menus(application: TownHallApplication) -> None:
    services, settings = application.services, application.services.settings
    await publish_menus(application.bot, services.locales)
    await publish_staff_menus(
        application.bot,
        services.locales,
        settings.language,
        services.moderation.moderator_ids(),
        settings.organizers,
        settings.moderator_chat,
    )


async def _start_http(
    application: TownHallApplication,
    stores: Stores,
    inbox: DurablePoller,
    health_port: int | None,
    stop: asyncio.Event,
) -> web.AppRunner | None:
    """The bot's web server: /healthz and the on-air screen's pages, with the webhook
    endpoint in webhook mode; in polling mode only when TOWNHALL_WEB_PORT (or its alias
    --health-port) asks for it."""
    settings = application.services.settings
    routes = ops.health_routes(stores.statistics, application.services.health)
    routes += screen_routes(application.services.screen)
    if settings.webhook_url is not None:
        # Telegram sends this secret with every update; without it a request is refused.
        secret = settings.webhook_secret or secrets.token_urlsafe(32)
        path = urlsplit(settings.webhook_url).path or "/"
        routes += ops.webhook_routes(path, secret, inbox.receive)
        runner = await ops.start_http(routes, settings.listen, settings.port, install_shutdown)
        url = settings.webhook_url
        await with_telegram_retries(
            "setWebhook",
            lambda: application.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            ),
            stop,
        )
        return runner
    port = settings.web_port or health_port
    if port is not None:
        return await ops.start_http(routes, settings.listen, port, install_shutdown)
    return None


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
