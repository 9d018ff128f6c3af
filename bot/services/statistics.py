"""Organizers' statistics: the figures as a message, the funnel chart as a PNG."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import render
from bot.domain import Role
from bot.services.moderation import Staff
from bot.services.readers import Readers
from storage.statistics import StatisticsStore


@dataclass(frozen=True, slots=True)
class Figures:
    """What `/stats` shows: the message, and the chart with its caption (None: refused)."""

    message: render.base.Reply
    png: bytes | None = None
    caption: str = ""


class StatisticsService:
    def __init__(self, store: StatisticsStore, readers: Readers) -> None:
        self._store = store
        self._readers = readers

    async def figures(self, staff: Staff) -> Figures:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.ORGANIZER:  # checked again here: commands can come from anyone
            return Figures(render.common.staff_only(tr, organizers=True))
        from bot.chart import funnel_png  # matplotlib loads only when someone asks

        stats = await self._store.statistics()
        # The chart in the working language: see bot/chart.py about fonts.
        received, shortlisted, approved, title = render.statistics.chart_labels(
            self._readers.working_catalog()
        )
        # Drawing takes a few hundred ms of CPU: off the event loop, so updates keep flowing.
        png = await asyncio.to_thread(funnel_png, stats, (received, shortlisted, approved), title)
        return Figures(render.statistics.statistics(tr, stats), png, title)
