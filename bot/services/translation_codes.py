"""Which language codes each engine takes, and how ours map to theirs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

ENGINES: tuple[str, ...] = ("google", "libre", "mymemory", "microsoft", "deepl", "none")

# The languages we route to engines (ISO 639-1; "tl" is Filipino/Tagalog, "ku" Kurmanji).
LANGUAGES: tuple[str, ...] = (
    "en", "fr", "es", "ar", "ru", "zh", "pt", "fa", "tr", "uk", "id", "sw", "hi", "ur", "bn",
    "de", "vi", "am", "ha", "my", "it", "ja", "ko", "pl", "tl", "nl", "he", "el", "ro", "cs",
    "hu", "sv", "th", "ms", "ta", "te", "mr", "pa", "gu", "kn", "ml", "ne", "si", "km", "lo",
    "ps", "ku", "so", "yo", "ig", "zu", "xh", "rw", "ky", "kk", "uz", "az", "hy", "ka", "be",
    "bg", "sr", "hr", "bs", "sl", "sk", "lt", "lv", "et", "fi", "da", "no", "is", "ga", "cy",
    "sq", "mk", "mn", "tg", "jv",
)  # fmt: skip

# Codes people or libraries use for the same language (old ISO codes, ISO 639-2, Bokmål).
_ALIASES: Final[Mapping[str, str]] = {
    "fil": "tl", "iw": "he", "jw": "jv", "in": "id", "nb": "no", "nn": "no",
}  # fmt: skip


def _same(codes: tuple[str, ...]) -> dict[str, str]:
    return {code: code for code in codes}


def _except(*missing: str) -> tuple[str, ...]:
    return tuple(code for code in LANGUAGES if code not in missing)


# Google knows every language above; it keeps the pre-1989 codes for Hebrew and Javanese.
_GOOGLE: Final = _same(LANGUAGES) | {"zh": "zh-CN", "he": "iw", "jv": "jw"}

# LibreTranslate's upstream model set (argos-translate): used only until the server's own list
# (GET /languages) has been read, or when it cannot be.  A server may have more or fewer models;
# asked for one it lacks it answers 400, not retryable.  "zh" is Simplified Chinese: servers
# since 1.7 call it "zh-Hans" but still accept "zh".
_LIBRE: Final = _same((
    "en", "ar", "az", "bg", "bn", "cs", "da", "de", "el", "es", "et", "fa", "fi", "fr", "ga",
    "he", "hi", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "nl", "pl", "pt", "ro", "ru",
    "sk", "sl", "sq", "sv", "th", "tl", "tr", "uk", "ur", "vi", "zh",
)) | {"no": "nb"}  # fmt: skip

# MyMemory wants locale codes, exactly as deep-translator lists them (it rejects others).
_MYMEMORY: Final[dict[str, str]] = {
    "en": "en-GB", "fr": "fr-FR", "es": "es-ES", "ar": "ar-SA", "ru": "ru-RU", "zh": "zh-CN",
    "pt": "pt-PT", "fa": "fa-IR", "tr": "tr-TR", "uk": "uk-UA", "id": "id-ID", "sw": "sw-KE",
    "hi": "hi-IN", "ur": "ur-PK", "bn": "bn-IN", "de": "de-DE", "vi": "vi-VN", "am": "am-ET",
    "ha": "ha-NE", "my": "my-MM", "it": "it-IT", "ja": "ja-JP", "ko": "ko-KR", "pl": "pl-PL",
    "tl": "tl-PH", "nl": "nl-NL", "he": "he-IL", "el": "el-GR", "ro": "ro-RO", "cs": "cs-CZ",
    "hu": "hu-HU", "sv": "sv-SE", "th": "th-TH", "ms": "ms-MY", "ta": "ta-IN", "te": "te-IN",
    "mr": "mr-IN", "pa": "pa-IN", "gu": "gu-IN", "kn": "kn-IN", "ml": "ml-IN", "ne": "ne-NP",
    "si": "si-LK", "km": "km-KH", "lo": "lo-LA", "ps": "ps-PK", "ku": "kmr-TR", "so": "so-SO",
    "yo": "yo-NG", "ig": "ig-NG", "zu": "zu-ZA", "xh": "xh-ZA", "rw": "rw-RW", "ky": "ky-KG",
    "kk": "kk-KZ", "uz": "uz-UZ", "az": "az-AZ", "hy": "hy-AM", "ka": "ka-GE", "be": "be-BY",
    "bg": "bg-BG", "sr": "sr-Cyrl-RS", "hr": "hr-HR", "bs": "bs-BA", "sl": "sl-SI",
    "sk": "sk-SK", "lt": "lt-LT", "lv": "lv-LV", "et": "et-EE", "fi": "fi-FI", "da": "da-DK",
    "no": "nb-NO", "is": "is-IS", "ga": "ga-IE", "cy": "cy-GB", "sq": "sq-AL", "mk": "mk-MK",
    "mn": "mn-MN", "tg": "tg-TJ", "jv": "jv-ID",
}  # fmt: skip

# Microsoft Translator (GET /languages is authoritative; Belarusian, Tajik and Javanese are
# absent).  "pt" is Brazilian there, which reads fine to every Portuguese speaker.
_MICROSOFT: Final = _same(_except("be", "tg", "jv")) | {
    "zh": "zh-Hans", "tl": "fil", "ku": "kmr", "no": "nb", "sr": "sr-Cyrl", "mn": "mn-Cyrl",
}  # fmt: skip

# DeepL's source languages; target-only variants are chosen in _DEEPL_TARGET.
_DEEPL: Final = {code: code.upper() for code in (
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "hu", "id", "it", "ja",
    "ko", "lt", "lv", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh",
)} | {"no": "NB"}  # fmt: skip

# DeepL deprecates bare EN/PT/ZH as targets; we pick British English and European Portuguese.
_DEEPL_TARGET: Final[Mapping[str, str]] = {"EN": "EN-GB", "PT": "PT-PT", "ZH": "ZH-HANS"}

# Serbian is written in both scripts; source codes follow the script of the text.
_SERBIAN_LATIN: Final[Mapping[str, str]] = {"microsoft": "sr-Latn", "mymemory": "sr-Latn-RS"}

_CODES: Final[Mapping[str, Mapping[str, str]]] = {
    "google": _GOOGLE,
    "libre": _LIBRE,
    "mymemory": _MYMEMORY,
    "microsoft": _MICROSOFT,
    "deepl": _DEEPL,
    "none": {},
}


def _canonical(language: str) -> str:
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return _ALIASES.get(primary, primary)


def engine_code(engine: str, language: str) -> str | None:
    """Our language code -> the engine's code, or None when the engine lacks the language."""
    if engine not in _CODES:
        raise ValueError(f"unknown translation engine {engine!r}; expected one of {ENGINES}")
    return _CODES[engine].get(_canonical(language))


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _source_code(engine: str, language: str, text: str) -> str | None:
    if _canonical(language) == "sr" and engine in _SERBIAN_LATIN and not _has_cyrillic(text):
        return _SERBIAN_LATIN[engine]
    return engine_code(engine, language)


