"""Settings from the environment: parsed and validated once, at start.

Every bad value raises ConfigError naming the variable, so an organizer's typo gives one clear
line instead of a traceback. The token is kept out of repr() and of every message.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.event import MAX_RETENTION_DAYS, Event, EventFileError, erasure_moment, load_event
from bot.event import VARIABLE as EVENT_VARIABLE

DEFAULT_API_URL = "https://api.telegram.org/bot"
TRANSLATORS = ("google", "libre", "mymemory", "microsoft", "deepl", "none")
# Which engines need or take a URL or a key (the shared ones go to the first that needs them).
_NEEDS_URL = ("libre",)
_TAKES_URL = ("libre", "microsoft", "deepl")
_NEEDS_KEY = ("microsoft", "deepl")
_TAKES_KEY = ("libre", "mymemory", "microsoft", "deepl")
_ENGINE_OVERRIDE = re.compile(r"TOWNHALL_TRANSLATOR_([A-Z0-9]+)_(URL|KEY)")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class EngineSettings:
    """One engine of the translator chain, with the URL and key it is given."""

    name: str
    url: str | None = None
    key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    token: str | None = field(repr=False)
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("townhall.db")
    organizers: frozenset[int] = frozenset()
    moderators: frozenset[int] = frozenset()
    moderator_chat: int | None = None
    # TOWNHALL_TRANSLATOR: one engine or a chain tried in order, comma-joined ("libre,deepl").
    translator: str = "google"
    # The shared TOWNHALL_TRANSLATOR_URL and _KEY: each goes to one engine of the chain (the
    # first that needs it); see translator_engines().
    translator_url: str | None = None
    translator_key: str | None = field(default=None, repr=False)
    # TOWNHALL_TRANSLATOR_<NAME>_URL / _KEY: one engine's own, winning over the shared ones.
    translator_overrides: tuple[EngineSettings, ...] = field(default=(), repr=False)
    language: str = "en"
    translator_timeout: float = 15.0
    detector: str = "py3langid"
    # None: the detector's default candidate set.
    languages: tuple[str, ...] | None = None
    rejection_notices: bool = True
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443
    # Polling mode: the bot's web server (/healthz, the on-air screen) on listen:web_port.
    web_port: int | None = None
    # The address links to the pages use (behind a reverse proxy); None: http://listen:port.
    public_url: str | None = None
    rate_limit: int = 5
    rate_window_s: int = 600
    min_length: int = 8
    send_rate: float = 25.0
    # Flood control before the handlers (bot/services/flood.py): per account (per viewing
    # party for its /ask), `flood_burst` updates at once, then one per `flood_refill_s`.
    flood_control: bool = True
    flood_burst: int = 20
    flood_refill_s: float = 3.0
    log_level: str = "INFO"
    # Statuses whose questions participants can browse and upvote (/browse).
    browse_statuses: tuple[str, ...] = ("shortlisted", "approved")
    # The event file (TOWNHALL_CONFIG): name, time, stream link, topics, schedule.
    event: Event | None = None
    # Days after the event's closing (closes_at) when texts are erased by themselves:
    # TOWNHALL_RETENTION_DAYS, else the event file's [privacy] retention_days; None: never.
    retention_days: int | None = None
    locales_dir: Path = Path(__file__).resolve().parent.parent / "locales"

    def served_port(self) -> int | None:
        """The port the bot's own web server listens on (None: it does not run)."""
        return self.port if self.webhook_url is not None else self.web_port

    def public_base_url(self) -> str:
        """Where the bot's pages are reached from outside, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.listen}:{self.served_port() or self.port}"

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN", "not set; create a bot with @BotFather and export its token"
            )
        return self.token

    @property
    def translators(self) -> tuple[str, ...]:
        """The engines of the chain, in the order they are tried; () when translation is off."""
        return () if self.translator == "none" else tuple(self.translator.split(","))

    def translator_engines(self) -> tuple[EngineSettings, ...]:
        """Each engine of the chain with its URL and key."""
        return _engine_settings(
            self.translators, self.translator_url, self.translator_key, self.translator_overrides
        )

    @property
    def translator_secrets(self) -> tuple[str, ...]:
        """Every translator key given (the shared one and each engine's own): never logged."""
        keys = (self.translator_key, *(own.key for own in self.translator_overrides))
        return tuple(key for key in keys if key)

    @property
    def staff(self) -> frozenset[int]:
        """Organizers are moderators too."""
        return self.organizers | self.moderators


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").strip()
    if not raw:
        return frozenset()
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(name, f"{part!r} is not a Telegram user id (a number)") from None
    return frozenset(ids)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:  # "nan" and "inf" parse as floats
        raise ConfigError(name, f"must be a positive number, got {raw}")
    return value


def _chat_id(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(
            name, f"{raw!r} is not a chat id (a number such as -1001234567890)"
        ) from None


def _recipient(chain: tuple[str, ...], needs: tuple[str, ...], takes: tuple[str, ...]) -> str:
    """The engine a shared URL or key goes to: the first that needs one, else the first that
    takes one ("" when none does). One engine only: a key never reaches a service it was not
    meant for."""
    for wanted in (needs, takes):
        for name in chain:
            if name in wanted:
                return name
    return ""


def _engine_settings(
    chain: tuple[str, ...],
    url: str | None,
    key: str | None,
    overrides: tuple[EngineSettings, ...],
) -> tuple[EngineSettings, ...]:
    url_to = _recipient(chain, _NEEDS_URL, _TAKES_URL)
    key_to = _recipient(chain, _NEEDS_KEY, _TAKES_KEY)
    own = {o.name: o for o in overrides}
    engines = []
    for name in chain:
        mine = own.get(name, EngineSettings(name))
        engines.append(
            EngineSettings(
                name,
                url=mine.url or (url if name == url_to else None),
                key=mine.key or (key if name == key_to else None),
            )
        )
    return tuple(engines)


def _chain(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("TOWNHALL_TRANSLATOR", "").strip().lower() or "google"
    names = tuple(part.strip() for part in raw.split(","))
    choices = f"choose one of {', '.join(TRANSLATORS)}, or a chain such as libre,deepl"
    for name in names:
        if not name:
            raise ConfigError("TOWNHALL_TRANSLATOR", f"{raw!r} has an empty name; {choices}")
        if name not in TRANSLATORS:
            raise ConfigError("TOWNHALL_TRANSLATOR", f"unknown engine {name!r}; {choices}")
    if len(set(names)) < len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise ConfigError("TOWNHALL_TRANSLATOR", f"{', '.join(twice)} named twice in {raw!r}")
    if "none" in names and len(names) > 1:
        raise ConfigError(
            "TOWNHALL_TRANSLATOR", f"none turns translation off: alone, not in {raw!r}"
        )
    return names


def _http_url(variable: str, url: str | None) -> None:
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(variable, f"{url!r} is not an http(s) URL")


def _overrides(env: Mapping[str, str]) -> tuple[EngineSettings, ...]:
    """TOWNHALL_TRANSLATOR_<NAME>_URL and _KEY, each for an engine that takes one."""
    found: dict[str, EngineSettings] = {}
    for variable in sorted(env):
        match = _ENGINE_OVERRIDE.fullmatch(variable)
        value = env[variable].strip()
        if match is None or not value:
            continue
        name, kind = match[1].lower(), match[2]
        if name not in TRANSLATORS or name == "none":
            raise ConfigError(
                variable, f"no engine {name!r}; engines: {', '.join(TRANSLATORS[:-1])}"
            )
        takes = _TAKES_URL if kind == "URL" else _TAKES_KEY
        if name not in takes:
            raise ConfigError(variable, f"the {name} engine takes no {kind.lower()}")
        mine = found.get(name, EngineSettings(name))
        if kind == "URL":
            _http_url(variable, value)
            found[name] = EngineSettings(name, url=value, key=mine.key)
        else:
            found[name] = EngineSettings(name, url=mine.url, key=value)
    return tuple(found.values())


def _translator(
    env: Mapping[str, str],
) -> tuple[str, str | None, str | None, tuple[EngineSettings, ...]]:
    """TOWNHALL_TRANSLATOR (one engine or a chain), the shared URL and key, each engine's own.

    Checks that every engine of the chain gets what it needs: libre a server URL, microsoft and
    deepl a key."""
    chain = _chain(env)
    url = env.get("TOWNHALL_TRANSLATOR_URL", "").strip() or None
    key = env.get("TOWNHALL_TRANSLATOR_KEY", "").strip() or None
    _http_url("TOWNHALL_TRANSLATOR_URL", url)
    overrides = _overrides(env)
    named = ",".join(chain)
    engines = _engine_settings(() if named == "none" else chain, url, key, overrides)
    key_to = _recipient(chain, _NEEDS_KEY, _TAKES_KEY)
    for engine in engines:
        own = f"TOWNHALL_TRANSLATOR_{engine.name.upper()}"
        if engine.name in _NEEDS_URL and not engine.url:
            raise ConfigError(
                "TOWNHALL_TRANSLATOR_URL",
                f"required with TOWNHALL_TRANSLATOR={named} (your {engine.name} server's URL;"
                f" or {own}_URL)",
            )
        if engine.name in _NEEDS_KEY and not engine.key:
            if engine.name == key_to:
                raise ConfigError(
                    "TOWNHALL_TRANSLATOR_KEY",
                    f"required with TOWNHALL_TRANSLATOR={named} (or {own}_KEY)",
                )
            raise ConfigError(
                f"{own}_KEY",
                f"required with TOWNHALL_TRANSLATOR={named}: TOWNHALL_TRANSLATOR_KEY goes to"
                f" {key_to}",
            )
    return named, url, key, overrides


def _is_language_code(code: str) -> bool:
    return 2 <= len(code) <= 3 and code.isascii() and code.isalpha()


def _language(env: Mapping[str, str]) -> str:
    raw = env.get("TOWNHALL_LANGUAGE", "").strip().lower() or "en"
    if not _is_language_code(raw):
        raise ConfigError("TOWNHALL_LANGUAGE", f"{raw!r} is not a language code such as en or fr")
    return raw


def _detector(env: Mapping[str, str]) -> str:
    from bot.services.language import DEFAULT_DETECTOR, DETECTORS

    raw = env.get("TOWNHALL_DETECTOR", "").strip().lower() or DEFAULT_DETECTOR
    if raw not in DETECTORS:
        raise ConfigError("TOWNHALL_DETECTOR", f"{raw!r}; choose one of {', '.join(DETECTORS)}")
    return raw


def _languages(env: Mapping[str, str]) -> tuple[str, ...] | None:
    raw = env.get("TOWNHALL_LANGUAGES", "").strip()
    if not raw:
        return None
    codes = tuple(dict.fromkeys(c.strip().lower() for c in raw.split(",") if c.strip()))
    bad = [c for c in codes if not _is_language_code(c)]
    if bad or len(codes) < 2:
        raise ConfigError(
            "TOWNHALL_LANGUAGES",
            f"{', '.join(bad) or raw!r}: give two or more ISO 639-1 codes, such as en,fr,ar",
        )
    return codes


def _api_url(env: Mapping[str, str]) -> str:
    raw = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
    if not raw.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_URL", f"{raw!r} is not an http(s) URL")
    return raw


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise ConfigError(name, f"{raw!r}; use on or off")
    return raw in _TRUE


_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _webhook(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    url = env.get("TOWNHALL_WEBHOOK_URL", "").strip() or None
    if url is not None and not url.startswith("https://"):
        raise ConfigError("TOWNHALL_WEBHOOK_URL", f"{url!r}: Telegram only calls https:// URLs")
    secret = env.get("TOWNHALL_WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not _SECRET.match(secret):
        raise ConfigError(
            "TOWNHALL_WEBHOOK_SECRET",
            "1-256 characters from A-Z, a-z, 0-9, _ and - (Telegram's rule)",
        )
    return url, secret


def _log_level(env: Mapping[str, str]) -> str:
    raw = env.get("TOWNHALL_LOG_LEVEL", "").strip().upper() or "INFO"
    if raw not in LOG_LEVELS:
        raise ConfigError("TOWNHALL_LOG_LEVEL", f"{raw!r}; choose one of {', '.join(LOG_LEVELS)}")
    return raw


_PUBLIC_STATUSES = ("pending", "shortlisted", "approved", "answered")


def _browse(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("TOWNHALL_BROWSE", "").strip().lower()
    if not raw:
        return ("shortlisted", "approved")
    chosen = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    bad = [c for c in chosen if c not in _PUBLIC_STATUSES]
    if bad or not chosen:
        raise ConfigError(
            "TOWNHALL_BROWSE",
            f"{', '.join(bad) or raw!r}: give statuses among {', '.join(_PUBLIC_STATUSES)}",
        )
    return chosen


def _event(env: Mapping[str, str]) -> Event | None:
    raw = env.get(EVENT_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        return load_event(Path(raw))
    except EventFileError as error:
        raise ConfigError(EVENT_VARIABLE, str(error)) from None


RETENTION_VARIABLE = "TOWNHALL_RETENTION_DAYS"


def _retention_days(env: Mapping[str, str], event: Event | None) -> int | None:
    """The variable wins over the event file's [privacy] retention_days."""
    raw = env.get(RETENTION_VARIABLE, "").strip()
    if not raw:
        days = event.retention_days if event else None
        where = f"{EVENT_VARIABLE}: privacy.retention_days"
    else:
        try:
            days = int(raw)
        except ValueError:
            raise ConfigError(
                RETENTION_VARIABLE, f"{raw!r} is not a whole number of days"
            ) from None
        if not 0 <= days <= MAX_RETENTION_DAYS:
            raise ConfigError(
                RETENTION_VARIABLE, f"must be from 0 to {MAX_RETENTION_DAYS} days, got {days}"
            )
        where = RETENTION_VARIABLE
    try:
        erasure_moment(event, days)
    except OverflowError:
        raise ConfigError(where, "added to event.closes_at, goes past the year 9999") from None
    return days


MAX_FLOOD_BURST = 10_000
MAX_FLOOD_REFILL_S = 3600.0


def _flood(env: Mapping[str, str]) -> tuple[bool, int, float]:
    """TOWNHALL_FLOOD (on/off), TOWNHALL_FLOOD_BURST, TOWNHALL_FLOOD_REFILL (seconds)."""
    enabled = _flag(env, "TOWNHALL_FLOOD", True)
    burst = _int(env, "TOWNHALL_FLOOD_BURST", 20)
    if burst > MAX_FLOOD_BURST:
        raise ConfigError(
            "TOWNHALL_FLOOD_BURST", f"must be at most {MAX_FLOOD_BURST}, got {burst}"
        )
    refill = _float(env, "TOWNHALL_FLOOD_REFILL", 3.0)
    if not refill <= MAX_FLOOD_REFILL_S:  # NaN too
        raise ConfigError(
            "TOWNHALL_FLOOD_REFILL",
            f"seconds per update: at most {MAX_FLOOD_REFILL_S:.0f}, got {refill:g}",
        )
    return enabled, burst, refill


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every variable. Raises ConfigError on the first bad one."""
    env = os.environ if env is None else env
    event = _event(env)
    # The event file's limits apply unless a variable says otherwise.
    limits = dict(event.limits or {}) if event else {}
    engine, url, key, engine_overrides = _translator(env)
    webhook_url, webhook_secret = _webhook(env)
    flood_control, flood_burst, flood_refill_s = _flood(env)
    locales_dir = env.get("TOWNHALL_LOCALES", "").strip()
    return Settings(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_url=_api_url(env),
        db_path=Path(env.get("TOWNHALL_DB", "").strip() or "townhall.db"),
        organizers=_ids(env, "TOWNHALL_ORGANIZERS"),
        moderators=_ids(env, "TOWNHALL_MODERATORS"),
        moderator_chat=_chat_id(env, "TOWNHALL_MODERATOR_CHAT"),
        translator=engine,
        translator_url=url,
        translator_key=key,
        translator_overrides=engine_overrides,
        language=_language(env),
        translator_timeout=_float(env, "TOWNHALL_TRANSLATOR_TIMEOUT", 15.0),
        detector=_detector(env),
        languages=_languages(env),
        rejection_notices=_flag(env, "TOWNHALL_REJECTION_NOTICES", True),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        listen=env.get("TOWNHALL_LISTEN", "").strip() or "127.0.0.1",
        port=_int(env, "TOWNHALL_PORT", 8443),
        web_port=_web_port(env),
        public_url=_public_url(env),
        rate_limit=_int(env, "TOWNHALL_RATE_LIMIT", limits.get("rate_limit", 5)),
        rate_window_s=_int(env, "TOWNHALL_RATE_WINDOW", limits.get("rate_window", 600)),
        min_length=_int(env, "TOWNHALL_MIN_LENGTH", limits.get("min_length", 8)),
        send_rate=_float(env, "TOWNHALL_SEND_RATE", 25.0),
        flood_control=flood_control,
        flood_burst=flood_burst,
        flood_refill_s=flood_refill_s,
        log_level=_log_level(env),
        event=event,
        retention_days=_retention_days(env, event),
        browse_statuses=_browse(env),
        **({"locales_dir": Path(locales_dir)} if locales_dir else {}),
    )


def _web_port(env: Mapping[str, str]) -> int | None:
    raw = env.get("TOWNHALL_WEB_PORT", "").strip()
    if not raw:
        return None
    port = _int(env, "TOWNHALL_WEB_PORT", 0)
    if not 0 < port < 65536:
        raise ConfigError("TOWNHALL_WEB_PORT", f"{raw!r}; a TCP port, 1 to 65535")
    return port


def _public_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("TOWNHALL_PUBLIC_URL", "").strip()
    if not raw:
        return None
    if len(raw) > 200 or not re.match(r"^https?://[^\s/]+", raw):
        raise ConfigError(
            "TOWNHALL_PUBLIC_URL", f"{raw!r}; an http(s) address, e.g. https://tv.example.org"
        )
    return raw
