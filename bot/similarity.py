"""Similar questions: compare working-language translations so moderators see "similar: #12".

Pure functions, no Telegram and no database. A question's translation is normalised once, when
it lands (normalise), and stored; a new one is then compared with the stored ones
(most_similar). The scorer and THRESHOLD were chosen on the dev half of a hand-labelled set of
machine-translated town-hall questions and reported on its held-out half: see
benchmarks/similarity.py and benchmarks/paraphrase_set.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Set

from rapidfuzz import fuzz, process

# Chosen on the dev half: the best F1 among thresholds that flag at most 0.1% of cross-topic
# pairs (benchmarks/similarity.py prints the sweep and the held-out figures).
THRESHOLD: float = 60.0

# Our test translation server prefixes "[tr->en] "; a re-translation may stack another tag.
_TRANSLATION_TAG = re.compile(r"^(?:\s*\[[\w-]{1,16}->[\w-]{1,16}\])+\s*")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words that say nothing about what a question asks, and courtesy that MT adds or
# drops ("please", "thank you", "I would like to know"). A small English list: the working
# language is usually English, and words of other working languages simply pass through.
# "going" is the future of "is going to", which MT uses as often as "will". "government" is the
# addressee of nearly every town-hall question, so it only made unrelated questions look alike.
STOPWORDS: frozenset[str] = _word_set(
    """
    a an the and or but if so as of at by for from in into on onto to with without about
    over under than then that this these those there here during per while
    going
    i me my we us our you your he him his she her it its they them their
    is am are was were be been being do does did done doing have has had having
    will would shall should can could may might must
    not no nor just also too very really only such some any all each every other own same
    s t d ll m re ve
    please thank thanks hello hi dear good morning evening afternoon sir madam mr mrs ms
    question ask asking like know want wish
    government
    """
)

# Question words, apart so the benchmark can measure keeping them. Dropped by default: "How will
# you stop X?" and "What is being done to stop X?" ask the same thing, and askers and MT pick
# either; dropping them measured better on the dev half.
QUESTION_WORDS: frozenset[str] = _word_set(
    "what why when where who whom whose which how whether much many"
)

DEFAULT_DROPPED: frozenset[str] = STOPWORDS | QUESTION_WORDS

# Light suffix stripping: (suffix, replacement), first match wins. Enough to make "fees"/"fee",
# "countries"/"country", "raised"/"raising"/"raise" meet; not a full Porter stemmer.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("sses", "ss"),
    ("xes", "x"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("ing", ""),
    ("ed", ""),
    ("s", ""),
)
_MIN_STEM = 3
_NOT_PLURAL = ("ss", "us", "is")
# rapidfuzz's process functions may drop a score equal to score_cutoff (float rounding when the
# cutoff becomes an edit distance): 1e-6 below still lost 20% of exact-cutoff cases in 30,000
# random pairs, 1e-4 none. The threshold itself is applied in Python on the returned scores.
_CUTOFF_SLACK = 0.01
_UNCHANGED = frozenset({"news", "series", "species"})  # final "s" that is no plural


def strip_translation_tag(text: str) -> str:
    """Drop a leading "[xx->yy] " tag (or several) left by the translation engine."""
    return _TRANSLATION_TAG.sub("", text, count=1)


def words(text: str) -> list[str]:
    """Casefolded NFKC words; punctuation, symbols, emoji and invisible characters split them.

    Unicode categories rather than regex \\w, because \\w drops combining marks and would cut
    Devanagari or Arabic words apart.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in folded)
    return kept.split()


def _doubled(word: str) -> bool:
    return len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in "lsz"


def stem(word: str) -> str:
    """Strip one English inflection (plural, -ing, -ed) and a final "e" so forms meet."""
    if not word.isascii() or word in _UNCHANGED:
        return word  # the rules are English; leave other scripts and accented words alone
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            if suffix == "s" and word.endswith(_NOT_PLURAL):
                break
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed") and _doubled(word):
                word = word[:-1]  # "shutting" -> "shutt" -> "shut"; "killed" keeps "kill"
            break
    if word.endswith("e") and len(word) > _MIN_STEM:
        word = word[:-1]  # "raise" and "raised" both end as "rais"
    return word


def normalise(text: str, *, dropped: Set[str] = DEFAULT_DROPPED, stemming: bool = True) -> str:
    """The form stored and compared: tag stripped, casefolded words, no stopwords, stemmed."""
    kept = [w for w in words(strip_translation_tag(text)) if w not in dropped]
    if stemming:
        kept = [stem(w) for w in kept]
    return " ".join(kept)


def score(a: str, b: str) -> float:
    """Similarity of two normalised texts, 0..100: rapidfuzz's token_sort_ratio.

    It sorts the words first, because languages and MT order them differently, then compares
    every character of both texts, so a short question inside a longer one does not score 100
    as with token_set_ratio ("climat chang" against any longer climate-change question). Among
    thresholds that flag at most 0.1% of cross-topic pairs it had the best dev F1 (0.45 at 60;
    token_set_ratio, its mean with token_sort and a length-guarded token_set 0.41-0.42; WRatio
    flags over 1.5% of cross-topic pairs below 90): see benchmarks/similarity.py.
    """
    if not a or not b:
        return 0.0
    return float(fuzz.token_sort_ratio(a, b))


def most_similar(
    query: str,
    candidates: Mapping[int, str],
    limit: int = 3,
    threshold: float = THRESHOLD,
) -> list[tuple[int, float]]:
    """(id, score) of at most `limit` candidates scoring at least threshold, best first.

    Ties go to the smaller id (the older question). Empty candidates never match.
    """
    if not query or limit <= 0 or threshold > 100:
        return []  # scores never exceed 100, and rapidfuzz refuses a cutoff above it
    # The cutoff lets rapidfuzz skip most candidates early, in C, without building any result;
    # it is lowered by _CUTOFF_SLACK, and the exact threshold applied below on the scores
    # rapidfuzz returns (equal to score()).
    found = process.extract(
        query,
        candidates,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=max(0.0, threshold - _CUTOFF_SLACK),
        limit=None,  # all matches: rapidfuzz breaks ties by position, we want the smaller id
    )
    matches = [
        (key, float(value))
        for _, value, key in found
        if value >= threshold and candidates[key]  # an empty text never matches
    ]
    matches.sort(key=lambda match: (-match[1], match[0]))
    return matches[:limit]
