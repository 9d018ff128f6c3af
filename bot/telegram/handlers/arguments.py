"""Parsing command arguments: pure functions, strict, so a typo changes nothing."""

from __future__ import annotations

import re
from collections.abc import Collection

from storage.export import ExportFilter
from storage.models import Kind, Status
from storage.moderation import QueueFilter

EXPORT_FORMATS = ("csv", "xlsx", "json")

_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
_ID = re.compile(r"^#?([0-9]{1,18})$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_PARTY = re.compile(r"^party:?([0-9]{1,9})?$")  # 'party' (any), 'party:3' or 'party3'


def command_rest(text: str) -> str:
    """What follows the /command (and its @botname), as written."""
    return _COMMAND.sub("", text.strip(), count=1).strip()


def split_command(text: str) -> list[str]:
    return command_rest(text).split()


def parse_ids(tokens: list[str]) -> list[int]:
    """'12', '#12' -> 12. Any token that is not an id makes the whole list invalid ([])."""
    ids = []
    for token in tokens:
        match = _ID.match(token)
        if match is None or int(match.group(1)) == 0:
            return []
        ids.append(int(match.group(1)))
    return ids


def parse_merge(tokens: list[str]) -> tuple[int, int] | None:
    """'12 into 40' (or '#12 into #40', or '12 40') -> (12, 40)."""
    if len(tokens) == 3 and tokens[1].lower() == "into":
        tokens = [tokens[0], tokens[2]]
    ids = parse_ids(tokens) if len(tokens) == 2 else []
    return (ids[0], ids[1]) if len(ids) == 2 else None


def id_and_text(text: str) -> tuple[int, str] | None:
    """'/fixtr 12 Some text' -> (12, 'Some text'); None without both."""
    parts = command_rest(text).split(maxsplit=1)
    ids = parse_ids(parts[:1])
    if len(parts) != 2 or not ids or not parts[1].strip():
        return None
    return ids[0], parts[1].strip()


def reason_after_id(text: str) -> str | None:
    """The free text after the first argument (/reject 12 off topic -> 'off topic')."""
    parts = command_rest(text).split(maxsplit=1)
    return parts[1].strip() or None if len(parts) == 2 else None


def parse_queue_filter(
    tokens: list[str], topics: Collection[str] = frozenset()
) -> QueueFilter | None:
    """[status] [question|idea] [language] [topic] [party[:N]], in any order; None if a token
    is none of these. A topic id wins over a language code it happens to look like."""
    status, kind, language, topic = Status.PENDING, None, None, None
    party: int | None = None
    for token in (t.lower() for t in tokens):
        if (found := _PARTY.match(token)) is not None:
            party = int(found.group(1)) if found.group(1) else 0
        elif token in {s.value for s in Status}:
            status = Status(token)
        elif token in {k.value for k in Kind}:
            kind = token
        elif token.lstrip("#") in topics:
            topic = token.lstrip("#")
        elif _LANGUAGE.match(token):
            language = token
        else:
            return None
    return QueueFilter(status, kind, language, topic, party)


def parse_export_request(tokens: list[str]) -> tuple[str, ExportFilter] | None:
    """[csv|xlsx|json] [status ...] [question|idea], in any order; None on anything else.
    Identities are never part of an export made in a chat: only the CLI gives them."""
    fmt, statuses, kind = "csv", [], None
    for token in (t.lower() for t in tokens):
        if token in EXPORT_FORMATS:
            fmt = token
        elif token in {s.value for s in Status}:
            statuses.append(token)
        elif token in {k.value for k in Kind}:
            kind = token
        else:
            return None
    return fmt, ExportFilter(tuple(dict.fromkeys(statuses)), kind)
