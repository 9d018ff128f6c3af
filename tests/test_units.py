"""Pure pieces: text rules, callback codec, rendering/escaping, configuration, export cells."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import domain, render
from bot.config import ConfigError, load_settings
from bot.i18n import load_locales
from bot.services.export import COLUMNS, neutralise, write_csv
from bot.telegram import callbacks
from storage.models import Kind, Status, Submission

LOCALES = Path(__file__).resolve().parent.parent / "locales"


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("\u200b\u200c\u200d\u2060\ufeff", 0),
        ("\u3164\u2800\u115f", 0),
        ("\u200e\u200f\u202a", 0),
        ("a\u200bb", 2),
        ("Hello", 5),
        ("👋🏽", 2),
    ],
)
def test_visible_length(text: str, visible: int) -> None:
    assert domain.visible_length(text) == visible


def test_wide_letters_weigh_double() -> None:
    assert domain.text_weight("怎么办？") == 7
    assert domain.text_weight("ok??") == 4
    assert domain.text_weight("\u200bWhy war?") == 8


def test_only_pending_submissions_can_be_changed_by_participants() -> None:
    allowed = {s for s in Status if domain.participant_may_change(s)}
    assert allowed == {Status.PENDING}


def test_every_queue_page_comes_back_as_the_same_status() -> None:
    # Approved and answered share a first letter: a page of one must not become the other.
    for status in Status:
        page = callbacks.QueuePage(status, Kind.QUESTION, "fr", 8, "climate")
        assert callbacks.decode(callbacks.encode(page)) == page


def test_callback_round_trip_and_forgeries() -> None:
    for kind in Kind:
        action = callbacks.SwitchKind(123456789, kind)
        data = callbacks.encode(action)
        assert len(data.encode()) <= callbacks.MAX_CALLBACK_BYTES
        assert callbacks.decode(data) == action
    for bad in (
        None,
        "",
        "k:x:1",
        "k:i:0",
        "k:i:-1",
        "k:i:٣",
        "k:i: 3",
        "m:approve:1",
        "k:i:1:2",
        "k:i:" + "9" * 70,
    ):
        with pytest.raises(callbacks.BadCallback):
            callbacks.decode(bad)


def _submission(
    text: str, kind: Kind = Kind.QUESTION, status: Status = Status.PENDING
) -> Submission:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    return Submission(7, 1, 2, 1, kind, status, text, "en", None, None, None, None, now, now)


def test_participant_text_is_escaped_in_my_list() -> None:
    tr = load_locales(LOCALES).get("en")
    reply = render.intake.my_submissions(tr, [_submission("<script>&x</script> a < b")], 1)
    assert "&lt;script&gt;&amp;x&lt;/script&gt; a &lt; b" in reply.text
    assert "<script>" not in reply.text
    assert "#7" in reply.text


def test_confirmation_carries_reference_and_switch_button() -> None:
    tr = load_locales(LOCALES).get("en")
    question = render.intake.confirmation(tr, _submission("x"))
    assert "#7" in question.text
    assert callbacks.decode(question.buttons[0][0].callback_data) == callbacks.SwitchKind(
        7, Kind.IDEA
    )
    idea = render.intake.confirmation(tr, _submission("x", Kind.IDEA))
    assert callbacks.decode(idea.buttons[0][0].callback_data).kind is Kind.QUESTION
    assert render.intake.confirmation(tr, _submission("x", status=Status.APPROVED)).buttons == ()


def test_locale_resolution() -> None:
    locales = load_locales(LOCALES)
    assert locales.resolve(None, "pt-br") == "pt"
    assert locales.resolve(None, "zh-hans") == "zh"
    assert locales.resolve(None, "zh-hant") == "zh"
    assert locales.resolve(None, "FR") == "fr"
    assert locales.resolve(None, "xx") == "en"
    assert locales.resolve(None, None) == "en"
    assert locales.resolve("ar", "fr") == "ar"
    assert locales.resolve("klingon", "fr") == "fr"


def test_settings_defaults_and_token_hidden() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "123:SECRET"})
    assert settings.api_url == "https://api.telegram.org/bot"
    assert settings.db_path == Path("townhall.db")
    assert settings.translator == "google" and settings.language == "en"
    assert settings.moderator_chat is None and settings.organizers == frozenset()
    assert "SECRET" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TOWNHALL_ORGANIZERS": "12,abc"}, "TOWNHALL_ORGANIZERS"),
        ({"TOWNHALL_MODERATORS": "1;2"}, "TOWNHALL_MODERATORS"),
        ({"TOWNHALL_MODERATOR_CHAT": "group"}, "TOWNHALL_MODERATOR_CHAT"),
        ({"TOWNHALL_TRANSLATOR": "babelfish"}, "TOWNHALL_TRANSLATOR"),
        ({"TOWNHALL_TRANSLATOR": "libre"}, "TOWNHALL_TRANSLATOR_URL"),
        ({"TOWNHALL_TRANSLATOR": "deepl"}, "TOWNHALL_TRANSLATOR_KEY"),
        ({"TOWNHALL_LANGUAGE": "english"}, "TOWNHALL_LANGUAGE"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"TOWNHALL_RATE_LIMIT": "0"}, "TOWNHALL_RATE_LIMIT"),
        ({"TOWNHALL_REJECTION_NOTICES": "maybe"}, "TOWNHALL_REJECTION_NOTICES"),
        ({"TOWNHALL_SEND_RATE": "nan"}, "TOWNHALL_SEND_RATE"),
        ({"TOWNHALL_SEND_RATE": "inf"}, "TOWNHALL_SEND_RATE"),
        ({"TOWNHALL_TRANSLATOR_TIMEOUT": "-1"}, "TOWNHALL_TRANSLATOR_TIMEOUT"),
        ({"TOWNHALL_FLOOD_REFILL": "nan"}, "TOWNHALL_FLOOD_REFILL"),
        ({"TOWNHALL_FLOOD": "sometimes"}, "TOWNHALL_FLOOD"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.variable == variable
    assert str(error.value).startswith(variable + ":")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+7", "'+7"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("fine = ok", "fine = ok"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


def test_csv_header_and_rows() -> None:
    values = {
        "id": 1,
        "kind": "question",
        "status": "pending",
        "text": '=HYPERLINK("x")',
        "submitted_at": "2026-11-26T12:00:00Z",
    }
    row = tuple(values.get(column) for column in COLUMNS)
    out = io.StringIO()
    assert write_csv([row], out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split(",")[:7] == [
        "id",
        "kind",
        "status",
        "language",
        "text",
        "translation",
        "submitted_at",
    ]
    assert list(COLUMNS[:7]) == lines[0].split(",")[:7]
    assert lines[1].startswith('1,question,pending,,"\'=HYPERLINK(""x"")",,2026-11-26T12:00:00Z')


def test_a_countdown_keeps_its_units_in_every_language() -> None:
    from datetime import timedelta

    from bot import render

    # Babel alone would say "1 week and 3 hours" and "1 year".
    assert render.live.countdown("en", timedelta(days=10, hours=3)) == "10 days and 3 hours"
    assert render.live.countdown("fr", timedelta(days=400)) == "400\xa0jours"
    assert render.live.countdown("en", timedelta(hours=2, minutes=5)) == "2 hours and 5 minutes"
    assert render.live.countdown("ar", timedelta(minutes=4)) == "4 دقائق"


def test_show_stays_one_message_however_long_the_history() -> None:
    import dataclasses
    from gettext import NullTranslations

    sub = dataclasses.replace(
        _submission("q" * 1600, status=Status.REJECTED),
        translation="t" * 1600,
        reason="r" * 900,
        decided_by="Moe",
    )
    history = [(f"2026-12-10 12:{n:02d}:00", "reject · Moe: " + "x" * 500) for n in range(40)]
    reply = render.moderation.show_submission(
        NullTranslations(), sub, history, list(range(30)), []
    )
    assert len(reply.text) < 4096
    assert "… and " in reply.text  # the older entries are counted, not shown
    assert reply.text.rstrip().endswith("x…")  # the newest entry is kept, clipped
