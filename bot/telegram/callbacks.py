"""callback_data codec. Telegram caps callback_data at 64 bytes and any client can forge it,
so decoding is strict and every decoded action is re-checked by the service."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import Action
from storage.models import Kind, Status
from storage.votes import Sort

MAX_CALLBACK_BYTES = 64
_KIND_CODES = {Kind.QUESTION: "q", Kind.IDEA: "i"}
_CODE_KINDS = {code: kind for kind, code in _KIND_CODES.items()}
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")


class BadCallback(ValueError):
    """callback_data we did not make (stale, from another version, or forged)."""


@dataclass(frozen=True, slots=True)
class SwitchKind:
    """The participant asks to turn submission `submission_id` into `kind`."""

    submission_id: int
    kind: Kind


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """The participant picks the language the bot speaks to them in."""

    locale: str


@dataclass(frozen=True, slots=True)
class Moderate:
    """A moderator's button on a post or a review card (`card`: show the next card after)."""

    action: Action
    submission_id: int
    card: bool = False


@dataclass(frozen=True, slots=True)
class SkipCard:
    submission_id: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    status: Status
    kind: Kind | None
    language: str | None
    offset: int
    topic: str | None = None
    party: int | None = None  # a viewing party's number; 0: any party


@dataclass(frozen=True, slots=True)
class ChooseTopic:
    """The participant files submission `submission_id` under a topic ("" for none)."""

    submission_id: int
    topic: str


@dataclass(frozen=True, slots=True)
class ConfirmBroadcast:
    """An organizer confirms (`send`) or cancels broadcast `broadcast_id` after its preview."""

    broadcast_id: int
    send: bool


@dataclass(frozen=True, slots=True)
class BrowsePage:
    """A page of public questions; `original`: the one whose original text is shown too."""

    sort: Sort
    offset: int
    original: int | None = None


@dataclass(frozen=True, slots=True)
class Upvote:
    """Vote for a public question (`vote`), or take the vote back (not `vote`), then show the
    page again. The button says which, so a double tap or a replayed press counts once.

    `vote` is None for a button drawn before buttons said which (it toggled): its intent is
    unknown, so it changes nothing and the page is shown again with today's buttons."""

    submission_id: int
    sort: Sort
    offset: int
    vote: bool | None = True


@dataclass(frozen=True, slots=True)
class ConfirmForget:
    """The participant confirms that their data is to be erased."""


Callback = (
    SwitchKind
    | ChooseLanguage
    | Moderate
    | SkipCard
    | QueuePage
    | ConfirmForget
    | ChooseTopic
    | ConfirmBroadcast
    | BrowsePage
    | Upvote
)
# Prefixes, for routing presses to handlers at registration.
SWITCH_KIND_PREFIX = "k:"
CHOOSE_LANGUAGE_PREFIX = "l:"
PARTICIPANT_PATTERN = r"^[klftvw]:"
_SORT_CODES = {Sort.VOTES: "v", Sort.NEWEST: "n"}
_CODE_SORTS = {code: sort for sort, code in _SORT_CODES.items()}
# A vote button's intent: "+" votes, "-" takes the vote back (data without it: older buttons).
_VOTE_CODES = {True: "+", False: "-"}
_CODE_VOTES = {code: vote for vote, code in _VOTE_CODES.items()}
MODERATOR_PATTERN = r"^[mcsqb]:"
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")
_ACTION_CODES = {
    Action.SHORTLIST: "s",
    Action.APPROVE: "a",
    Action.REJECT: "r",
    Action.ANSWERED: "d",
    Action.DEMOTE: "m",
}
_CODE_ACTIONS = {code: action for action, code in _ACTION_CODES.items()}
# Spelled out: first letters collide (approved, answered), and a page of approved questions
# must not turn into answered ones on ▶.
_STATUS_CODES = {
    Status.PENDING: "p",
    Status.SHORTLISTED: "s",
    Status.APPROVED: "a",
    Status.ANSWERED: "n",
    Status.REJECTED: "r",
    Status.WITHDRAWN: "w",
    Status.MERGED: "m",
}
_CODE_STATUSES = {code: status for status, code in _STATUS_CODES.items()}


