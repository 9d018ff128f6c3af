"""Language detection for incoming questions: which language a participant wrote in.

Pure Python plus the detector libraries (py3langid, langdetect), whose models ship inside the
packages: nothing is downloaded at run time. No Telegram, asyncio or SQL here.

Every detector follows the same steps, so the statistical model only decides what a script
cannot:

1. clean: drop URLs, e-mail addresses, @mentions, #hashtags, /commands, emoji, digits and
   symbols; too few letters left -> ``und``;
2. script: the dominant writing system narrows the candidates to the languages written in it.
   Where only one candidate is (Ethiopic -> am, Myanmar -> my, Hangul -> ko, Kana -> ja, Thai,
   Greek, Hebrew...) that is the answer, with confidence 1.0; no model is asked;
3. model: otherwise the backend scores the script's candidates only (Arabic script: ar fa ur
   ps; Cyrillic: ru uk; Latin: ...), so a short Chinese text can never come out Korean;
4. words: where the model is unsure (below MARKER_CONFIDENCE), first how common each word is
   in each look-alike language with a frequency table (language_words.py: Spanish "red"
   against Portuguese "rede", English "available" against French "disponible"), then the
   look-alikes' frequent function words, and letters and endings no neighbour uses, reweigh
   its scores (Hindi है/में/का against Nepali छ/मा/-हरू and Marathi आहे/मध्ये/-च्या; Spanish
   el/y/del against Portuguese o/do/não; Ukrainian і/ї/є against Russian ы/э/ъ...), and a
   Devanagari text with no Nepali or Marathi marker leans to Hindi;
5. prior: for a short text or a low-confidence answer, the sender's language (the hint: the
   language they chose with /language, else Telegram's) is boosted, if it is one of the
   script's candidates. A long, clear text ignores it.

Confidence is the model's probability among the script's candidates (py3langid's renormalised
over them, langdetect's as it reports it), renormalised again when the words or the prior
apply; 1.0 for a script rule; 0.0 for ``und``. Detectors are deterministic and thread-safe:
the models are read-only after construction (the per-character caches only ever gain entries),
and langdetect's random sampling restarts from a fixed seed.
"""

from __future__ import annotations

import math
import os
import re
import threading
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# Re-exported: tests and benchmarks read the word evidence through this module.
from bot.services.language_markers import LISTED_LANGUAGES as LISTED_LANGUAGES
from bot.services.language_markers import apply_markers as apply_markers
from bot.services.language_markers import marker_counts as marker_counts
from bot.services.language_words import WordTable, apply_words, word_table

UNDETERMINED = "und"

DETECTORS: tuple[str, ...] = ("py3langid", "langdetect")
# Measured by benchmarks/langid.py (held-out half of the dev set and the Django catalogs):
# py3langid is more accurate at every length, over ten times faster, and it knows Hausa.
DEFAULT_DETECTOR = "py3langid"

# Our 20 interface locales, then the languages the translation engines handle best and that a
# worldwide civil-society audience writes in: 42 in all. Languages that look alike in writing
# and whose speakers mostly also read a listed neighbour are left out on purpose, because each
# extra look-alike costs accuracy on short texts: ms (read as id), bg/sr/kk (ru), mr (hi),
# ca/gl (es/pt), da/no (sv), sk (cs). ne is kept, Nepal matters to the audience: Nepali's
# own words and endings (छ, -हरू, -नुहोस्) tell it from Hindi, and a short Devanagari text
# with none of them is read as Hindi unless the sender's language says ne. Languages with a
# script of their own (ta te pa km ka hy) cost nothing: the script rule decides them.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    # interface locales
    "en", "fr", "es", "ar", "ru", "zh", "pt", "fa", "tr", "uk",
    "id", "sw", "hi", "ur", "bn", "de", "vi", "am", "ha", "my",
    # widely used languages of the translation engines
    "it", "ja", "ko", "pl", "nl", "tl", "he", "el", "ro", "cs", "hu", "sv", "th",
    # large communities in crisis regions, each easy to tell apart
    "ne", "ps", "so", "ta", "te", "pa", "km", "ka", "hy",
)  # fmt: skip

MIN_LETTER_WEIGHT = 3  # fewer letters carry no language (a CJK letter counts as two)
SHORT_TEXT_WEIGHT = 40  # below this many letters the sender's language is a useful prior
LOW_CONFIDENCE = 0.8  # below this a longer text also takes the prior
HINT_BOOST = 5.0  # the hint's score is multiplied by this before renormalising
MAX_CHARS = 1000  # the first 1,000 characters decide; keeps a 4,096-character text cheap

