"""Labelled texts for benchmarks/langid.py: the shared dev set and three sets of real
translations, each from a pinned package fetched into benchmarks/.cache/ on first use.

- django: the human translations (msgstr) in one pinned Django wheel's gettext catalogs; the
  catalogs' locale names give the labels (normalise_code: "pt_BR" -> pt, "zh_Hans" -> zh),
  Django's English source strings (msgid) give English. At most PER_LANGUAGE strings per
  language, all lengths. Never used for tuning.
- tune: the TUNING set, texts of 20-400 characters from five other projects' translations:
  Blockly's messages (npm package, msg/*.js; volunteers on translatewiki.net), and the
  gettext catalogs of Sphinx, Wagtail, CKAN and Gramps (PyPI wheels). The detector's rules
  were checked against all of their texts (and half "a" of the dev set), so its figures are
  not held out.
- test: the HELD-OUT set, texts of 20-400 characters from Kolibri's own message catalogs
  (PyPI wheel, kolibri/locale/*/LC_MESSAGES/*-messages.json, translated on Crowdin; not the
  Django copy it vendors). Texts also found in any tuning source or in the dev set are
  dropped, so the two sets share no source and no text.

Placeholders and markup are stripped (printf, str.format and ICU MessageFormat: a plural or
select keeps its "other" form), strings equal to their English source are skipped, each
language keeps at most a fixed number of strings, sampled with a fixed seed from the sorted,
deduplicated list, so every machine builds the same sets.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import read_mo

from bot.services.language import normalise_code

REPO = Path(__file__).resolve().parents[1]
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "langid_dev.jsonl"
CACHE = REPO / "benchmarks" / ".cache"
DJANGO = "Django==5.2.19"
BLOCKLY = "blockly@13.3.0"  # tuning set (npm)
TUNING_WHEELS = ("Sphinx==9.0.4", "wagtail==8.0.1", "ckan==2.12.0", "gramps==6.0.8")
KOLIBRI = "kolibri==0.19.5"  # held-out test set
PER_LANGUAGE = 300  # django set
TUNE_PER_LANGUAGE = 300
TEST_PER_LANGUAGE = 400
TARGET_CHARS = (20, 400)  # the tuning and test sets hold texts of 20-400 characters only
SEED = 20240601
MIN_LETTERS = 3
MAX_CHARS = 1000
# Kolibri's pseudo-locale for in-context translation (its strings are not a language).
_KOLIBRI_SKIP = frozenset({"ach_UG"})

_PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # printf: %s, %(name)s, %(v).1f
    r"|%\{\w+\}|%\d+"  # Blockly: %{BKY_NAME}, %1
    r"|\{[^{}]*\}"  # str.format: {name}
    r"|<[^>]*>"  # HTML tags
    r"|\S*_\S*"  # identifiers such as get_absolute_url()
)
_SPACES = re.compile(r"\s+")
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)
_ICU_BRANCHES = frozenset({"plural", "select", "selectordinal"})


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class Source:
    """One pinned package a set was built from, for the record."""

    name: str
    sha256: str


def load_jsonl(path: Path) -> list[Sample]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Sample(row["text"], normalise_code(row["lang"])) for row in rows]


def in_half(text: str, half: str) -> bool:
    """A fixed split by content hash: "a" for tuning, "b" held out, "all" for both."""
    if half == "all":
        return True
    bucket = hashlib.sha256(text.encode("utf-8")).digest()[0] % 2
    return bucket == (0 if half == "a" else 1)


# --- fetching ----------------------------------------------------------------------------


def _cached(pattern: str, fetch: Callable[[], None]) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(pattern))
    if not found:
        fetch()
        found = sorted(CACHE.glob(pattern))
        if not found:
            raise RuntimeError(f"nothing matching {pattern} in {CACHE} after the download")
    return found[0]


def pypi_wheel(requirement: str) -> Path:
    """A pinned wheel ("Name==version"), downloaded with pip once, then read from the cache."""
    name, version = requirement.split("==")

    def fetch() -> None:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary=:all:", "--dest", str(CACHE), requirement]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"could not download {requirement}:\n{done.stderr}")

    return _cached(f"[{name[0].upper()}{name[0].lower()}]{name[1:]}-{version}-*.whl", fetch)


def django_wheel() -> Path:
    return pypi_wheel(DJANGO)


def npm_tarball(spec: str) -> Path:
    """A pinned npm package ("name@version"), fetched with `npm pack` once, then cached."""
    name, version = spec.rsplit("@", 1)

    def fetch() -> None:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is needed once to fetch {spec} into {CACHE}")
        command = [npm, "pack", spec, "--silent", "--pack-destination", str(CACHE)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"could not fetch {spec}:\n{done.stderr}")

    return _cached(f"{name}-{version}.tgz", fetch)


def _source(requirement: str, path: Path) -> Source:
    return Source(requirement, hashlib.sha256(path.read_bytes()).hexdigest())


# --- cleaning ----------------------------------------------------------------------------


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _PLACEHOLDER.sub(" ", text)).strip(" :.-")


def _unlinked(text: str) -> str:
    """Without links (Blockly's help URLs are messages too); the Django set keeps them."""
    return _LINK.sub(" ", text)


def icu_text(message: str) -> str:
    """The words of an ICU MessageFormat string: arguments dropped, a plural or select
    replaced by its "other" form ("{n, plural, one {# file} other {# files}}" -> " files")."""
    out, _ = _icu_parse(message, 0)
    return out


def _icu_parse(message: str, start: int) -> tuple[str, int]:
    """Text from `start` to the unmatched "}" (or the end), and the index after it."""
    parts: list[str] = []
    index = start
    while index < len(message):
        char = message[index]
        if char == "}":
            return "".join(parts), index + 1
        if char == "{":
            text, index = _icu_argument(message, index + 1)
            parts.append(text)
            continue
        parts.append(char)
        index += 1
    return "".join(parts), index


def _icu_argument(message: str, start: int) -> tuple[str, int]:
    """An argument after its "{": its chosen form's words for plural/select, else a space."""
    end = message.find("}", start)
    head = message[start : end if end >= 0 else len(message)].split(",")
    if len(head) < 2 or head[1].strip() not in _ICU_BRANCHES:
        return " ", _skip_braces(message, start)
    index = message.find(",", message.find(",", start) + 1) + 1
    forms: dict[str, str] = {}
    while index < len(message):
        while index < len(message) and message[index].isspace():
            index += 1
        if index >= len(message) or message[index] == "}":
            index += 1
            break
        brace = message.find("{", index)
        if brace < 0:
            return " ", len(message)
        key = message[index:brace].strip()
        text, index = _icu_parse(message, brace + 1)
        forms[key] = text.replace("#", " ")
    chosen = forms.get("other") or next(iter(forms.values()), "")
    return f" {chosen} ", index


def _skip_braces(message: str, start: int) -> int:
    depth = 1
    index = start
    while index < len(message) and depth:
        depth += {"{": 1, "}": -1}.get(message[index], 0)
        index += 1
    return index


def _keep(text: str) -> bool:
    return sum(char.isalpha() for char in text) >= MIN_LETTERS and len(text) <= MAX_CHARS


def _in_target(text: str) -> bool:
    low, high = TARGET_CHARS
    return _keep(text) and low <= len(text) <= high


def _first(value: str | Iterable[str]) -> str:
    """Plural entries hold several forms: the first is enough (the others are near copies)."""
    return value if isinstance(value, str) else next(iter(value), "")


def _add(texts: dict[str, set[str]], locale: str, source: str, translated: str) -> None:
    """English source and translation, cleaned; a translation equal to its source is not one."""
    source, translated = _tidy(source), _tidy(translated)
    texts.setdefault("en", set()).add(source)
    if translated and translated.casefold() != source.casefold():
        texts.setdefault(normalise_code(locale), set()).add(translated)


def _sampled(
    texts: dict[str, set[str]],
    wanted: set[str],
    keep: Callable[[str], bool],
    limit: int,
    exclude: frozenset[str] = frozenset(),
    *,
    one_generator: bool = False,
) -> list[Sample]:
    """At most `limit` texts per language, drawn with a generator seeded per language (so a
    language's sample does not depend on which others are asked for), or with one generator
    for all (the Django set, as it was first built)."""
    shared = random.Random(SEED)
    samples: list[Sample] = []
    for language in sorted(wanted & texts.keys()):
        rng = shared if one_generator else random.Random(f"{SEED}:{language}")
        kept = sorted(t for t in texts[language] if keep(t) and t.casefold() not in exclude)
        chosen = sorted(rng.sample(kept, limit)) if len(kept) > limit else kept
        samples.extend(Sample(text, language) for text in chosen)
    return samples


# --- the sets ----------------------------------------------------------------------------


def _catalog_pairs(wheel: Path) -> Iterator[tuple[str, str, str]]:
    """(locale, msgid, msgstr) from every compiled catalog (.mo files hold no fuzzy entries)."""
    with zipfile.ZipFile(wheel) as archive:
        for member in sorted(archive.namelist()):
            if not member.endswith(".mo"):
                continue
            locale = member.split("/LC_MESSAGES/")[0].rsplit("/", 1)[1]
            for message in read_mo(io.BytesIO(archive.read(member))):
                if message.id:
                    yield locale, _first(message.id), _first(message.string or "")


def django_set(languages: Iterable[str]) -> tuple[list[Sample], str]:
    """The Django set, restricted to `languages`; also the wheel's sha256 for the record."""
    wheel = django_wheel()
    texts: dict[str, set[str]] = {}
    for locale, msgid, msgstr in _catalog_pairs(wheel):
        _add(texts, locale, msgid, msgstr)
    samples = _sampled(texts, set(languages), _keep, PER_LANGUAGE, one_generator=True)
    return samples, _source(DJANGO, wheel).sha256


_BLOCKLY_MESSAGE = re.compile(r'^Blockly\.Msg\["(\w+)"\] = "((?:[^"\\]|\\.)*)";(.*)$', re.M)
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _js_unescape(literal: str) -> str:
    """The value of a double-quoted JavaScript string's body ("\\е" is "е", as in JS)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        return _JS_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(one, literal)


def _blockly_messages(source: str) -> dict[str, str]:
    """key -> message of one msg/<locale>.js, without those marked untranslated."""
    messages = {}
    for key, literal, comment in _BLOCKLY_MESSAGE.findall(source):
        if "untranslated" not in comment:
            messages[key] = _js_unescape(literal)
    return messages


def _blockly_pairs(tarball: Path) -> Iterator[tuple[str, str, str]]:
    """(locale, English, translation) from Blockly's msg/*.js files."""
    with tarfile.open(tarball) as archive:
        files = {
            member.name.rsplit("/", 1)[1][: -len(".js")]: member
            for member in archive.getmembers()
            if member.isfile() and re.fullmatch(r"package/msg/[\w-]+\.js", member.name)
        }

        def read(locale: str) -> dict[str, str]:
            handle = archive.extractfile(files[locale])
            assert handle is not None
            return _blockly_messages(handle.read().decode("utf-8"))

        english = read("en")
        for locale in sorted(files):
            for key, text in sorted(read(locale).items()):
                if key in english:
                    yield locale, _unlinked(english[key]), _unlinked(text)


def tuning_texts() -> tuple[dict[str, set[str]], list[Source]]:
    """Every cleaned text of the tuning sources, by language, and the sources."""
    tarball = npm_tarball(BLOCKLY)
    sources = [_source(BLOCKLY, tarball)]
    texts: dict[str, set[str]] = {}
    for locale, english, translated in _blockly_pairs(tarball):
        _add(texts, locale, english, translated)
    for requirement in TUNING_WHEELS:
        wheel = pypi_wheel(requirement)
        sources.append(_source(requirement, wheel))
        for locale, msgid, msgstr in _catalog_pairs(wheel):
            _add(texts, locale, _unlinked(msgid), _unlinked(msgstr))
    return texts, sources


def tuning_set(languages: Iterable[str]) -> tuple[list[Sample], list[Source], set[str]]:
    """The tuning sources' texts of 20-400 characters, restricted to `languages`, at most
    TUNE_PER_LANGUAGE each; also every text of those sources, to keep out of the test set."""
    texts, sources = tuning_texts()
    samples = _sampled(texts, set(languages), _in_target, TUNE_PER_LANGUAGE)
    return samples, sources, set().union(*texts.values())


def _kolibri_pairs(wheel: Path) -> Iterator[tuple[str, str, str]]:
    """(locale, English, translation) from Kolibri's own frontend message catalogs."""
    catalogs: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for member in sorted(archive.namelist()):
            match = re.fullmatch(r"kolibri/locale/([^/]+)/LC_MESSAGES/(.+)-messages\.json", member)
            if match and match.group(1) not in _KOLIBRI_SKIP:
                messages = json.loads(archive.read(member))
                catalog = catalogs.setdefault(match.group(1), {})
                catalog.update({f"{match.group(2)}:{key}": v for key, v in messages.items()})
    english = catalogs.pop("en")
    for locale, catalog in sorted(catalogs.items()):
        for key, text in sorted(catalog.items()):
            if key in english and isinstance(text, str):
                yield locale, _unlinked(icu_text(english[key])), _unlinked(icu_text(text))


def held_out_set(
    languages: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[list[Sample], list[Source]]:
    """Kolibri's translations, 20-400 characters, restricted to `languages`, without the
    texts in `exclude` (the tuning and dev sets' texts), compared case-insensitively."""
    wheel = pypi_wheel(KOLIBRI)
    texts: dict[str, set[str]] = {}
    for locale, english, translated in _kolibri_pairs(wheel):
        _add(texts, locale, english, translated)
    excluded = frozenset(text.casefold() for text in exclude)
    samples = _sampled(texts, set(languages), _in_target, TEST_PER_LANGUAGE, excluded)
    return samples, [_source(KOLIBRI, wheel)]
