"""Word frequencies for language ID: how common each word of a text is in each look-alike
language, so that "Red local o internet" (Spanish red, Portuguese rede) or "Set course
visibility" (English, not French) come out right where the character model wavers.

The table, language_words.xz beside this module, holds for each language the words that
wordfreq 3.1.1 (Robyn Speer et al., data under CC BY-SA 4.0: Wikipedia, subtitles, news,
books, web text; https://github.com/rspeer/wordfreq) rates at least ZIPF_CUTS (3.0 is one
word in a million), their Zipf frequency rounded to a quarter. It is derived from that data
and shared under the same licence. Rebuild it, after `pip install wordfreq==3.1.1`, with

    python -m bot.services.language_words

Nothing of the language-ID benchmark's test or tuning texts went into it.

How the evidence is used: for the plausible languages that have a table, each word adds its
Zipf frequency in that language (or MISSING_ZIPF where the language's list lacks it) to the
language's total, a naive Bayes over words; the totals times WORD_WEIGHT reweigh the
model's probabilities (in log space) among those languages only, so their share against a
language without a table (Swahili, Hausa, Somali, Pashto, Nepali...) is left as it was.
Words no table knows (names, "Kolibri", "Wagtail") count for nothing.

The table lives in memory as two numpy arrays, sorted by each word's str hash (computed at
load, so it needs no stable hash): 64-bit hashes and one small code per (word, language)
pair, about 10 bytes each, some 5 MB for the default languages, where a dict of the words
would take about 45 MB. A collision of two 64-bit hashes is negligible among 500,000 words.
"""

from __future__ import annotations

import lzma
import math
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.services.language_markers import APOSTROPHES, TOKEN

WORDS_FILE = Path(__file__).with_name("language_words.xz")
# Chosen on the tuning data (benchmarks/langid.py's "tune" sources and half "a" of the dev
# set), never on the held-out set.
WORD_WEIGHT = 0.4  # a word's log10 frequency ratio counts this much against the model's
MISSING_ZIPF = 2.0  # a word outside a language's list: one in 10^7, below every listed one
WORD_CONFIDENCE = 0.99  # a model this sure is left alone (and the lookup is skipped)
QUANTUM = 4  # frequencies are stored in quarters of a Zipf unit
# The languages with a table and each one's cut: the Latin-script look-alikes down to one
# word in a million; those with letters of their own (pl cs hu tr), Cyrillic and Arabic
# script need fewer words. Hindi has none: its only look-alikes (ne, mr) have no wordfreq list.
ZIPF_CUTS: dict[str, float] = {
    **dict.fromkeys(("en", "fr", "es", "pt", "it", "de", "nl", "sv", "ro", "id", "tl", "vi"), 3.0),
    **dict.fromkeys(("pl", "cs", "hu", "tr", "ru", "uk"), 3.5),
    **dict.fromkeys(("ar", "fa", "ur"), 4.0),
}
_WORDFREQ_CODES = {"tl": "fil"}
_LN10 = math.log(10)
_LANGUAGE_BITS = 6  # a code is language index << 6 | quarters of a Zipf unit (at most 32)


class WordTable:
    """Zipf frequencies of words, for a set of languages; read-only once built."""

    def __init__(self, rows: Iterable[tuple[str, int, list[str]]]) -> None:
        """From (language, frequency in quarters, words) rows."""
        import numpy as np

        languages: list[str] = []
        hashes: list[Any] = []
        codes: list[Any] = []
        for language, quarters, words in rows:
            if language not in languages:
                languages.append(language)
            code = languages.index(language) << _LANGUAGE_BITS | quarters
            hashes.append(np.fromiter(map(hash, words), dtype=np.int64, count=len(words)))
            codes.append(np.full(len(words), code, dtype=np.int16))
        self.languages: tuple[str, ...] = tuple(languages)
        merged = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.int64)
        order = np.argsort(merged, kind="stable")
        self._hashes = merged[order]
        self._codes = (np.concatenate(codes) if codes else np.zeros(0, np.int16))[order]

    def zipf(self, words: list[str]) -> list[dict[str, float]]:
        """For each word, its Zipf frequency in each language whose list holds it."""
        import numpy as np

        if not words or not len(self._hashes):
            return [{} for _ in words]
        keys = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
        starts = self._hashes.searchsorted(keys, "left").tolist()
        ends = self._hashes.searchsorted(keys, "right").tolist()
        found: list[dict[str, float]] = []
        for start, end in zip(starts, ends, strict=True):
            entry: dict[str, float] = {}
            if end > start:
                for code in self._codes[start:end].tolist():
                    language = self.languages[code >> _LANGUAGE_BITS]
                    entry[language] = (code & ((1 << _LANGUAGE_BITS) - 1)) / QUANTUM
            found.append(entry)
        return found

    def totals(self, text: str, languages: Iterable[str]) -> dict[str, float] | None:
        """Each language's summed Zipf frequencies over the known words of `text` (None if
        no table knows any). "l'exposition" is looked up whole, then, if unknown, in parts."""
        tokens = TOKEN.findall(text.lower().translate(APOSTROPHES))
        lookups = list(tokens)
        for token in tokens:
            if "'" in token:
                lookups += [part for part in token.split("'") if part]
        known = dict(zip(lookups, self.zipf(lookups), strict=True))
        wanted = tuple(languages)
        sums = dict.fromkeys(wanted, 0.0)
        seen = False
        for token in tokens:
            parts = [token]
            if not known[token] and "'" in token:
                parts = [part for part in token.split("'") if part]
            for part in parts:
                entry = known[part]
                if entry:
                    seen = True
                    for language in wanted:
                        sums[language] += entry.get(language, MISSING_ZIPF)
        return sums if seen else None


