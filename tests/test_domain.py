"""The status machine over every (action, status, role), and roles."""

from __future__ import annotations

import itertools

import pytest

from bot import domain
from bot.domain import Action, NotAllowed, Role, WrongStatus
from storage.models import Status

# The whole table, written out independently of domain.RULES: (action, from) -> to.
ALLOWED = {
    (Action.SHORTLIST, Status.PENDING): Status.SHORTLISTED,
    (Action.APPROVE, Status.PENDING): Status.APPROVED,
    (Action.APPROVE, Status.SHORTLISTED): Status.APPROVED,
    (Action.REJECT, Status.PENDING): Status.REJECTED,
    (Action.REJECT, Status.SHORTLISTED): Status.REJECTED,
    (Action.ANSWERED, Status.APPROVED): Status.ANSWERED,
    (Action.DEMOTE, Status.APPROVED): Status.SHORTLISTED,
    (Action.WITHDRAW, Status.PENDING): Status.WITHDRAWN,
    # A merge moved the votes and askers elsewhere: /reopen does not undo it.
    **{
        (Action.REOPEN, s): Status.PENDING
        for s in Status
        if s not in (Status.PENDING, Status.MERGED)
    },
}
LEAST_ROLE = {
    Action.REOPEN: Role.ORGANIZER,
    Action.WITHDRAW: Role.PARTICIPANT,
}


@pytest.mark.parametrize(
    ("action", "status", "role"), list(itertools.product(Action, Status, Role))
)
def test_every_transition(action: Action, status: Status, role: Role) -> None:
    needed = LEAST_ROLE.get(action, Role.MODERATOR)
    if role < needed:
        with pytest.raises(NotAllowed):
            domain.transition(action, status, role)
    elif (action, status) in ALLOWED:
        assert domain.transition(action, status, role) is ALLOWED[(action, status)]
    else:
        with pytest.raises(WrongStatus) as error:
            domain.transition(action, status, role)
        assert error.value.current is status


def test_roles_organizers_are_moderators_too() -> None:
    organizers, moderators = frozenset({1}), frozenset({2})
    assert domain.role_of(1, organizers, moderators) is Role.ORGANIZER
    assert domain.role_of(2, organizers, moderators) is Role.MODERATOR
    assert domain.role_of(3, organizers, moderators) is Role.PARTICIPANT
    assert Role.ORGANIZER > Role.MODERATOR > Role.PARTICIPANT
