"""Daily model-call allowances, and the caps that keep one chat or person from filling the store.

Both are enforced inside one write transaction (:meth:`Database.write`: one lock,
``BEGIN IMMEDIATE``), so the check and the write cannot be separated: 500 concurrent
``/filter add`` once stored 500 filters against a limit of 50 because the count was
read before, and apart from, the insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from bot.store.db import Database

Scope = Literal["chat", "user"]
Kind = Literal["topics", "subscriptions", "filters", "reading"]


class LimitReached(Exception):
    """A cap was reached; the write that would pass it was rolled back. ``scope`` says whose cap."""

    def __init__(self, what: Kind, scope: Scope, limit: int) -> None:
        super().__init__(f"{scope} limit of {limit} {what} reached")
        self.what = what
        self.scope = scope
        self.limit = limit


@dataclass(frozen=True)
class Caps:
    """How many rows of one kind a chat and a person may hold; None: no cap."""

    per_chat: int | None = None
    per_user: int | None = None


NO_CAPS = Caps()


async def check_cap(conn: aiosqlite.Connection, what: Kind, scope: Scope, limit: int | None, count_sql: str,
                    params: Sequence[object]) -> None:
    """Inside a write transaction: raise :class:`LimitReached` if ``count_sql`` already counts ``limit`` rows."""
    if limit is None:
        return
    async with conn.execute(count_sql, params) as cursor:
        row = await cursor.fetchone()
    if row is not None and int(row[0]) >= limit:
        raise LimitReached(what, scope, limit)


async def exists(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> bool:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone() is not None


@dataclass(frozen=True)
class Grant:
    granted: int  # calls reserved, at most what was asked
    short: str | None = None  # the holder whose allowance ran out first, if any


class QuotaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, day: str, holders: Sequence[tuple[str, int]], wanted: int) -> Grant:
        """Take up to ``wanted`` calls from every holder's allowance for ``day``, all or none of each."""
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM quota_usage WHERE day < ?", (day,))  # yesterday's counts are spent
            granted, short = wanted, None
            for holder, limit in holders:
                async with conn.execute("SELECT calls FROM quota_usage WHERE day = ? AND holder = ?",
                                        (day, holder)) as cursor:
                    row = await cursor.fetchone()
                left = max(0, limit - (int(row[0]) if row else 0))
                if left < granted:
                    granted, short = left, holder
            if granted > 0:
                await _add(conn, day, [h for h, _ in holders], granted)
            return Grant(granted, short)

    async def adjust(self, day: str, holders: Iterable[str], delta: int) -> None:
        """Replace a reservation by what was really spent (``delta`` may be negative: a refund)."""
        if delta:
            async with self.db.write() as conn:
                await _add(conn, day, list(holders), delta)

    async def used(self, day: str, holder: str) -> int:
        row = await self.db.fetchone("SELECT calls FROM quota_usage WHERE day = ? AND holder = ?", (day, holder))
        return int(row[0]) if row else 0

    async def last_call_id(self) -> int:
        """The newest ``llm_calls`` row: calls after it are the ones a command caused."""
        row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM llm_calls")
        return int(row[0]) if row else 0

    async def calls_since(self, after_id: int, paper_ids: Iterable[str]) -> int:
        """Model requests recorded after ``after_id`` for these papers (one row per HTTP request)."""
        ids = sorted(set(paper_ids))
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM llm_calls WHERE id > ? AND paper_id IN ({marks})", (after_id, *ids)
        )
        return int(row[0]) if row else 0


async def _add(conn: aiosqlite.Connection, day: str, holders: list[str], calls: int) -> None:
    if calls < 0:  # a refund never creates a row (the day may have been pruned since the reservation)
        await conn.executemany("UPDATE quota_usage SET calls = MAX(0, calls + ?) WHERE day = ? AND holder = ?",
                               [(calls, day, holder) for holder in holders])
        return
    await conn.executemany(
        """INSERT INTO quota_usage (day, holder, calls) VALUES (?, ?, ?)
           ON CONFLICT(day, holder) DO UPDATE SET calls = quota_usage.calls + excluded.calls""",
        [(day, holder, calls) for holder in holders],
    )
