"""A typed CallbackContext: handlers reach the services as `ctx.services`, not bot_data casts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import Locales
from bot.services.broadcast import BroadcastService
from bot.services.browse import BrowseService
from bot.services.curation import CurationService
from bot.services.flood import FloodService
from bot.services.intake import IntakeService
from bot.services.live import LiveService
from bot.services.moderation import ModerationService
from bot.services.parties import PartyService
from bot.services.preferences import PreferencesService
from bot.services.privacy import PrivacyService
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from bot.services.screen import ScreenService
from bot.services.statistics import StatisticsService
from bot.telegram.polling import RawUpdatesRequest, TransientFailures
from bot.workers.base import WorkerHealth
from bot.workers.broadcast import BroadcastWorker
from bot.workers.erasure import ErasureFlushWorker
from bot.workers.feed import FeedWorker
from bot.workers.retention import RetentionWorker
from bot.workers.sender import OutboxSender
from bot.workers.translation import TranslationWorker
from storage import Stores


@dataclass(frozen=True)
class Services:
    settings: Settings
    stores: Stores
    locales: Locales
    readers: Readers
    replies: ReplyWriter
    health: WorkerHealth
    # Updates whose handling met a busy or failing database: handled again, not dropped.
    transient: TransientFailures
    intake: IntakeService
    preferences: PreferencesService
    moderation: ModerationService
    screen: ScreenService
    statistics: StatisticsService
    privacy: PrivacyService
    sender: OutboxSender
    translator: TranslationWorker
    feed: FeedWorker | None
    updates_request: RawUpdatesRequest
    broadcasts: BroadcastService
    broadcaster: BroadcastWorker
    erasure: ErasureFlushWorker
    browse: BrowseService
    curation: CurationService
    live: LiveService
    parties: PartyService
    flood: FloodService  # flood control before the handlers
    retention: RetentionWorker | None  # None: retention off or without a closing time


class TownHallApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services; build_application() sets them."""

    services: Services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        application = self.application
        if not isinstance(application, TownHallApplication):
            raise TypeError("BotContext used outside a TownHallApplication")
        return application.services