_ALIASES = {
    "iw": "he",
    "in": "id",
    "ji": "yi",
    "jw": "jv",
    "mo": "ro",
    "nb": "no",
    "sh": "sr",
    "fil": "tl",
}


@dataclass(frozen=True, slots=True)
class Detection:
    language: str  # ISO 639-1, lowercase, or "und"
    confidence: float  # 0.0 .. 1.0


NO_LANGUAGE = Detection(UNDETERMINED, 0.0)


class Detector(Protocol):
    name: str

    def detect(self, text: str, hint: str | None = None) -> Detection: ...


def normalise_code(code: str) -> str:
    """A language tag as Telegram or a catalog writes it -> ISO 639-1 ("pt-BR" -> "pt")."""
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return UNDETERMINED
    return _ALIASES.get(primary, primary)


# --- scripts ---------------------------------------------------------------------------------

LATIN, CYRILLIC, ARABIC, DEVANAGARI, HAN, KANA = "Latn", "Cyrl", "Arab", "Deva", "Hani", "Kana"
HANGUL, GREEK, HEBREW, ARMENIAN, GEORGIAN, ETHIOPIC = (
    "Hang",
    "Grek",
    "Hebr",
    "Armn",
    "Geor",
    "Ethi",
)
MYANMAR, THAI, LAO, KHMER, BENGALI, GURMUKHI = "Mymr", "Thai", "Laoo", "Khmr", "Beng", "Guru"
GUJARATI, ORIYA, TAMIL, TELUGU, KANNADA = "Gujr", "Orya", "Taml", "Telu", "Knda"
MALAYALAM, SINHALA, TIBETAN, OTHER = "Mlym", "Sinh", "Tibt", "Zzzz"

# Code point ranges of the letters we care about, our own table rather than unicodedata so
# that the result cannot change with the Python version's Unicode database.
_RANGES: tuple[tuple[int, int, str], ...] = tuple(
    sorted(
        [
            (0x0041, 0x005A, LATIN), (0x0061, 0x007A, LATIN), (0x00C0, 0x02AF, LATIN),
            (0x1E00, 0x1EFF, LATIN), (0x2C60, 0x2C7F, LATIN), (0xA720, 0xA7FF, LATIN),
            (0xFF21, 0xFF3A, LATIN), (0xFF41, 0xFF5A, LATIN),
            (0x0370, 0x03FF, GREEK), (0x1F00, 0x1FFF, GREEK),
            (0x0400, 0x052F, CYRILLIC), (0x1C80, 0x1C8F, CYRILLIC), (0x2DE0, 0x2DFF, CYRILLIC),
            (0xA640, 0xA69F, CYRILLIC),
            (0x0530, 0x058F, ARMENIAN),
            (0x0590, 0x05FF, HEBREW), (0xFB1D, 0xFB4F, HEBREW),
            (0x0600, 0x06FF, ARABIC), (0x0750, 0x077F, ARABIC), (0x08A0, 0x08FF, ARABIC),
            (0xFB50, 0xFDFF, ARABIC), (0xFE70, 0xFEFF, ARABIC),
            (0x0900, 0x097F, DEVANAGARI), (0xA8E0, 0xA8FF, DEVANAGARI),
            (0x0980, 0x09FF, BENGALI), (0x0A00, 0x0A7F, GURMUKHI), (0x0A80, 0x0AFF, GUJARATI),
            (0x0B00, 0x0B7F, ORIYA), (0x0B80, 0x0BFF, TAMIL), (0x0C00, 0x0C7F, TELUGU),
            (0x0C80, 0x0CFF, KANNADA), (0x0D00, 0x0D7F, MALAYALAM), (0x0D80, 0x0DFF, SINHALA),
            (0x0E00, 0x0E7F, THAI), (0x0E80, 0x0EFF, LAO), (0x0F00, 0x0FFF, TIBETAN),
            (0x1000, 0x109F, MYANMAR), (0xA9E0, 0xA9FF, MYANMAR), (0xAA60, 0xAA7F, MYANMAR),
            (0x10A0, 0x10FF, GEORGIAN), (0x1C90, 0x1CBF, GEORGIAN), (0x2D00, 0x2D2F, GEORGIAN),
            (0x1100, 0x11FF, HANGUL), (0x3130, 0x318F, HANGUL), (0xA960, 0xA97F, HANGUL),
            (0xAC00, 0xD7FF, HANGUL), (0xFFA0, 0xFFDC, HANGUL),
            (0x1200, 0x139F, ETHIOPIC), (0x2D80, 0x2DDF, ETHIOPIC), (0xAB00, 0xAB2F, ETHIOPIC),
            (0x1780, 0x17FF, KHMER), (0x19E0, 0x19FF, KHMER),
            (0x3040, 0x30FF, KANA), (0x31F0, 0x31FF, KANA), (0xFF66, 0xFF9F, KANA),
            (0x2E80, 0x2FDF, HAN), (0x3005, 0x3007, HAN), (0x3021, 0x3029, HAN),
            (0x3400, 0x4DBF, HAN), (0x4E00, 0x9FFF, HAN), (0xF900, 0xFAFF, HAN),
            (0x20000, 0x3134F, HAN),
        ]
    )
)  # fmt: skip
_RANGE_STARTS = tuple(start for start, _, _ in _RANGES)
_CJK = frozenset({HAN, KANA, HANGUL})


