"""Text handling around translation engines: splitting long texts into requests that fit
an engine's limit at sentence or word boundaries, and telling a real translation from an
engine's notice or an echo of the input."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Final
from urllib.parse import quote_plus


class TranslationFailed(Exception):
    """A translation did not happen; ``retryable`` is False when retrying cannot help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# ----------------------------------------------------------------------------- splitting

# Latin-style enders need whitespace after them, so "3.14" and "v1.2" stay whole; CJK, Arabic,
# Urdu and Devanagari enders do not (CJK has no spaces).  A line break always ends a sentence.
_SENTENCE_END: Final = re.compile(
    r"[.!?…]+[\"'”’»)\]]*\s+"
    r"|[。！？؟۔।॥]+[\"'”’»)\]」』]*\s*"
    r"|\n\s*"
)
_WORD: Final = re.compile(r"\S+\s*|\s+")


def _sentences(text: str) -> list[str]:
    units: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        units.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        units.append(text[start:])
    return units


def _safe_cut(word: str, start: int, cut: int, room: int, measure: Callable[[str], int]) -> int:
    # Do not separate a base letter from its combining marks (Devanagari vowel signs, etc.),
    # as long as the carried-over tail still fits in the next piece.
    back = cut
    while back > start + 1 and unicodedata.category(word[back])[0] == "M":
        back -= 1
    return back if measure(word[back:cut]) <= room else cut


def _hard_split(word: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    pieces: list[str] = []
    start, size = 0, 0
    for index, char in enumerate(word):
        cost = measure(char)
        if cost > limit:
            raise ValueError(f"limit {limit} is smaller than one character")
        if size + cost > limit:
            cut = _safe_cut(word, start, index, limit - cost, measure)
            pieces.append(word[start:cut])
            start, size = cut, measure(word[cut:index])
        size += cost
    pieces.append(word[start:])
    return pieces


def _atoms(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Sentences that fit, else the words of a long sentence, else the chars of a long word."""
    atoms: list[str] = []
    for sentence in _sentences(text):
        if measure(sentence) <= limit:
            atoms.append(sentence)
            continue
        for word in _WORD.findall(sentence):
            fits = measure(word) <= limit
            atoms.extend([word] if fits else _hard_split(word, limit, measure))
    return atoms


def _pack(atoms: list[str], limit: int, measure: Callable[[str], int]) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for atom in atoms:
        cost = measure(atom)
        if current and size + cost > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(atom)
        size += cost
    if current:
        pieces.append("".join(current))
    return pieces


def split_for_limit(text: str, limit: int, *, measure: Callable[[str], int] = len) -> list[str]:
    """Cut text into pieces of at most ``limit`` (by ``measure``), preferring sentence ends.

    Separators stay attached to the piece before them, so ``"".join(pieces) == text``.  Words
    are cut only when a single word is over the limit.  ``measure`` must be additive over
    concatenation (character count, UTF-8 bytes, URL-encoded length).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if not text:
        return []
    if measure(text) <= limit:
        return [text]
    return _pack(_atoms(text, limit, measure), limit, measure)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _query_len(text: str) -> int:
    # What the text becomes in a URL query string (requests encodes params with quote_plus).
    return len(quote_plus(text, errors="surrogatepass"))


# ----------------------------------------------------------------------------- result checks

# Engines that answer HTTP 200 with a notice instead of a translation; retryable or not.
_NOTICES: Final[tuple[tuple[str, bool], ...]] = (
    ("MYMEMORY WARNING", True),  # daily free quota used up; it resets
    ("QUERY LENGTH LIMIT EXCE", False),  # MyMemory spells it "EXCEDEED"
    ("INVALID LANGUAGE PAIR", False),
    ("PLEASE SELECT TWO DISTINCT LANGUAGES", False),
    ("IS AN INVALID SOURCE LANGUAGE", False),
    ("IS AN INVALID TARGET LANGUAGE", False),
    ("NO QUERY SPECIFIED", False),
    ("INVALID EMAIL", False),
    ("OUR SYSTEMS HAVE DETECTED UNUSUAL TRAFFIC", True),  # Google's captcha page
    ("THAT’S AN ERROR.", True),  # Google's error page body
    ("THAT'S AN ERROR.", True),
)
_GOOGLE_ERROR_TITLE: Final = re.compile(r"ERROR \d{3} \(.*\)!!1")
_NOTICE_WINDOW: Final = 120  # notices open the answer; a marker deep in a long text is content


def _notice(text: str) -> tuple[str, bool] | None:
    head = text.strip().upper()[:_NOTICE_WINDOW]
    for marker, retryable in _NOTICES:
        if marker in head:
            return marker, retryable
    if _GOOGLE_ERROR_TITLE.search(head):
        return "google error page", True
    return None


def is_engine_notice(text: str) -> bool:
    """True when an engine's "translation" is really its own quota or error notice."""
    return _notice(text) is not None


_URL: Final = re.compile(r"\S+://\S+|www\.\S+|@\w+")
_ECHO_MIN_LETTERS: Final = 20


def _looks_echoed(original: str, result: str) -> bool:
    # Engines echo the input when they fail quietly; short texts, names and links echo honestly.
    if result.strip() != original.strip():
        return False
    letters = sum(ch.isalpha() for ch in _URL.sub("", original))
    return letters > _ECHO_MIN_LETTERS


def _check_piece(name: str, piece: str, result: object) -> str:
    if not isinstance(result, str) or not result.strip():
        raise TranslationFailed(f"{name}: empty translation")
    notice = _notice(result)
    if notice is not None and _notice(piece) is None:
        marker, retryable = notice
        raise TranslationFailed(f"{name}: engine notice {marker!r}", retryable=retryable)
    return result