def encode(action: Callback) -> str:
    match action:
        case SwitchKind():
            data = f"{SWITCH_KIND_PREFIX}{_KIND_CODES[action.kind]}:{action.submission_id}"
        case ChooseLanguage():
            data = f"{CHOOSE_LANGUAGE_PREFIX}{action.locale}"
        case Moderate():
            prefix = "c" if action.card else "m"
            data = f"{prefix}:{_ACTION_CODES[action.action]}:{action.submission_id}"
        case SkipCard():
            data = f"s:{action.submission_id}"
        case ConfirmForget():
            data = "f:yes"
        case ChooseTopic():
            data = f"t:{action.submission_id}:{action.topic or '-'}"
        case BrowsePage():
            data = f"w:{_SORT_CODES[action.sort]}:{action.offset}:{action.original or 0}"
        case Upvote():
            data = f"v:{action.submission_id}:{_SORT_CODES[action.sort]}:{action.offset}"
            if action.vote is not None:  # None: the older shape, without the intent
                data += f":{_VOTE_CODES[action.vote]}"
        case ConfirmBroadcast():
            data = f"b:{action.broadcast_id}:{'y' if action.send else 'n'}"
        case QueuePage():
            kind = _KIND_CODES[action.kind] if action.kind else "-"
            data = (
                f"q:{_STATUS_CODES[action.status]}:{kind}:{action.language or '-'}:"
                f"{action.topic or '-'}:{action.offset}:"
                f"{'-' if action.party is None else action.party}"
            )
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback_data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise BadCallback(repr(data))
    parts = data.split(":")
    if len(parts) == 3 and parts[0] == "k" and parts[1] in _CODE_KINDS:
        submission_id = _positive_id(parts[2])
        if submission_id is not None:
            return SwitchKind(submission_id, _CODE_KINDS[parts[1]])
    if len(parts) == 2 and parts[0] == "l" and _LOCALE.match(parts[1]):
        return ChooseLanguage(parts[1])
    if len(parts) == 3 and parts[0] in ("m", "c") and parts[1] in _CODE_ACTIONS:
        submission_id = _positive_id(parts[2])
        if submission_id is not None:
            return Moderate(_CODE_ACTIONS[parts[1]], submission_id, card=parts[0] == "c")
    if len(parts) == 2 and parts[0] == "s" and (submission_id := _positive_id(parts[1])):
        return SkipCard(submission_id)
    if data == "f:yes":
        return ConfirmForget()
    if len(parts) == 3 and parts[0] == "t" and (parts[2] == "-" or _TOPIC.match(parts[2])):
        submission_id = _positive_id(parts[1])
        if submission_id is not None:
            return ChooseTopic(submission_id, "" if parts[2] == "-" else parts[2])
    if len(parts) == 3 and parts[0] == "b" and parts[2] in ("y", "n"):
        broadcast_id = _positive_id(parts[1])
        if broadcast_id is not None:
            return ConfirmBroadcast(broadcast_id, parts[2] == "y")
    if len(parts) == 4 and parts[0] == "w" and parts[1] in _CODE_SORTS:
        offset, original = _count(parts[2]), _count(parts[3])
        if offset is not None and original is not None:
            return BrowsePage(_CODE_SORTS[parts[1]], offset, original or None)
    if len(parts) in (4, 5) and parts[0] == "v" and parts[2] in _CODE_SORTS:
        submission_id, offset = _positive_id(parts[1]), _count(parts[3])
        vote = _CODE_VOTES.get(parts[4]) if len(parts) == 5 else None
        shape_known = len(parts) == 4 or vote is not None
        if submission_id is not None and offset is not None and shape_known:
            return Upvote(submission_id, _CODE_SORTS[parts[2]], offset, vote)
    if len(parts) == 7 and parts[0] == "q":
        return _queue_page(parts[1:])
    raise BadCallback(repr(data))


def _queue_page(parts: list[str]) -> QueuePage:
    status_code, kind_code, language, topic, offset_text, party_text = parts
    offset = _positive_id(offset_text) if offset_text != "0" else 0
    party = None if party_text == "-" else _count(party_text)
    if party is None and party_text != "-":
        raise BadCallback(":".join(parts))
    valid = (
        status_code in _CODE_STATUSES
        and (kind_code == "-" or kind_code in _CODE_KINDS)
        and (language == "-" or _LOCALE.match(language))
        and (topic == "-" or _TOPIC.match(topic))
        and offset is not None
    )
    if not valid or offset is None:
        raise BadCallback(":".join(parts))
    return QueuePage(
        _CODE_STATUSES[status_code],
        _CODE_KINDS.get(kind_code),
        None if language == "-" else language,
        offset,
        None if topic == "-" else topic,
        party,
    )


def _count(text: str) -> int | None:
    """0 or a positive id."""
    return 0 if text == "0" else _positive_id(text)


def _positive_id(text: str) -> int | None:
    # ASCII digits only: int() would also take "٣" or " 3", which we never encode.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    value = int(text)
    return value if value > 0 else None
