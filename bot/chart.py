"""The statistics chart: submissions per language, received vs shortlisted vs approved, so a
lopsided shortlist is visible at a glance. matplotlib, headless (Agg), PNG bytes.

Labels are in the organizers' working language: matplotlib's bundled font covers Latin,
Greek and Cyrillic; other scripts need a font installed on the server (e.g. Noto)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from storage.statistics import Statistics

MAX_LANGUAGES = 20


def funnel_png(stats: Statistics, labels: tuple[str, str, str], title: str) -> bytes:
    """Grouped bars per language (the 20 biggest); `labels` for received/shortlisted/approved."""
    rows = stats.funnel[:MAX_LANGUAGES]
    languages = [r[0] for r in rows]
    positions = range(len(rows))
    width = 0.27
    figure, axes = plt.subplots(figsize=(max(6.0, 0.6 * len(rows) + 2), 4), dpi=110)
    try:
        for offset, index, label in ((-width, 1, labels[0]), (0.0, 2, labels[1]),
                                     (width, 3, labels[2])):  # fmt: skip
            axes.bar([p + offset for p in positions], [r[index] for r in rows], width,
                     label=label)  # fmt: skip
        axes.set_xticks(list(positions), languages)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not fractions
        axes.set_title(title)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, not over, bars
        axes.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()
