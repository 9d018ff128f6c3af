"""The one composition root: everything the bot is made of is wired here."""

from __future__ import annotations

import functools
from datetime import timedelta

from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.context import BotContext, Services, TownHallApplication
from bot.domain import Role
from bot.i18n import Locales
from bot.services.broadcast import BroadcastService
from bot.services.browse import BrowseService
from bot.services.curation import CurationService
from bot.services.feed import FeedService
from bot.services.flood import FloodGate, FloodService
from bot.services.intake import Clock, IntakeRules, IntakeService, utc_now
from bot.services.language import Detector, make_detector
from bot.services.live import LiveService
from bot.services.moderation import ModerationService
from bot.services.parties import PartyService
from bot.services.preferences import PreferencesService
from bot.services.privacy import PrivacyService
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from bot.services.screen import ScreenService
from bot.services.statistics import StatisticsService
from bot.services.translation import Engine, install_http_timeout, make_engine
from bot.telegram import handlers
from bot.telegram.polling import RawUpdatesRequest, TransientFailures
from bot.workers.base import WorkerHealth
from bot.workers.broadcast import BroadcastWorker
from bot.workers.erasure import ErasureFlushWorker
from bot.workers.feed import FeedWorker
from bot.workers.retention import build_retention_worker
from bot.workers.sender import OutboxSender
from bot.workers.translation import TranslationWorker
from storage import Stores
from storage.screen import ScreenStore

# Telegram allows ~30 messages/s; at a few hundred ms per request 8 in flight keep up with
# that. More connections only cost CPU: httpcore scans its whole pool on every request.
SEND_CONCURRENCY = 8
CONNECTION_POOL_SIZE = 12


@functools.cache
def shared_detector(name: str, candidates: tuple[str, ...] | None) -> Detector:
    """Detectors are thread-safe and slow to load (a model each): one per configuration."""
    return make_detector(name, candidates)


def configured_engine(settings: Settings) -> tuple[Engine, ...]:
    """The translation engines the settings ask for, in the order they are tried (a chain
    such as libre,deepl), each with its own URL and key; () when translation is off."""
    # deep-translator sets no HTTP timeout of its own; without one, a server that accepts
    # and never answers would hold a thread forever.
    install_http_timeout(settings.translator_timeout)
    engines = (
        make_engine(own.name, url=own.url, key=own.key, timeout=settings.translator_timeout)
        for own in settings.translator_engines()
    )
    return tuple(engine for engine in engines if engine is not None)


def build_translation_worker(
    settings: Settings, stores: Stores, health: WorkerHealth | None = None
) -> TranslationWorker:
    return TranslationWorker(
        stores.translations,
        shared_detector(settings.detector, settings.languages),
        configured_engine(settings),
        settings.language,
        # A long text is several requests; the hard limit covers the whole of it.
        call_timeout=settings.translator_timeout * 3,
        health=health,
    )


def bot_username(application: TownHallApplication) -> str | None:
    """The bot's @username once getMe answered (None before)."""
    try:
        username: str | None = application.bot.username
    except RuntimeError:  # not initialised yet
        return None
    return username


def build_application(
    settings: Settings,
    stores: Stores,
    locales: Locales,
    *,
    clock: Clock = utc_now,
    send_concurrency: int = SEND_CONCURRENCY,
) -> TownHallApplication:
    """Build the PTB application (without PTB's Updater: bot/telegram/polling.py fetches)."""
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
    health = WorkerHealth()
    sender = OutboxSender(
        stores.outbox,
        stores.participants,
        application.bot,
        rate=settings.send_rate,
        concurrency=send_concurrency,
        health=health,
    )
    replies = ReplyWriter(stores.outbox, sender.wake, clock)
    readers = Readers(stores.participants, stores.parties, locales, settings.language)
    feed = FeedService(
        stores.moderation, stores.submissions, readers, replies, settings.moderator_chat, clock
    )
    translator = build_translation_worker(settings, stores, health)
    curation = CurationService(
        stores.curation, stores.submissions, readers, replies, feed, settings, translator, clock
    )
    translator.set_on_translated(curation.on_translated)
    feed_worker = FeedWorker(feed, health) if settings.moderator_chat is not None else None

    def text_changed() -> None:
        translator.wake()
        if feed_worker is not None:
            feed_worker.wake()

    intake = IntakeService(
        stores.submissions,
        stores.participants,
        readers,
        replies,
        IntakeRules(
            min_weight=settings.min_length,
            quota_limit=settings.rate_limit,
            quota_window=timedelta(seconds=settings.rate_window_s),
        ),
        clock,
        notify_text_changed=text_changed,
        event=settings.event,
        working_language=settings.language,
        refresh_post=feed.refresh_post,
    )
    event = settings.event
    broadcaster = BroadcastWorker(
        stores.broadcasts,
        readers,
        translator,
        replies,
        lambda locale: event.name_in(locale, settings.language) if event else None,
        clock,
        health,
    )
    moderation = ModerationService(
        stores.moderation,
        stores.submissions,
        readers,
        replies,
        feed,
        settings,
        clock,
    )
    # Texts erased by themselves `retention_days` after the event closes (None: off).
    retention = build_retention_worker(
        settings, stores.participants, clock, health, feed.post_edits
    )
    parties = PartyService(
        stores.parties, intake, readers, replies, settings.moderator_chat, clock
    )
    # Before every handler: a budget per account; staff (as roles stand now) never limited.
    flood_gate = FloodGate(
        settings.flood_burst,
        settings.flood_refill_s,
        lambda user_id: moderation.role(user_id) >= Role.MODERATOR,
        enabled=settings.flood_control,
    )
    application.services = Services(
        settings=settings,
        stores=stores,
        locales=locales,
        readers=readers,
        replies=replies,
        health=health,
        transient=TransientFailures(),
        intake=intake,
        preferences=PreferencesService(stores.participants, readers, replies, clock),
        moderation=moderation,
        screen=ScreenService(
            ScreenStore(stores.db),
            readers,
            translator,
            settings,
            functools.partial(bot_username, application),
            clock,
        ),
        statistics=StatisticsService(stores.statistics, readers),
        privacy=PrivacyService(
            stores.participants,
            stores.submissions,
            readers,
            replies,
            feed,
            erase_at=retention.erase_at if retention else None,
            zone=event.timezone if event else None,
            clock=clock,
        ),
        sender=sender,
        translator=translator,
        feed=feed_worker,
        updates_request=updates_request,
        broadcasts=BroadcastService(stores.broadcasts, readers, replies, broadcaster.wake, clock),
        broadcaster=broadcaster,
        erasure=ErasureFlushWorker(stores.participants, health),
        curation=curation,
        live=LiveService(stores.live, stores.submissions, readers, replies, feed, settings, clock),
        parties=parties,
        flood=FloodService(flood_gate, locales, replies, parties.locale_in),
        browse=BrowseService(
            stores.votes,
            stores.participants,
            readers,
            replies,
            translator,
            settings.browse_statuses,
            settings.language,
            clock,
        ),
        retention=retention,
    )
    handlers.register(application, settings.moderator_chat)
    return application