def _written_in(codes: str, *scripts: str) -> dict[str, tuple[str, ...]]:
    return {code: scripts for code in codes.split()}


# The scripts each language is written in (first the usual one). A candidate must be listed
# here: its script decides which texts it may be chosen for.
_LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    **_written_in(
        "af an az br bs ca cs cy da de en eo es et eu fi fo fr fy ga gd gl ha hr ht hu id ig is "
        "it jv la lb lg ln lt lv mg ms mt nl nn no oc om pl pt qu ro rw se sk sl sn so sq st sv "
        "sw tk tl tr vi vo wa xh yo zu",
        LATIN,
    ),
    **_written_in("ba be bg kk ky mk mn ru tg tt uk", CYRILLIC),
    **_written_in("ar fa ps sd ug ur", ARABIC),
    **_written_in("hi mr ne sa", DEVANAGARI),
    **_written_in("bn as", BENGALI),
    **_written_in("he yi", HEBREW),
    **_written_in("sr", CYRILLIC, LATIN),
    **_written_in("uz", LATIN, CYRILLIC),
    **_written_in("ku", LATIN, ARABIC),
    **_written_in("ja", KANA, HAN),
    "zh": (HAN,), "ko": (HANGUL,), "pa": (GURMUKHI,), "gu": (GUJARATI,), "or": (ORIYA,),
    "ta": (TAMIL,), "te": (TELUGU,), "kn": (KANNADA,), "ml": (MALAYALAM,), "si": (SINHALA,),
    "th": (THAI,), "lo": (LAO,), "dz": (TIBETAN,), "my": (MYANMAR,), "km": (KHMER,),
    "ka": (GEORGIAN,), "hy": (ARMENIAN,), "el": (GREEK,), "am": (ETHIOPIC,),
}  # fmt: skip


def script_of(char: str) -> str:
    point = ord(char)
    index = bisect_right(_RANGE_STARTS, point) - 1
    if index >= 0 and point <= _RANGES[index][1]:
        return _RANGES[index][2]
    return OTHER


def script_counts(text: str) -> Counter[str]:
    """Letters per script; marks, digits and punctuation are not letters."""
    counts: Counter[str] = Counter()
    for char, count in Counter(text).items():
        kind = _char_kind(char)
        if kind and kind != _DROPPED:
            counts[kind] += count
    return counts


def letter_weight(counts: Mapping[str, int]) -> int:
    # One CJK letter is a syllable or a word, worth about two alphabetic letters.
    return sum(count * (2 if script in _CJK else 1) for script, count in counts.items())


# How much of a text one letter stands for when scripts are mixed: roughly letters per syllable
# (an abjad omits vowels, an abugida writes them as marks, which are not letters, a CJK letter
# is a syllable). Latin counts least because Latin product names and technical terms are
# common inside texts in other scripts ("Django 관리", "תיעוד Django"), the reverse is rare.
_LATIN_WEIGHT, _ALPHABET_WEIGHT, _SYLLABIC_WEIGHT, _CJK_WEIGHT = 0.6, 1.5, 2.0, 3.0
_ALPHABETS = frozenset({CYRILLIC, GREEK, ARMENIAN, GEORGIAN})


