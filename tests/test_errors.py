"""The one error handler: a participant gets a short apology in their language, no crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Update

from bot import render
from bot.app import build_application
from bot.config import load_settings
from bot.i18n import load_locales
from storage import Stores, open_database
from tests.conftest import bot_env
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


async def test_handler_failure_queues_an_apology(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(bot_env(fake, tmp_path / "t.db"))
    db = await open_database(settings.db_path)
    locales = load_locales(ROOT / "locales")
    application = build_application(settings, Stores.on(db), locales)
    await application.initialize()
    try:

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(application.services.intake, "submit", broken)
        message = fake.push_message(42, "A perfectly fine question, really", language_code="ru")
        update = Update.de_json({"update_id": 1, "message": message}, application.bot)
        await application.process_update(update)  # must not raise
        rows = await db.fetchall("SELECT chat_id, payload FROM outbox")
        assert len(rows) == 1 and rows[0]["chat_id"] == 42
        apology = render.common.internal_error(locales.get("ru")).text
        assert apology in rows[0]["payload"]
    finally:
        await application.shutdown()
        await db.close()