# ---- what a LibreTranslate server says it can translate


@dataclass(frozen=True, slots=True)
class _ServerLanguages:
    """What a LibreTranslate server said it translates, in our codes."""

    codes: Mapping[str, str]  # our code -> the server's
    targets: Mapping[str, frozenset[str]]  # source -> targets


_PLAIN_CODE: Final = re.compile(r"[a-z]{2,3}")


def _parse_languages(data: object) -> _ServerLanguages:
    """``GET /languages``: a list of ``{"code", "name", "targets"}``; ValueError otherwise.

    Several server codes can be one of ours ("zh-Hans" and "zh-Hant"; "pt" and "pt-BR"): the
    one spelled like ours wins, then the upstream one, then Simplified, then the first listed.
    """
    if not isinstance(data, list):
        raise ValueError("not a list")
    entries: list[tuple[str, list[str]]] = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise ValueError("an entry without a code")
        targets = entry.get("targets")
        if not isinstance(targets, list):
            targets = []
        entries.append((entry["code"], [t for t in targets if isinstance(t, str)]))
    if not entries:
        raise ValueError("no languages")
    listed = [code for code, _ in entries]
    codes: dict[str, str] = {}
    for code in listed + [t for _, targets in entries for t in targets]:
        ours = _canonical(code)
        if _PLAIN_CODE.fullmatch(ours) and (
            ours not in codes or _preference(ours, code) < _preference(ours, codes[ours])
        ):
            codes[ours] = code
    pairs: dict[str, frozenset[str]] = {}
    for code, targets in entries:
        ours = _canonical(code)
        if codes.get(ours) != code:
            continue
        # An entry without targets (servers before 1.3) translates into every listed language.
        reachable = targets or listed
        pairs[ours] = frozenset(
            _canonical(t) for t in reachable if codes.get(_canonical(t)) == t and t != code
        )
    return _ServerLanguages(codes, pairs)


def _preference(ours: str, code: str) -> int:
    if code == ours:
        return 0
    if code == _LIBRE.get(ours):
        return 1
    return 2 if code.endswith("-Hans") else 3


def _refuses_language(response: Any, codes: tuple[str, str]) -> bool:
    """A 400 whose message names one of the codes we sent ("sw is not supported")."""
    if getattr(response, "status_code", None) != 400:
        return False
    try:
        message = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    if not isinstance(message, str):
        return False
    return any(
        re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", message, re.IGNORECASE)
        for code in codes
    )
