"""callback_data codec. Telegram caps callback_data at 64 bytes and any client can forge it,
so decoding is strict and every decoded action is re-checked by the service."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.models import Kind

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


Callback = SwitchKind | ChooseLanguage
# Prefixes, for routing presses to handlers at registration.
SWITCH_KIND_PREFIX = "k:"
CHOOSE_LANGUAGE_PREFIX = "l:"


def encode(action: Callback) -> str:
    if isinstance(action, SwitchKind):
        data = f"{SWITCH_KIND_PREFIX}{_KIND_CODES[action.kind]}:{action.submission_id}"
    else:
        data = f"{CHOOSE_LANGUAGE_PREFIX}{action.locale}"
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
    raise BadCallback(repr(data))


def _positive_id(text: str) -> int | None:
    # ASCII digits only: int() would also take "٣" or " 3", which we never encode.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    value = int(text)
    return value if value > 0 else None
