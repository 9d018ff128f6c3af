"""StatisticsService: /stats for organizers only, the figures in their language, the chart."""

from __future__ import annotations

import pytest

from bot import render
from bot.services.statistics import StatisticsService
from storage.models import Status
from tests.services.conftest import MODERATOR, ORGANIZER, World


@pytest.fixture
def statistics(world: World) -> StatisticsService:
    return StatisticsService(world.stores.statistics, world.readers)


async def test_an_organizer_gets_the_figures_and_the_chart(
    world: World, statistics: StatisticsService
) -> None:
    await world.submit(10, "How will civil society be heard after the summit?")
    await world.submit(11, "Wie wird die Zivilgesellschaft danach gehört?", "de")
    await world.set_status(2, Status.APPROVED)
    olu = world.make_moderation().staff(ORGANIZER, ORGANIZER, "Olu", "fr")

    figures = await statistics.figures(olu)

    stats = await world.stores.statistics.statistics()
    assert stats.total == 2 and stats.by_status == {"pending": 1, "approved": 1}
    assert figures.message.text == render.statistics.statistics(world.tr("fr"), stats).text
    assert figures.png is not None and figures.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert figures.caption == render.statistics.chart_labels(world.tr("en"))[3]


async def test_a_moderator_is_refused(world: World, statistics: StatisticsService) -> None:
    ana = world.make_moderation().staff(MODERATOR, MODERATOR, "Ana", "de")

    figures = await statistics.figures(ana)

    assert figures.png is None
    assert figures.message.text == render.common.staff_only(world.tr("de"), organizers=True).text
