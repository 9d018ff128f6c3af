"""The event file (`TOWNHALL_CONFIG`, TOML): what the town hall is, when, and its topics.

Optional: without it the bot runs as a plain suggestion box, open until an organizer closes
it. Every mistake in the file raises ConfigError naming the variable, the file and the key,
so an organizer's typo gives one clear line at start instead of a surprise during the show.

    [event]
    name = "Global Town Hall on Climate"            # or name.en = "...", name.fr = "..."
    description = "Ask the Secretary your question"  # the same
    starts_at = 2026-12-10T15:00:00                  # read in `timezone` unless it has an offset
    timezone = "Africa/Nairobi"
    stream_url = "https://example.org/live"
    opens_at = 2026-12-01T09:00:00                   # optional: intake opens by itself
    closes_at = 2026-12-10T16:30:00                  # optional: and closes by itself

    [limits]                                         # optional; TOWNHALL_* variables win
    min_length = 8
    rate_limit = 5
    rate_window = 600                                # seconds

    [privacy]                                        # optional; TOWNHALL_RETENTION_DAYS wins
    retention_days = 90                              # texts erased 90 days after closes_at

    [[topics]]
    id = "climate"
    label = { en = "Climate", fr = "Climat", es = "Clima" }
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

VARIABLE = "TOWNHALL_CONFIG"
TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")
MAX_TOPICS = 12  # buttons under a confirmation: more would not fit on a phone screen
MAX_LABEL_CHARS = 40
UTC_ZONE = ZoneInfo("UTC")
EVENT_KEYS = frozenset(
    {"name", "description", "starts_at", "timezone", "stream_url", "opens_at", "closes_at"}
)
LIMIT_KEYS = ("min_length", "rate_limit", "rate_window")
PRIVACY_KEYS = ("retention_days",)
# A hundred years: more is a typo, and would overflow a date.
MAX_RETENTION_DAYS = 36_500


class EventFileError(ValueError):
    """A problem in the event file; the message names the key."""


@dataclass(frozen=True, slots=True)
class Localized:
    """A text given once, or per language: {"": text} or {"en": ..., "fr": ...}."""

    texts: Mapping[str, str]

    def pick(self, locale: str, fallback: str) -> str:
        """The text in `locale`, else in `fallback` (the working language), else any."""
        for key in (locale, locale.split("_")[0], fallback, ""):
            if key in self.texts:
                return self.texts[key]
        return next(iter(self.texts.values()))


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: Localized


@dataclass(frozen=True, slots=True)
class Event:
    name: Localized | None = None
    description: Localized | None = None
    starts_at: datetime | None = None  # aware
    timezone: ZoneInfo = UTC_ZONE
    stream_url: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    topics: tuple[Topic, ...] = ()
    limits: Mapping[str, int] | None = None
    # [privacy] retention_days: texts are erased that many days after `closes_at`.
    retention_days: int | None = None

    def topic(self, topic_id: str | None) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    @property
    def topic_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.topics)

    def topic_choices(self, locale: str, fallback: str) -> list[tuple[str, str]]:
        """(id, label in `locale`) for each topic, in the file's order."""
        return [(t.id, t.label.pick(locale, fallback)) for t in self.topics]

    def name_in(self, locale: str, fallback: str) -> str | None:
        return self.name.pick(locale, fallback) if self.name else None


def scheduled_open(event: Event | None, now: datetime) -> tuple[bool, datetime | None]:
    """What the schedule alone says at `now`: (open?, when that last became true).

    Without a schedule intake is open, since the beginning of time (None)."""
    if event is None:
        return True, None
    moments = [
        (at, is_open)
        for at, is_open in ((event.opens_at, True), (event.closes_at, False))
        if at is not None and at <= now
    ]
    if moments:
        at, is_open = max(moments, key=lambda m: m[0])
        return is_open, at
    # Before any scheduled moment: closed if an opening is still to come.
    return event.opens_at is None, None


def intake_is_open(
    event: Event | None, switch: tuple[bool, datetime | None] | None, now: datetime
) -> bool:
    """The most recent of the scheduled opening, the scheduled closing and an organizer's
    /open or /close decides: an organizer can open early or close late, and the schedule
    still acts at its next moment."""
    scheduled, since = scheduled_open(event, now)
    if switch is None:
        return scheduled
    switched_open, switched_at = switch
    # A switch of unknown time (recorded by an older version) counts as older than any.
    if since is not None and (switched_at is None or since > switched_at):
        return scheduled
    return switched_open


def erasure_moment(event: Event | None, retention_days: int | None) -> datetime | None:
    """When retention erases the texts: `retention_days` after the event's scheduled closing
    (`closes_at`). None when either is missing: without a closing time there is nothing to
    count from."""
    if event is None or event.closes_at is None or retention_days is None:
        return None
    return event.closes_at + timedelta(days=retention_days)


