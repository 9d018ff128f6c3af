"""Catalogs and locale resolution.

Catalogs are the .po files themselves, compiled in memory through Babel at start, so neither
a deployment nor a translator needs a compile step. Resolution order: the participant's own
choice, else Telegram's language_code mapped to a catalog we have, else the default.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "bot"
DEFAULT_LOCALE = "en"
_log = logging.getLogger(__name__)

# Telegram sends IETF tags ("pt-br", "zh-hans"); a few legacy ISO 639 codes survive in clients.
_LEGACY_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}


class Gettext(Protocol):
    """What bot/render needs from a catalog."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def catalog_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(path: Path, locale: str) -> Translations:
    """Read a .po file and return its translations (fuzzy entries are left out, as msgfmt does)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Locales:
    catalogs: dict[str, NullTranslations]
    default: str = DEFAULT_LOCALE

    @property
    def available(self) -> tuple[str, ...]:
        return tuple(sorted(self.catalogs))

    def resolve(self, choice: str | None, language_code: str | None) -> str:
        """The locale to speak to someone in."""
        if choice and choice in self.catalogs:
            return choice
        mapped = self.match(language_code)
        return mapped if mapped else self.default

    def match(self, language_code: str | None) -> str | None:
        """Map a Telegram language_code ("pt-br", "zh-hans", "en") to a catalog, if we have one."""
        if not language_code:
            return None
        tag = language_code.strip().lower().replace("_", "-")
        if tag in self.catalogs:
            return tag
        primary = tag.split("-", 1)[0]
        primary = _LEGACY_CODES.get(primary, primary)
        return primary if primary in self.catalogs else None

    def get(self, locale: str) -> NullTranslations:
        return self.catalogs.get(locale) or self.catalogs[self.default]


# Our "zh" catalog is Simplified Chinese: its name should say so.
_CLDR_NAMES = {"zh": "zh_Hans"}


def native_name(locale: str) -> str:
    """The language's name in itself, from CLDR (Babel): "Español", "العربية", "中文 (简体)"."""
    try:
        cldr = Locale.parse(_CLDR_NAMES.get(locale, locale))
    except (ValueError, UnknownLocaleError):
        return locale
    name = cldr.get_display_name(cldr) or locale
    return name[:1].upper() + name[1:]  # "español" -> "Español"; scripts without case unchanged


def load_locales(locales_dir: Path, default: str = DEFAULT_LOCALE) -> Locales:
    """Load every locales/<lang>/LC_MESSAGES/bot.po; the default always exists (msgids are it)."""
    catalogs: dict[str, NullTranslations] = {}
    if locales_dir.is_dir():
        for path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            locale = path.parent.parent.name
            catalogs[locale] = compile_po(path, locale)
    else:
        _log.warning("no locales directory at %s: speaking English only", locales_dir)
    catalogs.setdefault(default, NullTranslations())
    return Locales(catalogs, default)
