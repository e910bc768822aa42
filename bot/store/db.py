"""The SQLite connection pair: one writer behind a lock, one reader.

Why two connections: aiosqlite connections share one transaction between every task
that uses them, so one task's rollback would discard another's writes. All writes go
through :meth:`Database.write`, which holds a lock and opens ``BEGIN IMMEDIATE``
(under WAL a deferred transaction that upgrades to a write fails at once with
"database is locked", ignoring the busy timeout).

Another process may hold the write lock (a backup, ``sqlite3`` in a shell). A write
waits for it for :data:`WRITE_BUSY_SECONDS` at most, retrying with short sleeps that
leave the event loop free, then raises :class:`StorageBusy`; a full disk (or
``max_page_count``) raises :class:`StorageFull`. Both roll back, so nothing changed,
and the dispatcher tells the user so instead of "something went wrong".
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import Clock, system_clock
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]

WRITE_BUSY_SECONDS = 3.0  # how long a write waits for another connection's lock (Discord answers within 3 s)
_BUSY_STEP_MS = 200  # one attempt's own busy wait inside SQLite
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


class StorageError(Exception):
    """A write could not be made; it was rolled back. ``kind`` is "busy" or "full"."""

    kind = "error"


class StorageBusy(StorageError):
    kind = "busy"


class StorageFull(StorageError):
    kind = "full"


def _storage_error(exc: sqlite3.Error) -> StorageError | None:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageBusy(str(exc))
    if name.startswith("SQLITE_FULL"):
        return StorageFull(str(exc))
    return None


class Database:
    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: str,
                 clock: Clock = system_clock) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self.path = path
        self.clock = clock

    def utcnow(self) -> str:
        """The clock's "now" as stored in every ``*_at`` column (UTC, ISO 8601, seconds)."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    @classmethod
    async def open(cls, path: str | Path, clock: Clock = system_clock) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await writer.execute("PRAGMA journal_mode=WAL")
            await _migrate(writer)
            # Writes wait in short steps so Database._begin can give up in time; readers (WAL) never wait.
            await writer.execute(f"PRAGMA busy_timeout={_BUSY_STEP_MS}")
            reader = writer if path == ":memory:" else await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader, path, clock)

    async def close(self) -> None:
        if self._reader is not self._writer:
            await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on success, rolls back on any error.

        Raises :class:`StorageBusy` or :class:`StorageFull` (after rolling back) for a
        lock held elsewhere for too long or a full database.
        """
        async with self._lock:
            await self._begin()
            try:
                yield self._writer
                await self._writer.commit()
            except BaseException as exc:
                if self._writer.in_transaction:
                    await self._writer.rollback()
                storage = _storage_error(exc) if isinstance(exc, sqlite3.Error) else None
                if storage is not None:
                    raise storage from exc
                raise

    async def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, retried while another connection holds the write lock."""
        deadline = time.monotonic() + WRITE_BUSY_SECONDS
        attempt = 0
        while True:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorname", "") not in _BUSY:
                    storage = _storage_error(exc)
                    if storage is None:
                        raise
                    raise storage from exc
                if time.monotonic() >= deadline:
                    log.warning("database is locked by another connection; giving up",
                                extra={"seconds": WRITE_BUSY_SECONDS, "attempts": attempt + 1})
                    raise StorageBusy(str(exc)) from exc
            attempt += 1
            await asyncio.sleep(min(0.05 * 2**attempt, 0.5, max(0.0, deadline - time.monotonic())))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns lastrowid."""
        async with self.write() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.write() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # One call into aiosqlite's thread: a cursor left open between awaits would keep a
        # read snapshot alive, and other tasks' reads on this connection would miss new rows.
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0


async def _connect(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=30000")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema {current} is newer than this paperbot ({SCHEMA_VERSION}); upgrade paperbot"
        )
    for number in range(current + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[number - 1]
        # One script, one transaction: a failed migration leaves the previous version intact.
        await conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        log.info("database migrated", extra={"schema_version": number})


async def get_meta(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return str(row[0]) if row else None


async def set_meta(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, db.utcnow()),
    )