def load_event(path: Path) -> Event:
    """Read and check the event file; raises EventFileError."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise EventFileError(f"{path}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise EventFileError(f"{path}: {error}") from None
    unknown = set(data) - {"event", "limits", "privacy", "topics"}
    if unknown:
        raise EventFileError(f"unknown section {sorted(unknown)[0]!r}")
    section = _table(data.get("event", {}), "event")
    if extra := set(section) - EVENT_KEYS:
        raise EventFileError(f"unknown key event.{sorted(extra)[0]}")
    tz = _timezone(section.get("timezone", "UTC"))
    opens_at = _moment(section, "opens_at", tz)
    closes_at = _moment(section, "closes_at", tz)
    if opens_at and closes_at and closes_at <= opens_at:
        raise EventFileError("event.closes_at must come after event.opens_at")
    stream = section.get("stream_url")
    if stream is not None and not (
        isinstance(stream, str) and stream.startswith(("https://", "http://"))
    ):
        raise EventFileError("event.stream_url must be an http(s) link")
    return Event(
        name=_localized(section.get("name"), "event.name", 200),
        description=_localized(section.get("description"), "event.description", 1000),
        starts_at=_moment(section, "starts_at", tz),
        timezone=tz,
        stream_url=stream,
        opens_at=opens_at,
        closes_at=closes_at,
        topics=_topics(data.get("topics", [])),
        limits=_limits(data.get("limits", {})),
        retention_days=_retention(data.get("privacy", {})),
    )


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventFileError(f"{key} must be a table")
    return value


def _timezone(name: Any) -> ZoneInfo:
    if not isinstance(name, str):
        raise EventFileError("event.timezone must be a name such as Africa/Nairobi")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventFileError(
            f"event.timezone: unknown time zone {name!r} (use a name such as Africa/Nairobi)"
        ) from None


def _moment(section: Mapping[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise EventFileError(f"event.{key} must be a date and time such as 2026-12-10T15:00:00")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _localized(value: Any, key: str, limit: int) -> Localized | None:
    if value is None:
        return None
    texts = {"": value} if isinstance(value, str) else value
    if not isinstance(texts, dict) or not texts:
        raise EventFileError(f"{key} must be a text, or a table of texts per language")
    for language, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise EventFileError(f"{key}.{language} must be a non-empty text")
        if len(text) > limit:
            raise EventFileError(f"{key}.{language} is longer than {limit} characters")
    return Localized({k: v.strip() for k, v in texts.items()})


def _topics(value: Any) -> tuple[Topic, ...]:
    if not isinstance(value, list):
        raise EventFileError("topics must be a list of [[topics]] tables")
    if len(value) > MAX_TOPICS:
        raise EventFileError(f"at most {MAX_TOPICS} topics, found {len(value)}")
    topics: list[Topic] = []
    for index, raw in enumerate(value, start=1):
        where = f"topics[{index}]"
        entry = _table(raw, where)
        topic_id = entry.get("id")
        if not isinstance(topic_id, str) or not TOPIC_ID.match(topic_id):
            raise EventFileError(
                f"{where}.id must be 1-24 characters from a-z, 0-9, _ and -, such as climate"
            )
        if any(t.id == topic_id for t in topics):
            raise EventFileError(f"{where}.id {topic_id!r} is used twice")
        label = _localized(entry.get("label"), f"{where}.label", MAX_LABEL_CHARS)
        if label is None:
            raise EventFileError(f"{where}.label is missing")
        topics.append(Topic(topic_id, label))
    return tuple(topics)


def _limits(value: Any) -> dict[str, int]:
    limits = _table(value, "limits")
    for key, number in limits.items():
        if key not in LIMIT_KEYS:
            raise EventFileError(f"unknown key limits.{key} (known: {', '.join(LIMIT_KEYS)})")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise EventFileError(f"limits.{key} must be a whole number of at least 1")
    return dict(limits)


def _retention(value: Any) -> int | None:
    privacy = _table(value, "privacy")
    for key in privacy:
        if key not in PRIVACY_KEYS:
            raise EventFileError(f"unknown key privacy.{key} (known: {', '.join(PRIVACY_KEYS)})")
    raw = privacy.get("retention_days")
    if raw is None:
        return None
    # A TOML integer only: "90" in quotes is a typo worth pointing out.
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_RETENTION_DAYS:
        raise EventFileError(
            f"privacy.retention_days must be a whole number of days from 0 to "
            f"{MAX_RETENTION_DAYS}, such as 90"
        )
    return raw
