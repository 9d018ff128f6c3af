"""Operations, as an organizer uses them: check, webhook mode, backup/restore, health."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN, bot_env, free_port, running_bot
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.telegram_api import FakeTelegram
from tests.process import BotProcess, db_rows, run_cli

SECRET = "s3cret-webhook_token"


async def test_check_reports_every_part_green(fake: FakeTelegram, tmp_path: Path) -> None:
    async with FakeLibreTranslate() as libre:
        env = bot_env(
            fake,
            tmp_path / "t.db",
            TOWNHALL_MODERATOR_CHAT="-100777",
            TOWNHALL_TRANSLATOR="libre",
            TOWNHALL_TRANSLATOR_URL=libre.url,
            TOWNHALL_TRANSLATOR_KEY="not-a-real-key",
        )
        code, out, err = await run_cli("check", env=env)
        asked = [(r["source"], r["target"]) for r in libre.requests]
    lines = out.strip().splitlines()
    assert code == 0, out + err
    # Telegram, the group, the translator, the database, the languages, retention.
    assert len(lines) == 6 and all(line.startswith("✓") for line in lines)
    assert "✓ retention:" in out
    assert "@townhall_test_bot" in out and "administrator" in out
    assert "✓ translator: libre" in out and asked == [("fr", "en")]  # one real translation
    assert "journal wal" in out and "20 complete" in out
    assert TOKEN not in out + err and "not-a-real-key" not in out + err


async def test_check_fails_clearly_when_parts_are_broken(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.invalid_tokens.add(TOKEN)
    async with FakeLibreTranslate() as libre:
        libre.mode = "error503"
        env = bot_env(
            fake, tmp_path / "t.db", TOWNHALL_TRANSLATOR="libre", TOWNHALL_TRANSLATOR_URL=libre.url
        )
        code, out, _ = await run_cli("check", env=env)
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("✗")]
    assert any("Telegram" in line for line in failed)
    assert any("translator" in line for line in failed)
    assert TOKEN not in out


def update(update_id: int, message: dict[str, Any]) -> dict[str, Any]:
    return {"update_id": update_id, "message": message}


async def post_update(
    client: httpx.AsyncClient, port: int, payload: dict[str, Any], secret: str = SECRET
) -> int:
    response = await client.post(
        f"http://127.0.0.1:{port}/tg",
        content=json.dumps(payload),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    )
    return response.status_code


def webhook_env(fake: FakeTelegram, db: Path, port: int) -> dict[str, str]:
    return bot_env(
        fake,
        db,
        TOWNHALL_WEBHOOK_URL="https://bot.example.org/tg",
        TOWNHALL_WEBHOOK_SECRET=SECRET,
        TOWNHALL_PORT=str(port),
    )


def settled(db: Path) -> bool:
    """Every update received has been handled, and everything owed has been sent."""
    inbox = db_rows(db, "SELECT count(*) FROM inbox")
    owed = db_rows(db, "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')")
    return inbox == [(0,)] and owed == [(0,)]


async def wait_port(port: int, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_webhook_mode_secret_health_and_a_kill(fake: FakeTelegram, tmp_path: Path) -> None:
    db, port = tmp_path / "townhall.db", free_port()
    env = webhook_env(fake, db, port)
    first = BotProcess(env, tmp_path / "first.log")
    await first.start()
    await wait_port(port)
    await fake.wait_for(lambda: [c.outcome for c in fake.calls("setWebhook")] == ["ok"])
    [registered] = fake.calls("setWebhook")
    assert registered.params["url"] == "https://bot.example.org/tg"
    assert registered.params["secret_token"] == SECRET
    users = list(range(9000, 9050))
    async with httpx.AsyncClient() as client:
        message = fake.push_message(8999, "A forged update without the secret")
        assert await post_update(client, port, update(1, message), secret="wrong") == 403
        assert await post_update(client, port, {"not": "an update"}) == 400
        # 50 participants at once; each 200 means the update is stored.
        payloads = [
            update(10 + i, fake.push_message(user, f"Webhook question from {user}"))
            for i, user in enumerate(users)
        ]
        codes = await asyncio.gather(*(post_update(client, port, p) for p in payloads))
        assert codes == [200] * 50
        first.kill()  # right after the last acknowledgement: most are not handled yet
        assert await first.wait() != 0
        uncertain = int(
            str(db_rows(db, "SELECT count(*) FROM outbox WHERE state = 'sending'")[0][0])
        )
        second = BotProcess(env, tmp_path / "second.log")
        await second.start()
        await wait_port(port)
        await fake.wait_for(lambda: all(fake.messages_to(u) for u in users), timeout=30)
        # Inbox rows are deleted just after their replies are queued: they may trail the
        # deliveries by a moment on a loaded machine.
        for _ in range(100):
            health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
            if health["inbox"] == 0:
                break
            await asyncio.sleep(0.1)
        assert health["status"] == "ok" and health["inbox"] == 0
        await fake.wait_for(lambda: settled(db), timeout=30)
        before = len(fake.messages_to(users[0]))
        # Telegram re-sending an acknowledged update changes nothing. Had it been taken, it
        # would be in the inbox before the 200: once the inbox is empty again and nothing is
        # left to send, anything it caused has been sent.
        assert await post_update(client, port, payloads[0]) == 200
        await fake.wait_for(lambda: settled(db), timeout=30)
        assert len(fake.messages_to(users[0])) == before
    assert await second.terminate() == 0
    rows = db_rows(db, "SELECT participant_id FROM submissions")
    assert sorted(int(str(r[0])) for r in rows) == users
    # Exactly once, but for requests on the wire at the kill (at-least-once, see README).
    extra = sum(len(fake.messages_to(u)) - 1 for u in users)
    assert all(fake.messages_to(u) for u in users) and extra <= uncertain
    assert fake.messages_to(8999) == []  # the forged update did nothing


async def test_backup_during_a_burst_is_consistent(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        for user in range(11_000, 11_300):
            fake.push_message(user, f"Question {user} during the backup")
        await fake.wait_for(lambda: len(fake.sent) >= 50, timeout=30)
        copy = tmp_path / "backup.db"
        env = {"TOWNHALL_DB": str(bot.settings.db_path)}
        code, out, err = await run_cli("backup", str(copy), env=env)
        assert code == 0 and "integrity ok" in out, err
        # Restoring is refused while the bot runs.
        code, _, err = await run_cli("restore", str(copy), env=env)
        assert code == 1 and "stop it first" in err
        await fake.wait_for(lambda: len(fake.sent) >= 300, timeout=60)
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        owed = conn.execute(
            "SELECT count(*) FROM outbox WHERE dedup_key LIKE 'confirm:%'"
        ).fetchone()[0]
    finally:
        conn.close()
    # A consistent snapshot: every stored question has its confirmation, as committed together.
    assert 0 < stored <= 300 and owed == stored
    code, out, _ = await run_cli(
        "restore", str(copy), env={"TOWNHALL_DB": str(tmp_path / "townhall.db")}
    )
    assert code == 0
    assert db_rows(tmp_path / "townhall.db", "SELECT count(*) FROM submissions") == [(stored,)]


async def test_stats_ops_and_polling_health_port(fake: FakeTelegram, tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "townhall.db"
    env = bot_env(fake, db)
    proc = BotProcess(env, tmp_path / "bot.log", extra_args=["--health-port", str(port)])
    await proc.start()
    await wait_port(port)
    fake.push_message(12_000, "A question for the health figures")
    await fake.wait_for_messages(12_000, 1)
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/healthz")
    assert response.status_code == 200
    assert set(response.json()) >= {"status", "inbox", "outbox", "pending_translations"}
    assert await proc.terminate() == 0
    code, out, _ = await run_cli("stats", "--ops", env={"TOWNHALL_DB": str(db)})
    figures = json.loads(out)
    assert code == 0 and figures["outbox"] == 0 and figures["inbox"] == 0


@pytest.mark.parametrize("value", ["http://bot.example.org/tg", "ftp://x"])
async def test_webhook_url_must_be_https(value: str, tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TOWNHALL_WEBHOOK_URL": value}
    code, _, err = await run_cli("run", env=env)
    assert code == 2 and "TOWNHALL_WEBHOOK_URL" in err
