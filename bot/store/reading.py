"""A chat's reading list and its weekly "group picks" schedule.

A paper is on a chat's list once (``reading_list``); everyone who saved it is kept in
``reading_saves``, so ``/reading`` can say who saved it and the weekly picks can count
the most-saved papers. Saving again is a no-op; saving a paper marked read puts it
back on the unread list. The cap is checked inside the write transaction, like every
other cap (see :mod:`bot.store.quotas`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.models import ChatKind, ChatRef
from bot.store.db import Database
from bot.store.quotas import check_cap, exists

SaveOutcome = Literal["added", "joined", "already"]  # new to the list / another member saved it too / no change


@dataclass(frozen=True)
class ReadingEntry:
    paper_id: str
    saved_at: datetime
    savers: tuple[str, ...]  # display names (or user keys), first saver first
    done_at: datetime | None = None


@dataclass(frozen=True)
class PicksSchedule:
    chat: ChatRef
    weekday: int  # 0 = Monday
    at_time: str  # HH:MM
    timezone: str

    @property
    def target(self) -> str:
        return f"picks:{self.chat.key}"


class ReadingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, chat: str, paper_id: str, user: str, user_name: str | None, cap: int | None,
                   at: str | None = None) -> SaveOutcome:
        """Put ``paper_id`` on the list (raises LimitReached at ``cap`` papers) and record the saver."""
        when = at or self.db.utcnow()
        async with self.db.write() as conn:
            listed = await exists(conn, "SELECT 1 FROM reading_list WHERE chat = ? AND paper_id = ?",
                                  (chat, paper_id))
            if not listed:
                await check_cap(conn, "reading", "chat", cap, "SELECT COUNT(*) FROM reading_list WHERE chat = ?",
                                (chat,))
                await conn.execute("INSERT INTO reading_list (chat, paper_id, saved_at) VALUES (?, ?, ?)",
                                   (chat, paper_id, when))
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO reading_saves (chat, paper_id, user, user_name, at) VALUES (?, ?, ?, ?, ?)",
                (chat, paper_id, user, user_name, when))
            saved_now = cursor.rowcount > 0
            reopened = await conn.execute(
                "UPDATE reading_list SET done_at = NULL, done_by = NULL "
                "WHERE chat = ? AND paper_id = ? AND done_at IS NOT NULL", (chat, paper_id))
        if not listed:
            return "added"
        return "joined" if saved_now or reopened.rowcount else "already"

    async def has(self, chat: str, paper_id: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM reading_list WHERE chat = ? AND paper_id = ?",
                                      (chat, paper_id)) is not None

    async def mark_read(self, chat: str, paper_id: str, user: str) -> bool | None:
        """True: marked read; False: it already was; None: not on the list."""
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE reading_list SET done_at = ?, done_by = ? WHERE chat = ? AND paper_id = ? AND done_at IS NULL",
                (self.db.utcnow(), user, chat, paper_id))
            if cursor.rowcount:
                return True
            return False if await exists(conn, "SELECT 1 FROM reading_list WHERE chat = ? AND paper_id = ?",
                                         (chat, paper_id)) else None

    async def clear_read(self, chat: str) -> int:
        """Drop the papers marked read (and their savers); how many went."""
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM reading_saves WHERE chat = ? AND paper_id IN "
                               "(SELECT paper_id FROM reading_list WHERE chat = ? AND done_at IS NOT NULL)",
                               (chat, chat))
            cursor = await conn.execute("DELETE FROM reading_list WHERE chat = ? AND done_at IS NOT NULL", (chat,))
            return cursor.rowcount

    async def entries(self, chat: str, done: bool | None = False) -> list[ReadingEntry]:
        """The list, oldest save first; ``done`` False: unread only, True: read only, None: both."""
        where = "" if done is None else " AND done_at IS NOT NULL" if done else " AND done_at IS NULL"
        rows = await self.db.fetchall(
            f"SELECT paper_id, saved_at, done_at FROM reading_list WHERE chat = ?{where} ORDER BY saved_at, paper_id",
            (chat,))
        savers: dict[str, list[str]] = {}
        for r in await self.db.fetchall(
                "SELECT paper_id, COALESCE(user_name, substr(user, instr(user, ':') + 1)) AS who FROM reading_saves "
                "WHERE chat = ? ORDER BY at, user",
                (chat,)):
            savers.setdefault(r["paper_id"], []).append(r["who"])
        return [ReadingEntry(r["paper_id"], datetime.fromisoformat(r["saved_at"]),
                             tuple(savers.get(r["paper_id"], ())),
                             datetime.fromisoformat(r["done_at"]) if r["done_at"] else None) for r in rows]

    async def most_saved(self, chat: str, since: str, until: str, limit: int) -> list[tuple[str, int]]:
        """(paper id, savers) for saves made in [since, until), most saved first."""
        rows = await self.db.fetchall(
            "SELECT paper_id, COUNT(*) AS n FROM reading_saves WHERE chat = ? AND at >= ? AND at < ? "
            "GROUP BY paper_id ORDER BY n DESC, MIN(at), paper_id LIMIT ?", (chat, since, until, limit))
        return [(r["paper_id"], int(r["n"])) for r in rows]

    async def most_liked(self, audience: str, since: str, until: str, limit: int) -> list[tuple[str, int]]:
        """(paper id, 👍 count) for the audience's likes in [since, until), from the feedback table."""
        rows = await self.db.fetchall(
            "SELECT paper_id, COUNT(*) AS n FROM feedback WHERE audience = ? AND value = 1 AND at >= ? AND at < ? "
            "GROUP BY paper_id ORDER BY n DESC, MIN(at), paper_id LIMIT ?", (audience, since, until, limit))
        return [(r["paper_id"], int(r["n"])) for r in rows]

    # --- the weekly picks schedule -----------------------------------------------------

    async def set_picks(self, chat: ChatRef, weekday: int, at_time: str, zone: str) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO group_picks (platform, chat_id, kind, thread_id, weekday, at_time, timezone) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (chat.platform, chat.chat_id, chat.kind, chat.thread_id, weekday,
                                             at_time, zone))

    async def drop_picks(self, chat: ChatRef) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute("DELETE FROM group_picks WHERE platform = ? AND chat_id = ?",
                                        (chat.platform, chat.chat_id))
            return cursor.rowcount > 0

    async def picks(self, chat_key: str | None = None) -> list[PicksSchedule]:
        """Every chat's picks schedule, or one chat's."""
        sql = "SELECT * FROM group_picks"
        params: tuple[str, ...] = ()
        if chat_key is not None:  # '<platform>:<chat_id>'; platforms have no ':', so the key's first one splits
            platform, _, chat_id = chat_key.partition(":")
            sql += " WHERE platform = ? AND chat_id = ?"  # the primary key, not a scan of every row
            params = (platform, chat_id)
        rows = await self.db.fetchall(sql + " ORDER BY platform, chat_id", params)
        return [PicksSchedule(ChatRef(r["platform"], r["chat_id"], _kind(r["kind"]), r["thread_id"]),
                              int(r["weekday"]), r["at_time"], r["timezone"]) for r in rows]

    # --- paperbot export / import --------------------------------------------------------

    async def all_saves(self) -> list[tuple[str, str, str, str | None, str, str | None, str | None]]:
        """Every save as (chat, paper id, user, user name, at, done at, done by)."""
        rows = await self.db.fetchall(
            "SELECT s.chat, s.paper_id, s.user, s.user_name, s.at, l.done_at, l.done_by FROM reading_saves s "
            "JOIN reading_list l ON l.chat = s.chat AND l.paper_id = s.paper_id ORDER BY s.chat, s.at, s.user")
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    async def restore(self, saves: Sequence[tuple[str, str, str, str | None, str, str | None, str | None]],
                      picks: Sequence[PicksSchedule]) -> None:
        """Write exported saves and picks schedules as they were, times included (no cap: an admin's import)."""
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO reading_list (chat, paper_id, saved_at, done_at, done_by) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (chat, paper_id) DO UPDATE SET saved_at = MIN(saved_at, excluded.saved_at)",
                [(c, p, at, done_at, done_by) for c, p, _, _, at, done_at, done_by in saves])
            await conn.executemany(
                "INSERT OR IGNORE INTO reading_saves (chat, paper_id, user, user_name, at) VALUES (?, ?, ?, ?, ?)",
                [(c, p, u, name, at) for c, p, u, name, at, _, _ in saves])
            await conn.executemany(
                "INSERT OR REPLACE INTO group_picks (platform, chat_id, kind, thread_id, weekday, at_time, timezone) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(s.chat.platform, s.chat.chat_id, s.chat.kind, s.chat.thread_id, s.weekday, s.at_time, s.timezone)
                 for s in picks])


def _kind(value: str) -> ChatKind:
    return value if value in ("private", "group", "channel", "console") else "group"  # type: ignore[return-value]
