"""Frozen dataclasses returned by the stores, and the enums stored in columns."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# Erased submissions belong to this placeholder participant: the Telegram id is gone.
ERASED_PARTICIPANT = 0


class Kind(StrEnum):
    QUESTION = "question"
    IDEA = "idea"


class Status(StrEnum):
    PENDING = "pending"
    SHORTLISTED = "shortlisted"
    APPROVED = "approved"
    ANSWERED = "answered"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"  # joined a similar submission (merged_into)


class TranslationStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # no retry can help (the engine does not know the language)
    NOT_NEEDED = "not_needed"  # already in the working language, no language, or translation off


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # request on the wire: delivered or not, we cannot know after a crash
    SENT = "sent"
    FAILED = "failed"


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_timestamp(moment: datetime) -> str:
    """UTC, second precision, fixed width: sorts as text, reads as ISO 8601."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    # fromisoformat runs in C, about 10x faster than strptime (every row read parses some);
    # anything but our own UTC form goes the strict way (and raises).
    value = datetime.fromisoformat(text)
    if len(text) == 20 and text[10] == "T" and text[19] == "Z":
        return value
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    chat_id: int
    message_id: int
    participant_id: int
    kind: Kind
    status: Status
    text: str
    locale: str
    language: str | None
    language_confidence: float | None
    translation: str | None
    translation_engine: str | None
    created_at: datetime
    updated_at: datetime
    translation_status: TranslationStatus = TranslationStatus.PENDING
    translated_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    position: int | None = None  # in the run order, when approved
    feed: str | None = None  # 'post' or 'digest' once shown in the moderators' group
    topic: str | None = None  # a topic id from the event file, chosen by the participant
    votes: int = 0  # participants' upvotes (/browse)
    similar_to: tuple[int, ...] = ()  # similar earlier submissions, best first
    merged_into: int | None = None  # when merged: the submission standing for it
    translation_reviewed_by: str | None = None  # who corrected the translation (/fixtr)
    party_id: int | None = None  # asked in a viewing party's group (/ask)
    party_place: str | None = None  # that party's place when it was asked


@dataclass(frozen=True, slots=True)
class TranslationJob:
    """A submission whose language or translation is still to be found."""

    submission_id: int
    text: str
    language: str | None
    language_confidence: float | None
    # The language the sender chose with /language, else their Telegram language: a prior for
    # short or unclear texts (see bot/services/language.py).
    hint: str | None
    attempts: int


# OutboxMessage.priority of notices to many people at once (announcements, "on air now",
# written answers): a chat with anything at priority 0 open (an answer to someone who just
# wrote) goes before every chat that has only these.
NOTICE_PRIORITY = 1


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message owed to someone, before it is queued: a Bot API method and its parameters.

    `dedup_key` makes queuing idempotent: a second message with the same key is ignored.
    `coalesce_key`: a newer message with the same key replaces one still queued (edits of a
    post: only the latest state matters). `message_ref`: the dedup_key of the send whose
    message this edits; its message_id is filled in when the edit goes out.
    """

    chat_id: int
    method: str
    params: dict[str, Any]
    dedup_key: str | None = None
    coalesce_key: str | None = None
    message_ref: str | None = None
    priority: int = 0  # lower goes first: NOTICE_PRIORITY for notices to many people


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class InboxUpdate:
    update_id: int
    payload: dict[str, Any]


def submission_from_row(row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        participant_id=row["participant_id"],
        kind=Kind(row["kind"]),
        status=Status(row["status"]),
        text=row["text"],
        locale=row["locale"],
        language=row["language"],
        language_confidence=row["language_confidence"],
        translation=row["translation"],
        translation_engine=row["translation_engine"],
        created_at=parse_timestamp(row["created_at"]),
        updated_at=parse_timestamp(row["updated_at"]),
        translation_status=TranslationStatus(row["translation_status"]),
        translated_at=parse_timestamp(row["translated_at"]) if row["translated_at"] else None,
        decided_by=row["decided_by"],
        reason=row["reason"],
        position=row["position"],
        feed=row["feed"],
        topic=row["topic"],
        votes=row["votes"],
        similar_to=tuple(int(i) for i in (row["similar_to"] or "").split()),
        merged_into=row["merged_into"],
        translation_reviewed_by=row["translation_reviewed_by"],
        party_id=row["party_id"],
        party_place=row["party_place"],
    )
