"""Language detection: accuracy, speed and memory of each detector and of the shipped one.

    python benchmarks/langid.py [--data PATH] [--half b|a|all] [--no-django]

Two data sets (see benchmarks/langid_data.py):
- dev: /work/shared/data/langid_dev.jsonl (Tatoeba + UDHR, 25 languages). The detector's
  thresholds were chosen on half "a" of a fixed hash split, so by default only half "b" is
  reported: figures on "a" or "all" are not held-out;
- django: the human translations in a pinned Django wheel's catalogs (fetched with pip into
  benchmarks/.cache/ on first run), at most 300 per language, never used for tuning.

Configurations: each library as shipped by its authors ("raw": all its languages, no cleaning,
no script rules), each of our detectors (make_detector(name)) and the shipped configuration
(make_detector() defaults), without and with the hint. The hint given is the sample's TRUE
language, so the "+truehint" figures are an upper bound: in the bot the hint is the sender's
Telegram language, which is usually but not always the language they write in. Accuracy per
length bucket is macro (the mean over languages with texts in that bucket). Speed is texts/s
on one thread, cleaning included. Memory is measured in a fresh process per detector: growth
of peak RSS (VmHWM) over loading the model and detecting 500 texts, and, in another fresh
process, tracemalloc's peak over the same work. Every run is complete (no sampling) and
deterministic.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.langid_data import (  # noqa: E402
    DEV_SET,
    DJANGO,
    PER_LANGUAGE,
    Sample,
    django_set,
    in_half,
    load_jsonl,
)
from bot.services.language import (  # noqa: E402
    DEFAULT_CANDIDATES,
    DEFAULT_DETECTOR,
    DETECTORS,
    UNDETERMINED,
    Detection,
    make_detector,
    normalise_code,
)

BUCKETS = (("<20", 0, 20), ("20-60", 20, 60), ("60-200", 60, 201), (">200", 201, 10**9))
TARGETS = (
    ("no hint, 20-400 chars", False, 20, 401, 99.0),
    ("true language as hint (upper bound), <20 chars", True, 0, 20, 95.0),
)
MEMORY_TEXTS = 500
HINT_LEGEND = "+truehint: the true language given as hint (an upper bound)"

Detect = Callable[[str, str | None], Detection]


@dataclass(frozen=True, slots=True)
class Config:
    label: str
    make: Callable[[], Detect]
    hint: bool


@dataclass(frozen=True, slots=True)
class Run:
    config: Config
    correct: list[bool]
    seconds: float


# --- configurations --------------------------------------------------------------------------


def raw_py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def detect(text: str, hint: str | None = None) -> Detection:
        language, confidence = identifier.classify(text)
        return Detection(normalise_code(language), float(confidence))

    return detect


def raw_langdetect() -> Detect:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def detect(text: str, hint: str | None = None) -> Detection:
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return Detection(UNDETERMINED, 0.0)
        return Detection(normalise_code(best.lang), float(best.prob))

    return detect


def ours(name: str | None) -> Callable[[], Detect]:
    def make() -> Detect:
        return (make_detector() if name is None else make_detector(name)).detect

    return make


def configurations() -> list[Config]:
    configs = [
        Config("py3langid raw", raw_py3langid, False),
        Config("langdetect raw", raw_langdetect, False),
    ]
    for name in DETECTORS:
        hinted = Config(f"{name} +truehint", ours(name), True)
        configs += [Config(name, ours(name), False), hinted]
    shipped = f"shipped ({DEFAULT_DETECTOR})"
    configs += [
        Config(shipped, ours(None), False),
        Config(f"{shipped} +truehint", ours(None), True),
    ]
    return configs


# --- measuring --------------------------------------------------------------------------------


def evaluate(config: Config, detect: Detect, samples: Sequence[Sample]) -> Run:
    correct = []
    start = time.perf_counter()
    for sample in samples:
        hint = sample.language if config.hint else None
        correct.append(detect(sample.text, hint).language == sample.language)
    return Run(config, correct, time.perf_counter() - start)


def macro(run: Run, samples: Sequence[Sample], keep: Callable[[Sample], bool]) -> float | None:
    per_language: dict[str, list[bool]] = defaultdict(list)
    for sample, ok in zip(samples, run.correct, strict=True):
        if keep(sample):
            per_language[sample.language].append(ok)
    if not per_language:
        return None
    return 100 * sum(sum(oks) / len(oks) for oks in per_language.values()) / len(per_language)


def micro(run: Run) -> float:
    return 100 * sum(run.correct) / len(run.correct)


def in_language(language: str) -> Callable[[Sample], bool]:
    return lambda sample: sample.language == language


def length_between(low: int, high: int) -> Callable[[Sample], bool]:
    return lambda sample: low <= len(sample.text) < high


def peak_rss() -> int:
    """Peak resident set size of this process image, in bytes."""
    status = Path("/proc/self/status")
    if status.exists():  # Linux: VmHWM starts afresh at exec, unlike ru_maxrss
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # macOS: already in bytes


def memory_probe(name: str, mode: str) -> None:
    """Child process: load `name` and detect texts from stdin, print bytes used."""
    texts: list[str] = json.load(sys.stdin)
    if mode == "tracemalloc":
        tracemalloc.start()
    before = peak_rss()
    detector = make_detector(name)
    for text in texts:
        detector.detect(text)
    if mode == "tracemalloc":
        print(tracemalloc.get_traced_memory()[1])
    else:
        print(peak_rss() - before)


def measure_memory(name: str, mode: str, texts: list[str]) -> float:
    command = [sys.executable, __file__, "--probe", f"{name}:{mode}"]
    child = subprocess.run(
        command, input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    return int(child.stdout.strip()) / 2**20


# --- printing --------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.1f}"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def short_label(label: str) -> str:
    return (
        label.replace(f"shipped ({DEFAULT_DETECTOR})", "ship").replace("py3langid", "p3")
        .replace("langdetect", "ld").replace(" raw", "-raw").replace(" +truehint", "+truehint")
    )  # fmt: skip


def report(name: str, samples: Sequence[Sample], runs: Sequence[Run]) -> None:
    languages = sorted({sample.language for sample in samples})
    header = ["lang", "n", *(short_label(run.config.label) for run in runs)]
    rows = []
    for language in languages:
        keep = in_language(language)
        count = sum(keep(sample) for sample in samples)
        rows.append([language, str(count), *(percent(macro(run, samples, keep)) for run in runs)])
    print_table(f"[{name}] accuracy per language, % ({HINT_LEGEND})", header, rows)

    rows = []
    for bucket, low, high in BUCKETS:
        keep = length_between(low, high)
        count = sum(keep(sample) for sample in samples)
        rows.append([bucket, str(count), *(percent(macro(run, samples, keep)) for run in runs)])
    print_table(
        f"[{name}] macro accuracy per length (characters), % ({HINT_LEGEND})", header, rows
    )

    rows = [
        [
            run.config.label,
            percent(macro(run, samples, lambda _: True)),
            percent(micro(run)),
            f"{len(samples) / run.seconds:8.0f}",
        ]
        for run in runs
    ]
    title = f"[{name}] summary ({HINT_LEGEND}; texts/s: one thread, one pass)"
    print_table(title, ["configuration", "macro", "micro", "texts/s"], rows)


def print_targets(name: str, samples: Sequence[Sample], runs: Sequence[Run]) -> bool:
    shipped = {run.config.hint: run for run in runs if run.config.label.startswith("shipped")}
    passed = True
    for label, hint, low, high, goal in TARGETS:
        value = macro(shipped[hint], samples, length_between(low, high)) or 0.0
        verdict = "PASS" if value >= goal else "FAIL"
        passed = passed and value >= goal
        print(f"  TARGET [{name}] shipped, {label}: macro {value:.2f}% >= {goal}%  {verdict}")
    return passed


def run_all(samples: Sequence[Sample], configs: Sequence[Config]) -> list[Run]:
    detectors: dict[int, Detect] = {}
    runs = []
    for config in configs:
        key = id(config.make)
        if key not in detectors:
            detectors[key] = config.make()
        runs.append(evaluate(config, detectors[key], samples))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEV_SET, help="dev set (JSON lines)")
    parser.add_argument(
        "--half", choices=("a", "b", "all"), default="b",
        help="part of the dev set to report; thresholds were tuned on a",
    )  # fmt: skip
    parser.add_argument("--no-django", action="store_true", help="skip the second data set")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        memory_probe(*args.probe.split(":"))
        return

    started = time.perf_counter()
    print(
        f"dev set half {args.half} ({'held out' if args.half == 'b' else 'NOT held out'}), "
        f"{'no django set' if args.no_django else 'and the django set'}; one deterministic "
        "pass over every text, no sampling; speed on one thread"
    )
    print(f"{HINT_LEGEND}; columns without it get no hint", flush=True)
    candidates = set(DEFAULT_CANDIDATES)
    dev = [s for s in load_jsonl(args.data) if s.language in candidates]
    data_sets = {f"dev half {args.half}": [s for s in dev if in_half(s.text, args.half)]}
    if not args.no_django:
        django, digest = django_set(DEFAULT_CANDIDATES)
        counts: dict[str, int] = defaultdict(int)
        for sample in django:
            counts[sample.language] += 1
        print(f"django set: {DJANGO} wheel sha256 {digest[:16]}..., {len(django)} texts, "
              f"{len(counts)} languages (at most {PER_LANGUAGE} each):")  # fmt: skip
        print("  " + " ".join(f"{language}:{count}" for language, count in sorted(counts.items())))
        data_sets["django"] = django

    configs = configurations()
    all_passed = True
    for name, samples in data_sets.items():
        print(f"\n=== {name}: {len(samples)} texts ===")
        runs = run_all(samples, configs)
        report(name, samples, runs)
        all_passed = print_targets(name, samples, runs) and all_passed

    texts = [s.text for s in next(iter(data_sets.values()))[:MEMORY_TEXTS]]
    rows = []
    for name in DETECTORS:
        shipped = " (shipped)" if name == DEFAULT_DETECTOR else ""
        rss, peak = (measure_memory(name, mode, texts) for mode in ("rss", "tracemalloc"))
        rows.append([name + shipped, f"{rss:7.1f}", f"{peak:7.1f}"])
    print_table(f"memory: load + detect {MEMORY_TEXTS} texts, fresh process each, MiB",
                ["detector", "peak RSS growth", "tracemalloc peak"], rows)  # fmt: skip
    print(f"\nall targets {'PASS' if all_passed else 'FAIL'}; "
          f"{time.perf_counter() - started:.0f} s in all")  # fmt: skip


if __name__ == "__main__":
    main()
