"""Per-user topic filters and personal digest settings (delivered by direct message)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, time

from bot.models import ChatRef
from bot.store.chats import DEFAULT_WEEKDAYS, format_weekdays, parse_weekdays
from bot.store.db import Database
from bot.store.quotas import check_cap, exists


@dataclass(frozen=True)
class UserFilter:
    kind: str  # include | mute
    value: str


@dataclass(frozen=True)
class UserDigest:
    platform: str
    user_id: str
    dm_chat_id: str
    enabled: bool
    at_time: time
    timezone: str
    weekdays: tuple[int, ...]
    language: str | None
    paused_reason: str | None
    last_sent_day: date | None

    @property
    def target(self) -> str:
        return f"user:{self.platform}:{self.user_id}"

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.platform, self.dm_chat_id, "private")


class FilterStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, platform: str, user_id: str, kind: str, value: str, *, limit: int | None = None) -> bool:
        """False if the filter exists; :class:`LimitReached` if the user already has ``limit`` (checked atomically)."""
        async with self.db.write() as conn:
            if not await exists(conn, "SELECT 1 FROM user_filters WHERE platform = ? AND user_id = ? AND kind = ? "
                                      "AND value = ?", (platform, user_id, kind, value)):
                await check_cap(conn, "filters", "user", limit, "SELECT COUNT(*) FROM user_filters WHERE platform = ? "
                                "AND user_id = ?", (platform, user_id))
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO user_filters (platform, user_id, kind, value, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (platform, user_id, kind, value, self.db.utcnow()),
            )
            return cursor.rowcount > 0

    async def remove(self, platform: str, user_id: str, value: str) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM user_filters WHERE platform = ? AND user_id = ? AND value = ?", (platform, user_id, value)
            )
            return cursor.rowcount > 0

    async def of_user(self, platform: str, user_id: str) -> list[UserFilter]:
        rows = await self.db.fetchall(
            "SELECT kind, value FROM user_filters WHERE platform = ? AND user_id = ? ORDER BY kind, created_at",
            (platform, user_id),
        )
        return [UserFilter(r["kind"], r["value"]) for r in rows]

    async def all(self) -> dict[tuple[str, str], list[UserFilter]]:
        rows = await self.db.fetchall("SELECT platform, user_id, kind, value FROM user_filters ORDER BY created_at")
        result: dict[tuple[str, str], list[UserFilter]] = {}
        for r in rows:
            result.setdefault((r["platform"], r["user_id"]), []).append(UserFilter(r["kind"], r["value"]))
        return result

    async def set_digest(
        self, platform: str, user_id: str, dm_chat_id: str, enabled: bool, at_time: time, timezone: str,
        language: str | None = None, weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS,
    ) -> UserDigest:
        await self.db.execute(
            """INSERT INTO user_digests (platform, user_id, dm_chat_id, enabled, at_time, timezone, weekdays, language)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(platform, user_id) DO UPDATE SET dm_chat_id = excluded.dm_chat_id,
                   enabled = excluded.enabled, at_time = excluded.at_time, timezone = excluded.timezone,
                   weekdays = excluded.weekdays, language = COALESCE(excluded.language, user_digests.language),
                   paused_reason = NULL, paused_at = NULL""",
            (platform, user_id, dm_chat_id, int(enabled), at_time.strftime("%H:%M"), timezone,
             format_weekdays(weekdays), language),
        )
        digest = await self.get_digest(platform, user_id)
        assert digest is not None
        return digest

    async def get_digest(self, platform: str, user_id: str) -> UserDigest | None:
        row = await self.db.fetchone(
            "SELECT * FROM user_digests WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return _digest(row) if row else None

    async def digests(self, enabled_only: bool = True) -> list[UserDigest]:
        where = " WHERE enabled = 1" if enabled_only else ""
        rows = await self.db.fetchall("SELECT * FROM user_digests" + where + " ORDER BY platform, user_id")
        return [_digest(r) for r in rows]

    async def set_last_sent(self, platform: str, user_id: str, day: date) -> None:
        await self.db.execute(
            "UPDATE user_digests SET last_sent_day = ? WHERE platform = ? AND user_id = ?",
            (day.isoformat(), platform, user_id),
        )


def _digest(row: sqlite3.Row) -> UserDigest:
    hh, mm = row["at_time"].split(":")
    return UserDigest(
        platform=row["platform"], user_id=row["user_id"], dm_chat_id=row["dm_chat_id"], enabled=bool(row["enabled"]),
        at_time=time(int(hh), int(mm)), timezone=row["timezone"], weekdays=parse_weekdays(row["weekdays"]),
        language=row["language"], paused_reason=row["paused_reason"],
        last_sent_day=date.fromisoformat(row["last_sent_day"]) if row["last_sent_day"] else None,
    )
