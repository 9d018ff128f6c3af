"""Flood control: the buckets (FloodGate, pure), and the one "please wait" (FloodService)."""

from __future__ import annotations

import pytest

from bot import render
from bot.domain import Role
from bot.services.flood import FloodGate, FloodKey, FloodService, Verdict
from bot.services.intake import Author
from bot.services.parties import PartyService
from tests.services.conftest import MODERATOR, ORGANIZER, World

FLOODER = 901
HONEST = 902
GROUP = -5001


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock, burst: int = 20, refill_s: float = 3.0, **kwargs: object) -> FloodGate:
    staff = {MODERATOR, ORGANIZER}
    return FloodGate(burst, refill_s, lambda user: user in staff, clock=clock, **kwargs)  # type: ignore[arg-type]


def verdicts(g: FloodGate, key: FloodKey, user: int, count: int) -> list[Verdict]:
    return [g.admit(key, user).verdict for _ in range(count)]


def test_a_burst_passes_then_one_warning_then_silence() -> None:
    clock = Clock()
    g = gate(clock)
    key = FloodKey.account(FLOODER)
    seen = verdicts(g, key, FLOODER, 80)
    assert seen == [Verdict.PASS] * 20 + [Verdict.WARN] + [Verdict.DROP] * 59
    assert (g.warned, g.dropped) == (1, 59)


def test_an_update_handled_again_after_a_database_failure_is_charged_once() -> None:
    """The poller hands an update over again when the database failed under its handler
    (during a 12 s lock, many times): the sender's budget pays for it once."""
    clock = Clock()
    g = gate(clock, burst=3)
    key = FloodKey.account(HONEST)
    retried = [g.admit(key, HONEST, update_id=7).verdict for _ in range(30)]
    assert retried == [Verdict.PASS] * 30
    fresh = [g.admit(key, HONEST, update_id=u).verdict for u in (8, 9, 10)]
    assert fresh == [Verdict.PASS, Verdict.PASS, Verdict.WARN]


def test_the_warning_says_how_long_until_the_next_update_passes() -> None:
    clock = Clock()
    g = gate(clock, burst=2, refill_s=3.0)
    key = FloodKey.account(FLOODER)
    verdicts(g, key, FLOODER, 2)
    clock.now += 1.0  # a third of a token back
    warning = g.admit(key, FLOODER)
    assert (warning.verdict, warning.wait_s) == (Verdict.WARN, 2)


def test_after_the_warning_one_update_per_refill_passes_and_the_rest_stay_silent() -> None:
    clock = Clock()
    g = gate(clock, burst=20, refill_s=3.0)
    key = FloodKey.account(FLOODER)
    verdicts(g, key, FLOODER, 21)
    clock.now += 3.0
    assert verdicts(g, key, FLOODER, 3) == [Verdict.PASS, Verdict.DROP, Verdict.DROP]
    # Only a bucket refilled completely (a minute of quiet) earns a new "please wait".
    clock.now += 20 * 3.0
    assert verdicts(g, key, FLOODER, 21) == [Verdict.PASS] * 20 + [Verdict.WARN]


def test_one_account_flooding_leaves_everyone_else_their_budget() -> None:
    clock = Clock()
    g = gate(clock, burst=5)
    verdicts(g, FloodKey.account(FLOODER), FLOODER, 50)
    assert verdicts(g, FloodKey.account(HONEST), HONEST, 5) == [Verdict.PASS] * 5


def test_moderators_and_organizers_are_never_limited() -> None:
    clock = Clock()
    g = gate(clock, burst=2)
    for staff in (MODERATOR, ORGANIZER):
        assert verdicts(g, FloodKey.account(staff), staff, 500) == [Verdict.PASS] * 500
    assert len(g) == 0  # no bucket kept for them


def test_a_party_is_one_budget_whoever_of_its_members_asks() -> None:
    clock = Clock()
    g = gate(clock, burst=3)
    party = FloodKey.party(GROUP)
    members = range(2000, 2010)
    seen = [g.admit(party, member).verdict for member in members]
    assert seen == [Verdict.PASS] * 3 + [Verdict.WARN] + [Verdict.DROP] * 6
    # Each member's own budget (their private chat) is untouched by the party's.
    assert g.admit(FloodKey.account(2009), 2009).verdict is Verdict.PASS


def test_disabled_lets_everything_through() -> None:
    g = gate(Clock(), burst=1, enabled=False)
    assert verdicts(g, FloodKey.account(FLOODER), FLOODER, 10) == [Verdict.PASS] * 10


def test_memory_holds_only_recently_active_accounts_and_never_more_than_the_cap() -> None:
    clock = Clock()
    g = gate(clock, burst=20, refill_s=3.0, max_keys=1000)
    for user in range(10_000, 10_500):
        g.admit(FloodKey.account(user), user)
        clock.now += 0.001
    assert len(g) == 500
    # Each spent one of 20: refilled (and forgotten) 3 s after its last update.
    clock.now += 3.0
    g.admit(FloodKey.account(HONEST), HONEST)
    assert len(g) == 1
    # However many accounts at once, at most the cap; the flooder keeps their empty bucket
    # because it is the most recently used.
    for user in range(20_000, 25_000):
        verdicts(g, FloodKey.account(FLOODER), FLOODER, 1)
        g.admit(FloodKey.account(user), user)
    assert len(g) <= 1000
    assert g.admit(FloodKey.account(FLOODER), FLOODER).verdict is Verdict.DROP


@pytest.fixture
def parties(world: World) -> PartyService:
    return PartyService(
        world.stores.parties,
        world.make_intake(),
        world.readers,
        world.replies,
        world.settings.moderator_chat,
        world.clock,
    )


@pytest.fixture
def flood(world: World, parties: PartyService) -> FloodService:
    moderation = world.make_moderation()
    g = FloodGate(20, 3.0, lambda user: moderation.role(user) >= Role.MODERATOR)
    return FloodService(g, world.locales, world.replies, parties.locale_in)


async def test_the_warning_is_a_reply_in_the_senders_language(
    world: World, flood: FloodService
) -> None:
    author = Author(FLOODER, FLOODER, "ru")
    await flood.warn(author, 77, 55, 3)
    [row] = await world.outbox(FLOODER)
    assert row.text == render.common.please_wait(world.tr("ru"), 3).text
    assert row.dedup_key == "reply:77"  # a replayed update is not warned twice
    assert row.payload["reply_parameters"]["message_id"] == 55
    toast = await flood.warning_text(Author(FLOODER, FLOODER, "de"), 1)
    assert toast == render.base.plain(render.common.please_wait(world.tr("de"), 1).text)
    assert len(toast) <= 200


async def test_a_partys_warning_is_in_the_partys_language(
    world: World, flood: FloodService, parties: PartyService
) -> None:
    moderation = world.make_moderation()
    await parties.register(moderation.staff(ORGANIZER, GROUP, "Olu", "fr"), 1, "Nairobi")
    await flood.warn(Author(2001, GROUP, "en"), 78, 12, 3)
    [row] = await world.outbox(GROUP)
    assert row.text == render.common.please_wait(world.tr("fr"), 3).text
