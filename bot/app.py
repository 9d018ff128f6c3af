"""The one composition root: everything the bot is made of is wired here."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.broadcasts import BroadcastService, BroadcastWorker
from bot.config import Settings
from bot.context import BotContext, Services, TownHallApplication
from bot.feed import FeedWorker
from bot.handlers import common, moderator, participant
from bot.i18n import Locales
from bot.polling import RawUpdatesRequest
from bot.services.browse import BrowseService
from bot.services.curation import CurationService
from bot.services.intake import Clock, IntakeRules, IntakeService, utc_now
from bot.services.language import Detector, make_detector
from bot.services.live import LiveService
from bot.services.moderation import ModerationService
from bot.services.outbox import Replies
from bot.services.parties import PartyService
from bot.services.preferences import PreferencesService
from bot.services.privacy import PrivacyService
from bot.services.translation import Engine, install_http_timeout, make_engine
from bot.translation_worker import TranslationWorker
from bot.workers import OutboxSender
from storage.broadcasts import BroadcastStore
from storage.curation import CurationStore
from storage.live import LiveStore
from storage.moderation import ModerationStore
from storage.parties import PartyStore
from storage.repository import Repository
from storage.votes import VoteStore

# Telegram allows ~30 messages/s; at a few hundred ms per request 8 in flight keep up with
# that. More connections only cost CPU: httpcore scans its whole pool on every request.
SEND_CONCURRENCY = 8
CONNECTION_POOL_SIZE = 12


@functools.cache
def shared_detector(name: str, candidates: tuple[str, ...] | None) -> Detector:
    """Detectors are thread-safe and slow to load (a model each): one per configuration."""
    return make_detector(name, candidates)


def configured_engine(settings: Settings) -> Engine | None:
    """The translation engine the settings ask for (None: translation off)."""
    # deep-translator sets no HTTP timeout of its own; without one, a server that accepts
    # and never answers would hold a thread forever.
    install_http_timeout(settings.translator_timeout)
    return make_engine(
        settings.translator,
        url=settings.translator_url,
        key=settings.translator_key,
        timeout=settings.translator_timeout,
    )


def build_translation_worker(
    settings: Settings, repo: Repository, on_translated: Callable[[list[int]], Awaitable[None]]
) -> TranslationWorker:
    return TranslationWorker(
        repo,
        shared_detector(settings.detector, settings.languages),
        configured_engine(settings),
        settings.language,
        # A long text is several requests; the hard limit covers the whole of it.
        call_timeout=settings.translator_timeout * 3,
        on_translated=on_translated,
    )


def build_application(
    settings: Settings,
    repo: Repository,
    locales: Locales,
    *,
    clock: Clock = utc_now,
    send_concurrency: int = SEND_CONCURRENCY,
) -> TownHallApplication:
    """Build the PTB application (without PTB's Updater: polling.py owns fetching)."""
    updates_request = RawUpdatesRequest(connection_pool_size=2)
    application = (
        ApplicationBuilder()
        .application_class(TownHallApplication)
        .token(settings.require_token())
        .base_url(settings.api_url)
        .updater(None)
        .context_types(ContextTypes(context=BotContext))
        .request(HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE, read_timeout=15.0))
        .get_updates_request(updates_request)
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
    store = ModerationStore(repo.db)
    moderation = ModerationService(repo, store, locales, settings, sender.wake, clock)
    curation: list[CurationService] = []  # made below: it needs the translator, and back

    async def working_text_ready(ids: list[int]) -> None:
        await curation[0].on_translated(ids)

    translator = build_translation_worker(settings, repo, working_text_ready)
    curation.append(
        CurationService(
            repo, CurationStore(repo.db), moderation, locales, settings, translator, sender.wake,
            clock,
        )
    )  # fmt: skip
    feed = None
    if settings.moderator_chat is not None:
        feed = FeedWorker(store, moderation, settings.moderator_chat, sender.wake, clock)

    def text_changed() -> None:
        translator.wake()
        if feed is not None:
            feed.wake()

    intake = IntakeService(
        repo,
        locales,
        rules,
        sender.wake,
        clock,
        notify_text_changed=text_changed,
        event=settings.event,
        working_language=settings.language,
        refresh_post=moderation.refresh_post,
    )
    preferences = PreferencesService(repo, locales, sender.wake, clock)
    broadcast_store = BroadcastStore(repo.db)
    replies = Replies(repo, sender.wake, clock)
    event = settings.event
    broadcaster = BroadcastWorker(
        broadcast_store,
        locales,
        translator,
        moderation,
        replies,
        lambda locale: event.name_in(locale, settings.language) if event else None,
        clock,
    )
    broadcasts = BroadcastService(
        broadcast_store,
        moderation,
        locales,
        locales.resolve(None, settings.language),
        replies,
        broadcaster.wake,
        clock,
    )
    application.services = Services(
        settings=settings,
        repo=repo,
        locales=locales,
        intake=intake,
        preferences=preferences,
        moderation=moderation,
        privacy=PrivacyService(repo, locales, moderation, sender.wake, clock),
        sender=sender,
        translator=translator,
        feed=feed,
        updates_request=updates_request,
        broadcasts=broadcasts,
        broadcaster=broadcaster,
        curation=curation[0],
        live=LiveService(
            repo, LiveStore(repo.db), moderation, locales, settings, sender.wake, clock
        ),
        parties=PartyService(
            repo,
            PartyStore(repo.db),
            intake,
            moderation,
            locales,
            settings.moderator_chat,
            sender.wake,
            clock,
        ),
        browse=BrowseService(
            repo,
            VoteStore(repo.db),
            locales,
            translator,
            settings.browse_statuses,
            settings.language,
            sender.wake,
            clock,
        ),
    )
    common.register(application)
    participant.register(application)
    moderator.register(application, settings.moderator_chat)
    common.register_fallbacks(application)
    return application
