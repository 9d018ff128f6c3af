"""Requests already handled: an update replayed after a crash must not change things twice.

Most changes guard themselves (a compare-and-set on a status, a unique key on what they
create); the others record their update's key in their own transaction with `first_time`, and
do nothing when it is already there.
"""

from __future__ import annotations

import aiosqlite


def request_key(what: str, update_id: int) -> str:
    """The key of the request an update made (`what`: the command, for reading the table)."""
    return f"{what}:{update_id}"


async def first_time(conn: aiosqlite.Connection, key: str, stamp: str) -> bool:
    """Record `key` inside the caller's transaction: True the first time, False on a replay."""
    rows = await conn.execute_fetchall(
        "INSERT INTO handled_requests (request_key, at) VALUES (?, ?)"
        " ON CONFLICT (request_key) DO NOTHING RETURNING 1",
        (key, stamp),
    )
    return bool(list(rows))