def _dominance_weight(script: str) -> float:
    if script == LATIN:
        return _LATIN_WEIGHT
    if script in _CJK:
        return _CJK_WEIGHT
    return _ALPHABET_WEIGHT if script in _ALPHABETS else _SYLLABIC_WEIGHT


def dominant_script(counts: Mapping[str, int]) -> str:
    """The script that carries most of the text; Han, Kana and Hangul count as one family."""
    cjk = sum(counts.get(script, 0) for script in _CJK) * _CJK_WEIGHT
    others = sorted(
        (count * _dominance_weight(script), script)
        for script, count in counts.items()
        if script not in _CJK
    )
    if others and others[-1][0] > cjk:
        return others[-1][1]
    # Korean may quote Hanja and Japanese always mixes kanji in: the phonetic script decides.
    if counts.get(HANGUL, 0) and counts.get(HANGUL, 0) >= counts.get(KANA, 0):
        return HANGUL
    return KANA if counts.get(KANA, 0) else HAN


# --- cleaning --------------------------------------------------------------------------------

_NOT_LANGUAGE = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+"  # URLs, tg:// links
    r"|\S+@\S+\.\w+"  # e-mail addresses
    r"|\b(?:[\w-]+\.)+(?:com|org|net|gov|int|edu|info|io|me|ly)\b(?:/\S*)?"  # t.me/x, bit.ly/y
    r"|(?<!\w)[@#/]\w+",  # @mentions, #hashtags, /commands
    re.IGNORECASE,
)
# Every match of _NOT_LANGUAGE holds one of these.
_MAYBE_NOT_LANGUAGE = re.compile(
    r"[@#/]|www\.|\.(?:com|org|net|gov|int|edu|info|io|me|ly)\b", re.IGNORECASE
)
_ZWNJ = "\u200c"  # part of Persian spelling, unlike other invisible characters
_SPACES = re.compile(r"\s+")


def _keeps(char: str) -> bool:
    return char == _ZWNJ or unicodedata.category(char)[0] in "LMPZ"


# What each character seen so far is: _DROPPED (cleaning replaces it with a space), "" (kept,
# not a letter) or the script of a letter. A text repeats its characters, and classifying each
# one again was most of the cost of cleaning. Bounded by the size of Unicode; assigning a key
# is atomic, so threads may share it.
_DROPPED = "-"
_CHAR_KINDS: dict[str, str] = {}


def _char_kind(char: str) -> str:
    kind = _CHAR_KINDS.get(char)
    if kind is None:
        letter = script_of(char) if char.isalpha() else ""
        kind = _CHAR_KINDS[char] = letter if _keeps(char) else _DROPPED
    return kind


def clean_text(text: str) -> str:
    """The text without what carries no language: links, tags, emoji, digits, symbols."""
    return cleaned_and_counted(text)[0]


def cleaned_and_counted(text: str) -> tuple[str, dict[str, int]]:
    """clean_text(text) and its letters per script (script_counts), in one pass."""
    text = text[: MAX_CHARS * 2]
    if _MAYBE_NOT_LANGUAGE.search(text):  # a cheap test first: most texts hold no link
        text = _NOT_LANGUAGE.sub(" ", text)
    known = _CHAR_KINDS.get
    dropped: dict[int, str] = {}
    counts: dict[str, int] = {}
    for char, count in Counter(text).items():
        kind = known(char)
        if kind is None:
            kind = _char_kind(char)
        if kind == _DROPPED:
            dropped[ord(char)] = " "
        elif kind:
            counts[kind] = counts.get(kind, 0) + count
    if dropped:
        text = text.translate(dropped)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        counts = dict(script_counts(text))
    # Shouting: langdetect skips all-capital words, and the models learnt lowercase text.
    return (text.lower() if text.isupper() else text), counts


# --- the prior ------------------------------------------------------------------------------


def apply_hint(scores: Mapping[str, float], hint: str | None, *, short: bool) -> dict[str, float]:
    """Boost the sender's language for a short or uncertain text; scores sum to 1 after."""
    result = dict(scores)
    if hint is None or hint not in result or not result:
        return result
    if not short and max(result.values()) >= LOW_CONFIDENCE:
        return result
    result[hint] *= HINT_BOOST
    total = sum(result.values())
    return {language: score / total for language, score in result.items()} if total else result


