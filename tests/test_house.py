"""The house rules, checked: the import boundaries, and the supervised worker loop."""

from __future__ import annotations

import ast
import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import load_settings
from bot.runner import run_bot
from storage.outbox import OutboxStore
from tests.conftest import RunningBot, bot_env, free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.process import run_cli

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def test_storage_imports_nothing_from_bot_or_telegram() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in (ROOT / "storage").glob("*.py")
        for module in _imported_modules(path)
        if _top(module) in ("bot", "telegram")
    }
    assert not offenders


def test_services_render_and_workers_base_never_load_telegram() -> None:
    """Not only no direct import: nothing they import loads python-telegram-bot either."""
    modules = sorted(
        f"bot.services.{p.stem}"
        for p in (ROOT / "bot" / "services").glob("*.py")
        if p.stem != "__init__"
    )
    modules += ["bot.render", "bot.workers.base", "bot.workers.translation", "storage.stores"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'telegram')\n"
        + "print(' '.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert len(modules) > 15  # every service module was imported
    assert result.stdout.strip() == ""


def test_only_the_edge_imports_telegram() -> None:
    allowed = {ROOT / "bot" / "telegram", ROOT / "bot" / "workers" / "sender.py"}
    allowed_files = {"app.py", "context.py", "runner.py", "check.py"}
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        if any(path == a or a in path.parents for a in allowed) or path.name in allowed_files:
            continue
        if any(_top(m) == "telegram" for m in _imported_modules(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


async def test_sender_survives_a_failing_claim_and_healthz_shows_it(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locked database under the sender's claim: sending resumes once it clears, and
    /healthz shows the sender failing meanwhile, then recovered."""
    failures_left = 3
    real_claim = OutboxStore.claim_due_messages

    async def flaky_claim(self: OutboxStore, *args: Any, **kwargs: Any) -> Any:
        nonlocal failures_left
        if failures_left > 0:
            failures_left -= 1
            raise sqlite3.OperationalError("database is locked")
        return await real_claim(self, *args, **kwargs)

    monkeypatch.setattr(OutboxStore, "claim_due_messages", flaky_claim)
    db = tmp_path / "townhall.db"
    settings = load_settings(bot_env(fake, db))
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, stop, health_port=port))
    bot = RunningBot(fake, settings, task, stop)
    try:
        fake.push_message(501, "Will my question survive a locked database?")
        seen_degraded: dict[str, Any] | None = None
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # the third failure's back-off lasts 1.5 to 2.5 s
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/healthz")
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code == 503:
                    seen_degraded = response.json()
                    break
                await asyncio.sleep(0.05)
            assert seen_degraded is not None, "the failing sender never showed in /healthz"
            assert seen_degraded["failing_workers"] == ["sender"]
            assert "OperationalError" in seen_degraded["workers"]["sender"]["last_error"]
            # Another process (the CLI) sees it too, as the bot recorded it.
            code, out, _ = await run_cli("stats", "--ops", env={"TOWNHALL_DB": str(db)})
            assert code == 1 and json.loads(out)["failing_workers"] == ["sender"]
            confirmation = await bot.reply_to(501, 0, timeout=15)
            assert "#1" in confirmation
            healthy = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
        assert healthy["status"] == "ok"
        assert healthy["workers"]["sender"]["failures"] == 0
        assert healthy["workers"]["sender"]["total_failures"] == 3
        code, out, _ = await run_cli("stats", "--ops", env={"TOWNHALL_DB": str(db)})
        recorded = json.loads(out)
        assert recorded["failing_workers"] == []
        assert recorded["workers"]["sender"]["total_failures"] == 3
    finally:
        await bot.shutdown()
