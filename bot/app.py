"""The one composition root: everything the bot is made of is wired here."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.context import BotContext, Services, TownHallApplication
from bot.handlers import common, participant
from bot.i18n import Locales
from bot.services.intake import Clock, IntakeRules, IntakeService, utc_now
from bot.workers import OutboxSender
from storage.repository import Repository

# Enough for the sender's parallel requests plus the long poll; more only queues in httpx.
CONNECTION_POOL_SIZE = 32
SEND_CONCURRENCY = 16


def build_application(
    settings: Settings,
    repo: Repository,
    locales: Locales,
    *,
    clock: Clock = utc_now,
    send_concurrency: int = SEND_CONCURRENCY,
) -> TownHallApplication:
    """Build the PTB application (without PTB's Updater: polling.py owns fetching)."""
    application = (
        ApplicationBuilder()
        .application_class(TownHallApplication)
        .token(settings.require_token())
        .base_url(settings.api_url)
        .updater(None)
        .context_types(ContextTypes(context=BotContext))
        .request(HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE, read_timeout=15.0))
        .get_updates_request(HTTPXRequest(connection_pool_size=2))
        .build()
    )
    assert isinstance(application, TownHallApplication)
    sender = OutboxSender(
        repo, application.bot, rate=settings.send_rate, concurrency=send_concurrency
    )
    rules = IntakeRules(
        min_weight=settings.min_length,
        quota_limit=settings.rate_limit,
        quota_window=timedelta(seconds=settings.rate_window_s),
    )
    intake = IntakeService(repo, locales, rules, sender.wake, clock)
    application.services = Services(settings, repo, locales, intake, sender)
    common.register(application)
    participant.register(application)
    common.register_fallbacks(application)
    return application
