"""Pure rules: no telegram, no SQL. What counts as text, and who may change what when."""

from __future__ import annotations

import unicodedata

from storage.models import Status

# Telegram's own limit for a text message; a longer text cannot reach us.
MAX_TEXT_CHARS = 4096

# Characters that render as nothing but are not Unicode whitespace or format characters:
# Hangul fillers and the blank Braille pattern are popular for "empty" messages.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format (Cf: zero-width space/joiners, bidi marks, BOM), controls and separators.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


def is_visible(char: str) -> bool:
    if char.isspace() or char in _INVISIBLE_LETTERS:
        return False
    if "\ufe00" <= char <= "\ufe0f":  # variation selectors alone show nothing
        return False
    return unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def visible_length(text: str) -> int:
    """How many characters of `text` a reader would actually see."""
    return sum(1 for char in text if is_visible(char))


def text_weight(text: str) -> int:
    """Length for the minimum-length rule, as a reader would count it.

    Visible characters, one space between words, and wide (CJK) letters counting two: one
    Chinese or Japanese character carries about a word, so "怎么办？" is a real question
    while "ok??" is not, though both are four characters long.
    """
    words = ["".join(c for c in word if is_visible(c)) for word in text.split()]
    words = [word for word in words if word]
    weight = max(0, len(words) - 1)
    for char in "".join(words):
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        weight += 2 if wide and unicodedata.category(char).startswith("L") else 1
    return weight


def participant_may_change(status: Status) -> bool:
    """A participant may edit their text or switch its kind only before review starts."""
    return status is Status.PENDING
