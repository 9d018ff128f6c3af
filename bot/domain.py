"""Pure rules: no telegram, no SQL. What counts as text, and who may change what when."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from storage.models import Status

# Characters that render as nothing but are not Unicode whitespace or format characters:
# Hangul fillers and the blank Braille pattern are popular for "empty" messages.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format (Cf: zero-width space/joiners, bidi marks, BOM), controls and separators.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


def is_visible(char: str) -> bool:
    if char.isspace() or char in _INVISIBLE_LETTERS:
        return False
    if "\ufe00" <= char <= "\ufe0f":  # variation selectors alone show nothing
        return False
    return unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def visible_length(text: str) -> int:
    """How many characters of `text` a reader would actually see."""
    return sum(1 for char in text if is_visible(char))


def text_weight(text: str) -> int:
    """Length for the minimum-length rule, as a reader would count it.

    Visible characters, one space between words, and wide (CJK) letters counting two: one
    Chinese or Japanese character carries about a word, so "怎么办？" is a real question
    while "ok??" is not, though both are four characters long.
    """
    words = ["".join(c for c in word if is_visible(c)) for word in text.split()]
    words = [word for word in words if word]
    weight = max(0, len(words) - 1)
    for char in "".join(words):
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        weight += 2 if wide and unicodedata.category(char).startswith("L") else 1
    return weight


def participant_may_change(status: Status) -> bool:
    """A participant may edit their text or switch its kind only before review starts."""
    return status is Status.PENDING


# ---- roles and the status machine -------------------------------------------------------


class Role(IntEnum):
    """Ordered: each role can do everything the ones below it can (organizers ⊇ moderators)."""

    PARTICIPANT = 0
    MODERATOR = 1
    ORGANIZER = 2


class Action(StrEnum):
    SHORTLIST = "shortlist"
    APPROVE = "approve"
    REJECT = "reject"
    ANSWERED = "answered"
    DEMOTE = "demote"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[Status]
    target: Status
    role: Role  # the least role allowed to act


_ANY = frozenset(Status)
RULES: dict[Action, Rule] = {
    # Approving straight from pending is the fast path moderators use during the live show.
    Action.SHORTLIST: Rule(frozenset({Status.PENDING}), Status.SHORTLISTED, Role.MODERATOR),
    Action.APPROVE: Rule(
        frozenset({Status.PENDING, Status.SHORTLISTED}), Status.APPROVED, Role.MODERATOR
    ),
    Action.REJECT: Rule(
        frozenset({Status.PENDING, Status.SHORTLISTED}), Status.REJECTED, Role.MODERATOR
    ),
    Action.ANSWERED: Rule(frozenset({Status.APPROVED}), Status.ANSWERED, Role.MODERATOR),
    Action.DEMOTE: Rule(frozenset({Status.APPROVED}), Status.SHORTLISTED, Role.MODERATOR),
    # A merge moved the votes and the askers to another submission: it is not undone by /reopen.
    Action.REOPEN: Rule(_ANY - {Status.PENDING, Status.MERGED}, Status.PENDING, Role.ORGANIZER),
    Action.WITHDRAW: Rule(frozenset({Status.PENDING}), Status.WITHDRAWN, Role.PARTICIPANT),
}


class NotAllowed(Exception):
    """The actor's role does not allow the action."""


class WrongStatus(Exception):
    """The submission is not in a status the action starts from."""

    def __init__(self, current: Status) -> None:
        super().__init__(current.value)
        self.current = current


def transition(action: Action, current: Status, role: Role) -> Status:
    """The status `action` leads to from `current`, or why it cannot be done."""
    rule = RULES[action]
    if role < rule.role:
        raise NotAllowed(action.value)
    if current not in rule.sources:
        raise WrongStatus(current)
    return rule.target


def role_of(user_id: int, organizers: frozenset[int], moderators: frozenset[int]) -> Role:
    if user_id in organizers:
        return Role.ORGANIZER
    if user_id in moderators:
        return Role.MODERATOR
    return Role.PARTICIPANT
