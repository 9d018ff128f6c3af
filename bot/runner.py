"""`townhall-bot run`: start, poll, and stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken

from bot.app import build_application
from bot.config import Settings
from bot.context import TownHallApplication
from bot.i18n import load_locales
from bot.menus import publish_menus
from bot.polling import DurablePoller
from storage import Repository, open_database

_log = logging.getLogger(__name__)

# The whole shutdown stays within 10 s: handlers first, then messages already on the wire.
DRAIN_TIMEOUT_S = 5.0
SENDER_STOP_TIMEOUT_S = 3.0
TRANSLATOR_STOP_TIMEOUT_S = 1.0


class StartupError(Exception):
    """The bot cannot start; the message is meant for the organizer."""


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    db = await open_database(settings.db_path)
    try:
        repo = Repository(db)
        application = build_application(settings, repo, load_locales(settings.locales_dir))
        try:
            await application.initialize()  # getMe: the token is checked here
        except InvalidToken:
            raise StartupError(
                "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather"
            ) from None
        await application.start()
        try:
            await _serve(application, repo, stop)
        finally:
            await application.stop()
            await application.shutdown()
    finally:
        await db.close()


async def _serve(application: TownHallApplication, repo: Repository, stop: asyncio.Event) -> None:
    services = application.services
    uncertain = await repo.requeue_interrupted()
    if uncertain:
        _log.warning(
            "%d message(s) were on the wire when the bot last stopped; sending them again"
            " (their recipients may see them twice)",
            uncertain,
        )
    # A webhook left set would make every getUpdates fail with 409.
    await application.bot.delete_webhook(drop_pending_updates=False)
    await services.moderation.load()
    services.sender.start()
    services.translator.start()
    if services.feed is not None:
        services.feed.start()
    menus = asyncio.create_task(publish_menus(application.bot, services.locales))
    poller = DurablePoller(application, repo, raw_request=services.updates_request)
    await poller.replay()
    _log.info("townhall-bot is running as @%s", application.bot.username)
    try:
        await poller.run(stop)
    finally:
        menus.cancel()
        _log.info("stopping: finishing updates in hand")
        if not await poller.drain(DRAIN_TIMEOUT_S):
            _log.warning("some updates were cut short; they will be replayed at the next start")
        if services.feed is not None:
            await services.feed.stop()
        await services.translator.stop(TRANSLATOR_STOP_TIMEOUT_S)
        await services.sender.stop(SENDER_STOP_TIMEOUT_S)
        _log.info("stopped after handling %d updates", poller.processed)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
