"""Labelled texts for benchmarks/langid.py: the shared dev set and a second set from Django.

The second set is the human translations (msgstr) in the gettext catalogs of one pinned Django
wheel, fetched from PyPI with pip into benchmarks/.cache/ on first use. The catalogs' locale
names give the labels (normalise_code: "pt_BR" -> pt, "zh_Hans" -> zh); Django's English
source strings (msgid) give English. Placeholders and markup are stripped, strings equal to
their msgid are skipped, each language keeps at most PER_LANGUAGE strings, sampled with a
fixed seed from the sorted, deduplicated list, so every machine builds the same set.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import read_mo

from bot.services.language import normalise_code

REPO = Path(__file__).resolve().parents[1]
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "langid_dev.jsonl"
CACHE = REPO / "benchmarks" / ".cache"
DJANGO = "Django==5.2.19"
PER_LANGUAGE = 300
SEED = 20240601
MIN_LETTERS = 3
MAX_CHARS = 1000

_PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # printf: %s, %(name)s, %(v).1f
    r"|\{[^{}]*\}"  # str.format: {name}
    r"|<[^>]*>"  # HTML tags
    r"|\S*_\S*"  # identifiers such as get_absolute_url()
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    language: str


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


def django_wheel() -> Path:
    """The pinned Django wheel, downloaded with pip once, then read from the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = DJANGO.split("==")[1]
    found = sorted(CACHE.glob(f"[Dd]jango-{name}-*.whl"))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary=:all:", "--dest", str(CACHE), DJANGO]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"could not download {DJANGO}:\n{done.stderr}")
        found = sorted(CACHE.glob(f"[Dd]jango-{name}-*.whl"))
    return found[0]


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _PLACEHOLDER.sub(" ", text)).strip(" :.-")


def _first(value: str | Iterable[str]) -> str:
    """Plural entries hold several forms: the first is enough (the others are near copies)."""
    return value if isinstance(value, str) else next(iter(value), "")


def _keep(text: str) -> bool:
    return sum(char.isalpha() for char in text) >= MIN_LETTERS and len(text) <= MAX_CHARS


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
    """The second set, restricted to `languages`; also the wheel's sha256 for the record."""
    wanted = set(languages)
    wheel = django_wheel()
    texts: dict[str, set[str]] = {}
    for locale, msgid, msgstr in _catalog_pairs(wheel):
        source, translated = _tidy(msgid), _tidy(msgstr)
        texts.setdefault("en", set()).add(source)  # Django's own strings are English
        if translated and translated.casefold() != source.casefold():
            texts.setdefault(normalise_code(locale), set()).add(translated)
    rng = random.Random(SEED)
    samples: list[Sample] = []
    for language in sorted(wanted & texts.keys()):
        kept = sorted(text for text in texts[language] if _keep(text))
        chosen = sorted(rng.sample(kept, PER_LANGUAGE)) if len(kept) > PER_LANGUAGE else kept
        samples.extend(Sample(text, language) for text in chosen)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return samples, digest
