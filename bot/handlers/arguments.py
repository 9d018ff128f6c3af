"""Parsing command arguments: pure functions, strict, so a typo changes nothing."""

from __future__ import annotations

import re
from collections.abc import Collection

from storage.models import Kind, Status
from storage.moderation import QueueFilter
from storage.repository import ExportFilter

EXPORT_FORMATS = ("csv", "xlsx", "json")

_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
_ID = re.compile(r"^#?([0-9]{1,18})$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


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


def reason_after_id(text: str) -> str | None:
    """The free text after the first argument (/reject 12 off topic -> 'off topic')."""
    parts = command_rest(text).split(maxsplit=1)
    return parts[1].strip() or None if len(parts) == 2 else None


def parse_queue_filter(
    tokens: list[str], topics: Collection[str] = frozenset()
) -> QueueFilter | None:
    """[status] [question|idea] [language] [topic], in any order; None if a token is none of
    these. A topic id wins over a language code it happens to look like."""
    status, kind, language, topic = Status.PENDING, None, None, None
    for token in (t.lower() for t in tokens):
        if token in {s.value for s in Status}:
            status = Status(token)
        elif token in {k.value for k in Kind}:
            kind = token
        elif token.lstrip("#") in topics:
            topic = token.lstrip("#")
        elif _LANGUAGE.match(token):
            language = token
        else:
            return None
    return QueueFilter(status, kind, language, topic)


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
