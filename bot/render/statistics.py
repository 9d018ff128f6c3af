"""Organizers' statistics and the in-chat export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.i18n import Gettext
from bot.render.base import (
    TEXT_LIMIT,
    Reply,
    escape,
    fit,
    kind_label,
    size,
    snippet,
    status_label,
)
from storage.models import Kind, Status
from storage.statistics import Statistics


def statistics(tr: Gettext, stats: Statistics, hours: int = 6) -> Reply:
    def line(title: str, counts: Mapping[str, int], budget: int | None = None) -> str:
        items = [f"{snippet(str(k), 60)} {v}" for k, v in counts.items()]
        if budget is not None:
            items = fit(tr, items, budget - size(title) - 8, " · ")
        return f"<b>{title}</b>\n" + (" · ".join(items) or "—")

    statuses = {status_label(tr, Status(k)): v for k, v in stats.by_status.items()}
    kinds = {kind_label(tr, Kind(k)): v for k, v in stats.by_kind.items()}
    recent = dict(list(stats.by_hour.items())[-hours:])
    hourly = {k[11:16]: v for k, v in recent.items()}
    # Lists that grow with the event (languages, topics, places) share what the fixed lines
    # leave of the message, each as many as fit, the rest counted.
    lists = [(tr.gettext("By language"), dict(stats.by_language))]
    if set(stats.by_topic) - {"-"}:
        topics = {k if k != "-" else tr.gettext("no topic"): v for k, v in stats.by_topic.items()}
        lists.append((tr.gettext("By topic"), topics))
    if set(stats.by_party) - {"-"}:
        ranked = sorted(stats.by_party.items(), key=lambda kv: (-kv[1], kv[0]))
        places = {k if k != "-" else tr.gettext("not from a viewing party"): v for k, v in ranked}
        lists.append((tr.gettext("By viewing party"), places))
    head = [
        tr.gettext("📊 <b>Statistics</b>: {count} submissions in all").format(count=stats.total),
        line(tr.gettext("By status"), statuses),
        line(tr.gettext("By kind"), kinds),
    ]
    tail = [line(tr.gettext("Last hours (UTC)"), hourly)]
    share = (TEXT_LIMIT - size("\n\n".join(head + tail))) // len(lists) - 2
    parts = head + [line(title, counts, share) for title, counts in lists] + tail
    return Reply("\n\n".join(parts))


def chart_labels(tr: Gettext) -> tuple[str, str, str, str]:
    """(received, shortlisted, approved, title) for the chart: plain text."""
    return (
        tr.gettext("received"),
        tr.gettext("shortlisted or further"),
        tr.gettext("approved"),
        tr.gettext("Submissions per language"),
    )


def export_caption(tr: Gettext, count: int, statuses: Sequence[str], kind: str | None) -> Reply:
    text = tr.ngettext("📄 {count} submission", "📄 {count} submissions", count).format(
        count=count
    )
    chosen = [status_label(tr, Status(s)) for s in statuses]
    if kind is not None:
        chosen.append(kind_label(tr, Kind(kind)))
    if chosen:
        text += " · " + escape(", ".join(chosen))
    note = tr.gettext("Participants appear under pseudonyms.")
    return Reply(f"{text}\n{note}")


def export_failed(tr: Gettext) -> Reply:
    return Reply(
        tr.gettext(
            "Sorry, the file could not be sent. Try a narrower export, or ask for it with "
            "townhall-bot export on the server."
        )
    )
