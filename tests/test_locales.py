"""Catalog checks: every locale has every message, intact placeholders and HTML, real plurals."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import load_locales
from bot.services.language import make_detector
from tests.fakes.telegram_api import ApiError, parse_html

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
SHIPPED = (
    "en", "fr", "es", "ar", "ru", "zh", "pt", "fa", "tr", "uk",
    "id", "sw", "hi", "ur", "bn", "de", "vi", "am", "ha", "my",
)  # fmt: skip
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")
# A command as Telegram links it: "/" and Latin letters, not inside a word, a path or a URL.
COMMAND = re.compile(r"(?<![\w/<:.])/[a-z_]+\b")


def source_msgids() -> set[str | tuple[str, str]]:
    """Every string the code passes to gettext/ngettext, extracted as pybabel does."""
    found: set[str | tuple[str, str]] = set()
    keywords = {"gettext": None, "ngettext": (1, 2)}
    method_map = [("bot/**.py", "python")]
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords=keywords):
        found.add(tuple(message) if isinstance(message, tuple) else message)  # type: ignore[arg-type]
    return found


def load(locale: str) -> Catalog:
    path = LOCALES / locale / "LC_MESSAGES" / "bot.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def msgid_key(message: Message) -> str | tuple[str, str]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else message.id  # type: ignore[return-value]


def forms(message: Message) -> tuple[str, ...]:
    return (
        tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)
    )


def test_template_is_up_to_date_with_the_code() -> None:
    with (LOCALES / "bot.pot").open("rb") as handle:
        template = {msgid_key(m) for m in entries(read_po(handle))}
    assert template == source_msgids(), "run pybabel extract (see README, Translations)"


@pytest.mark.parametrize("locale", SHIPPED)
def test_catalog_is_complete_and_intact(locale: str) -> None:
    catalog = load(locale)
    assert {msgid_key(m) for m in entries(catalog)} == source_msgids()
    assert not catalog.obsolete, "obsolete #~ entries left behind"
    for message in entries(catalog):
        key = msgid_key(message)
        ids = key if isinstance(key, tuple) else (key,)
        assert not message.fuzzy, f"{locale}: fuzzy {ids[0]!r}"
        translations = forms(message)
        if isinstance(key, tuple):
            assert len(translations) == catalog.num_plurals, f"{locale}: plurals of {ids[0]!r}"
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in translations:
            assert text.strip(), f"{locale}: empty translation of {ids[0]!r}"
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{locale}: placeholders {text!r}"
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(ids[0])), f"{locale}: {text!r}"
            sample = text.replace("{", "").replace("}", "")
            try:
                parse_html(sample)
            except ApiError as error:  # pragma: no cover - the message says what broke
                pytest.fail(f"{locale}: Telegram would refuse {text!r}: {error}")


def test_commands_are_found_in_the_english_texts() -> None:
    # What test_commands_stay_untranslated relies on: the pattern finds the commands.
    found = {c for m in entries(load("en")) for c in COMMAND.findall(" ".join(forms(m)))}
    assert {"/start", "/my", "/queue", "/idea", "/ask", "/help", "/when", "/partylang"} <= found
    assert COMMAND.findall("</b> https://t.me/x a/b /my, /start.") == ["/my", "/start"]


@pytest.mark.parametrize("locale", SHIPPED)
def test_commands_stay_untranslated(locale: str) -> None:
    """Each command of a msgid (/start, /my, /queue...) is in every form of its msgstr, as
    it is, and no other: a translated command is not a command any more."""
    checked = 0
    for message in entries(load(locale)):
        key = msgid_key(message)
        ids = key if isinstance(key, tuple) else (key,)
        wanted = set(COMMAND.findall(" ".join(ids)))
        for text in forms(message):
            assert set(COMMAND.findall(text)) == wanted, f"{locale}: commands in {text!r}"
            checked += len(wanted)
    assert checked > 0


@pytest.mark.parametrize("locale", [loc for loc in SHIPPED if loc != "en"])
def test_catalog_is_not_left_in_english(locale: str) -> None:
    # Sentences (three words or more) must differ from the English; short labels may not.
    untranslated = [
        m.id
        for m in entries(load(locale))
        if isinstance(m.id, str) and len(m.id.split()) >= 3 and forms(m)[0] == m.id
    ]
    assert untranslated == []


def test_every_shipped_locale_loads_with_its_plural_rule() -> None:
    locales = load_locales(LOCALES)
    assert set(SHIPPED) <= set(locales.available)
    russian = locales.get("ru")
    forms_ru = {russian.ngettext("{count} minute", "{count} minutes", n) for n in (1, 3, 5)}
    assert len(forms_ru) == 3  # one, few, many
    arabic = locales.get("ar")
    one, two, few = (arabic.ngettext("{count} minute", "{count} minutes", n) for n in (1, 2, 3))
    assert len({one, two, few}) == 3  # Arabic has a dual and a "few" form


DETECTOR = functools.cache(make_detector)  # one model load for all locales


def prose(text: str) -> str:
    """The words of a catalog string, without placeholders, tags, commands and emoji."""
    text = TAG.sub(" ", PLACEHOLDER.sub(" ", text))
    return " ".join(w for w in text.split() if not w.startswith(("/", "#", "•")))


@pytest.mark.parametrize("locale", [loc for loc in SHIPPED if loc != "en"])
def test_catalog_is_written_in_its_language(locale: str) -> None:
    """Detect the language of every translation long enough to tell (30+ letters)."""
    detector = DETECTOR()
    verdicts = []
    for message in entries(load(locale)):
        for text in forms(message):
            words = prose(text)
            if sum(c.isalpha() for c in words) >= 30:
                verdicts.append((detector.detect(words).language, words))
    assert verdicts, "nothing long enough to check"
    english = [words for language, words in verdicts if language == "en"]
    assert english == [], f"{locale}: left in English"
    right = sum(1 for language, _ in verdicts if language == locale)
    # Short interface strings can look like a neighbour language; most must be recognised.
    assert right >= 0.75 * len(verdicts), f"{locale}: {verdicts}"