def apply_words(
    scores: Mapping[str, float], text: str, table: WordTable | None
) -> dict[str, float]:
    """Scores after the word frequencies (see above); unchanged where they cannot be used."""
    result = dict(scores)
    if table is None or len(scores) < 2 or max(scores.values()) >= WORD_CONFIDENCE:
        return result
    languages = [language for language in scores if language in table.languages]
    if len(languages) < 2:
        return result
    mass = sum(scores[language] for language in languages)
    totals = table.totals(text, languages) if mass > 0 else None
    if totals is None:
        return result
    top = max(totals.values())
    logs = {
        language: math.log(max(scores[language], 1e-300))
        + WORD_WEIGHT * _LN10 * (totals[language] - top)
        for language in languages
    }
    best = max(logs.values())
    weights = {language: math.exp(value - best) for language, value in logs.items()}
    total = sum(weights.values())
    for language in languages:
        result[language] = mass * weights[language] / total
    return result


_lock = threading.Lock()
_tables: dict[frozenset[str], WordTable | None] = {}


def word_table(languages: Iterable[str]) -> WordTable | None:
    """The table for those of `languages` that have one (None if fewer than two do, or the
    file is missing), loaded once per set of languages, even if threads race here."""
    wanted = frozenset(language for language in languages if language in ZIPF_CUTS)
    if len(wanted) < 2:
        return None
    with _lock:
        if wanted not in _tables:
            _tables[wanted] = _load(wanted) if WORDS_FILE.exists() else None
        return _tables[wanted]


def _load(languages: frozenset[str]) -> WordTable:
    data = lzma.decompress(WORDS_FILE.read_bytes())

    def rows() -> Iterable[tuple[str, int, list[str]]]:
        for line in data.split(b"\n"):  # decoded a line at a time: less memory at once
            language, quarters, words = line.split(b" ", 2)
            if language.decode() in languages:
                yield language.decode(), int(quarters), words.decode("utf-8").split(" ")

    return WordTable(rows())


def build(path: Path = WORDS_FILE) -> None:
    """Write the table from wordfreq's lists (see the module's docstring)."""
    import wordfreq  # type: ignore[import-not-found,unused-ignore]

    from bot.services.language import _LANGUAGE_SCRIPTS, script_of

    lines = []
    for language, cut in ZIPF_CUTS.items():
        source = _WORDFREQ_CODES.get(language, language)
        size = "large" if source in wordfreq.available_languages("large") else "small"
        script = _LANGUAGE_SCRIPTS[language][0]
        by_quarter: dict[int, list[str]] = {}
        for word in wordfreq.iter_wordlist(source, size):
            zipf = wordfreq.zipf_frequency(word, source, size)
            if zipf < cut:
                break
            if TOKEN.fullmatch(word) and all(
                script_of(char) == script for char in word if char.isalpha()
            ):
                by_quarter.setdefault(round(zipf * QUANTUM), []).append(word)
        for quarters in sorted(by_quarter, reverse=True):
            lines.append(f"{language} {quarters} {' '.join(sorted(by_quarter[quarters]))}")
    data = "\n".join(lines).encode("utf-8")
    # A window just larger than the data: decompressing it then needs no 64 MB buffer.
    window = 1 << max(20, len(data).bit_length())
    lzma_filter = {"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": window}
    path.write_bytes(lzma.compress(data, filters=[lzma_filter]))


if __name__ == "__main__":
    build()
    print(f"wrote {WORDS_FILE} ({WORDS_FILE.stat().st_size:,} bytes)")