def best_of(scores: Mapping[str, float]) -> Detection:
    if not scores:
        return NO_LANGUAGE
    # Ties go to the alphabetically first code, so the answer never depends on dict order.
    score = max(scores.values())
    language = min(language for language, value in scores.items() if value == score)
    if score <= 0.0:
        return NO_LANGUAGE
    return Detection(language, min(1.0, float(score)))


# --- detectors -----------------------------------------------------------------------------


class ScriptAwareDetector:
    """The steps shared by every backend; subclasses only score a text among languages."""

    name = "base"

    def __init__(self, candidates: Sequence[str], supported: Iterable[str]) -> None:
        self.candidates = _validated(candidates)
        self._by_script = _languages_by_script(self.candidates, frozenset(supported))
        self.languages: frozenset[str] = frozenset(
            language for languages in self._by_script.values() for language in languages
        )
        self._words: WordTable | None = word_table(self.languages)

    def detect(self, text: str, hint: str | None = None) -> Detection:
        cleaned, counts = cleaned_and_counted(text)
        weight = letter_weight(counts)
        if weight < MIN_LETTER_WEIGHT:
            return NO_LANGUAGE
        plausible = self._by_script.get(dominant_script(counts), ())
        if len(plausible) <= 1:
            return Detection(plausible[0], 1.0) if plausible else NO_LANGUAGE
        scores = apply_words(self._scores(cleaned, plausible), cleaned, self._words)
        scores = apply_markers(scores, cleaned)
        sender = normalise_code(hint) if hint else None
        return best_of(apply_hint(scores, sender, short=weight < SHORT_TEXT_WEIGHT))

    def _scores(self, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        """Probabilities over `languages` (and only those), summing to at most 1."""
        raise NotImplementedError


def _validated(candidates: Sequence[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(normalise_code(code) for code in candidates))
    unknown = sorted(code for code in codes if code not in _LANGUAGE_SCRIPTS)
    if unknown:
        raise ValueError(f"unsupported candidate language(s): {', '.join(unknown)}")
    if not codes:
        raise ValueError("at least one candidate language is needed")
    return codes


def _languages_by_script(
    candidates: tuple[str, ...], supported: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """For each script, the candidates a text in it may be: the only one, or the model's."""
    by_script: dict[str, list[str]] = {}
    for language in candidates:
        for script in _LANGUAGE_SCRIPTS[language]:
            by_script.setdefault(script, []).append(language)
    result: dict[str, tuple[str, ...]] = {}
    for script, languages in by_script.items():
        if len(languages) == 1:
            result[script] = tuple(languages)  # the script alone decides: no model needed
        else:
            result[script] = tuple(sorted(lang for lang in languages if lang in supported))
    return result


def _renormalised(scores: Mapping[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {language: score / total for language, score in scores.items()} if total > 0 else {}


class Py3LangidDetector(ScriptAwareDetector):
    """py3langid (naive Bayes over byte n-grams): fast, 140 languages, model in the wheel."""

    name = "py3langid"

    def __init__(self, candidates: Sequence[str]) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

        # Our own instance: the module-level functions share one global, and set_languages
        # changes the instance, so it is only called here, before any thread uses it.
        identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        super().__init__(candidates, identifier.labels)
        identifier.set_languages(sorted(self.languages & set(identifier.labels)))
        self._identifier = identifier
        self._visit_counts: Any = visit_counts
        self._tables = self._script_tables()

    def _script_tables(self) -> dict[tuple[str, ...], tuple[Any, Any]]:
        """For each script's candidates, their columns of the model, so that a text is scored
        against those languages only: the same probabilities as the library's rank() over
        them (checked here on a few texts), at half the cost. Empty if the check fails."""
        import numpy as np

        identifier = self._identifier
        classes = list(identifier.nb_classes)
        tables: dict[tuple[str, ...], tuple[Any, Any]] = {}
        for languages in set(self._by_script.values()):
            if len(languages) < 2:
                continue
            if any(classes.count(language) != 1 for language in languages):
                return {}  # a label with two columns (a script alias): leave it to rank()
            columns = [classes.index(language) for language in languages]
            table = np.ascontiguousarray(identifier.nb_ptc[:, columns], dtype=np.float32)
            tables[languages] = (table, np.asarray(identifier.nb_pc[columns], dtype=np.float32))
        for languages in tables:
            for probe in _PROBES:
                fast = self._table_scores(probe, languages, tables[languages])
                slow = self._rank_scores(probe, languages)
                if any(abs(fast[lang] - slow.get(lang, 0.0)) > 1e-3 for lang in languages):
                    return {}
        return tables

    def _scores(self, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        table = self._tables.get(languages)
        if table is None:
            return self._rank_scores(text, languages)
        return self._table_scores(text, languages, table)

    def _rank_scores(self, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        ranking: list[tuple[str, float]] = self._identifier.rank(text)
        wanted = set(languages)
        return _renormalised({lang: float(score) for lang, score in ranking if lang in wanted})

    def _table_scores(
        self, text: str, languages: tuple[str, ...], table: tuple[Any, Any]
    ) -> dict[str, float]:
        """py3langid's computation (features, naive Bayes, softmax at temperature
        sqrt(bytes)) over these languages' columns only."""
        import numpy as np

        identifier = self._identifier
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")
        visits = self._visit_counts(
            identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data
        )
        if not visits:
            return dict.fromkeys(languages, 1.0 / len(languages))
        weights, bias = table
        features = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        raw: list[float] = (np.log1p(counts) @ weights[features] + bias).tolist()
        # Softmax at temperature sqrt(bytes), in plain Python: a handful of numbers.
        top, scale = max(raw), 1.0 / math.sqrt(len(data))
        exps = [math.exp((score - top) * scale) for score in raw]
        total = sum(exps)
        return {language: e / total for language, e in zip(languages, exps, strict=True)}


# Texts the fast path is checked on against the library: several scripts, and no features.
_PROBES = (
    "Everyone has the right to education.",
    "Toute personne a droit à l'éducation; nadie podrá ser obligado.",
    "Все люди рождаются свободными. Усі люди народжуються вільними.",
    "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।",
    "تمام افراد بشر آزاد به دنیا می‌آیند. يولد جميع الناس أحرارًا",
    "",
)


_LANGDETECT_CODES = {"zh": ("zh-cn", "zh-tw")}
_langdetect_lock = threading.Lock()
_langdetect_factory: Any = None


def _shared_langdetect_factory() -> Any:
    """One seeded langdetect factory per process, loaded once even if threads race here."""
    global _langdetect_factory
    with _langdetect_lock:
        if _langdetect_factory is None:
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

            factory = DetectorFactory()
            # Sorted, so that language indexes (and float sums) are the same in every process.
            profiles = []
            for filename in sorted(os.listdir(PROFILES_DIRECTORY)):
                with open(os.path.join(PROFILES_DIRECTORY, filename), encoding="utf-8") as f:
                    profiles.append(f.read())
            factory.load_json_profile(profiles)
            factory.set_seed(0)  # its sampling is random: a fixed seed makes it repeatable
            _langdetect_factory = factory
        return _langdetect_factory


class LangdetectDetector(ScriptAwareDetector):
    """langdetect (port of Google's language-detection): 55 languages, no am, my or ha."""

    name = "langdetect"

    def __init__(self, candidates: Sequence[str]) -> None:
        self._factory = _shared_langdetect_factory()
        supported = {normalise_code(code) for code in self._factory.get_lang_list()}
        super().__init__(candidates, supported)

    def _scores(self, text: str, languages: tuple[str, ...]) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.create()  # a fresh detector per call: nothing shared mutates
        # A prior of zero keeps every other language out of the result.
        detector.set_prior_map(
            {code: 1.0 for lang in languages for code in _LANGDETECT_CODES.get(lang, (lang,))}
        )
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:  # no usable n-gram in the text
            return {}
        # Its own probabilities, not renormalised: it drops those under 0.1, and scaling the
        # rest up would overstate its confidence.
        scores: dict[str, float] = dict.fromkeys(languages, 0.0)
        for item in found:
            language = normalise_code(str(item.lang))
            if language in scores:
                scores[language] += float(item.prob)
        return scores


_FACTORIES: dict[str, type[Py3LangidDetector] | type[LangdetectDetector]] = {
    "py3langid": Py3LangidDetector,
    "langdetect": LangdetectDetector,
}


def make_detector(
    name: str = DEFAULT_DETECTOR, candidates: Sequence[str] | None = None
) -> Detector:
    """A detector by name (TOWNHALL_DETECTOR), restricted to `candidates`."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ValueError(
            f"unknown language detector {name!r}: choose one of {', '.join(DETECTORS)}"
        )
    return factory(DEFAULT_CANDIDATES if candidates is None else candidates)
