"""Chats, their settings, and the subscriptions that post digests into them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time

from bot.models import ChatKind, ChatRef
from bot.store.db import Database
from bot.store.quotas import NO_CAPS, Caps, check_cap, exists

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# arXiv announces Sunday to Thursday at 20:00 US Eastern; the listings are dated Monday to Friday.
DEFAULT_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class ChatSettings:
    chat: ChatRef
    title: str | None
    language: str | None
    timezone: str | None
    max_papers: int | None
    figures: bool
    paused_reason: str | None
    also_relevant: bool = False


@dataclass(frozen=True)
class Subscription:
    id: int
    chat: ChatRef
    topic: str
    at_time: time
    timezone: str
    weekdays: tuple[int, ...]  # 0 = Monday, as in datetime.weekday()
    created_by: str | None
    paused_reason: str | None
    paused_at: str | None
    last_sent_day: date | None

    @property
    def target(self) -> str:
        return f"sub:{self.id}"


def format_weekdays(days: tuple[int, ...]) -> str:
    return ",".join(WEEKDAY_NAMES[d] for d in sorted(set(days)))


def parse_weekdays(text: str) -> tuple[int, ...]:
    return tuple(WEEKDAY_NAMES.index(part) for part in text.split(",") if part)


class ChatStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(self, chat: ChatRef, title: str | None = None) -> None:
        await self.db.execute(
            """INSERT INTO chats (platform, chat_id, kind, title, created_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(platform, chat_id) DO UPDATE SET kind = excluded.kind,
                   title = COALESCE(excluded.title, chats.title)""",
            (chat.platform, chat.chat_id, chat.kind, title, self.db.utcnow()),
        )

    async def settings(self, chat: ChatRef) -> ChatSettings:
        row = await self.db.fetchone(
            "SELECT * FROM chats WHERE platform = ? AND chat_id = ?", (chat.platform, chat.chat_id)
        )
        if row is None:
            return ChatSettings(chat, None, None, None, None, False, None)
        return _settings(row, chat)

    async def update(self, chat: ChatRef, **values: object) -> None:
        allowed = {"language", "timezone", "max_papers", "figures", "title", "also_relevant"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown chat settings: {unknown}")
        await self.ensure(chat)
        assignments = ", ".join(f"{name} = ?" for name in values)
        await self.db.execute(
            f"UPDATE chats SET {assignments} WHERE platform = ? AND chat_id = ?",
            (*values.values(), chat.platform, chat.chat_id),
        )

    async def all(self) -> list[ChatSettings]:
        rows = await self.db.fetchall("SELECT * FROM chats ORDER BY platform, chat_id")
        return [_settings(r, ChatRef(r["platform"], r["chat_id"], r["kind"])) for r in rows]

    async def pause(self, platform: str, chat_id: str, reason: str) -> int:
        """Pause a chat and every subscription in it; returns how many subscriptions were paused."""
        now = self.db.utcnow()
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE chats SET paused_reason = ?, paused_at = ? WHERE platform = ? AND chat_id = ?",
                (reason, now, platform, chat_id),
            )
            cursor = await conn.execute(
                """UPDATE subscriptions SET paused_reason = ?, paused_at = ?
                   WHERE platform = ? AND chat_id = ? AND paused_reason IS NULL""",
                (reason, now, platform, chat_id),
            )
            await conn.execute(
                "UPDATE user_digests SET paused_reason = ?, paused_at = ? WHERE platform = ? AND dm_chat_id = ?",
                (reason, now, platform, chat_id),
            )
            return cursor.rowcount

    async def resume(self, platform: str, chat_id: str) -> int:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE chats SET paused_reason = NULL, paused_at = NULL WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            )
            cursor = await conn.execute(
                "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            )
            await conn.execute(
                "UPDATE user_digests SET paused_reason = NULL, paused_at = NULL WHERE platform = ? AND dm_chat_id = ?",
                (platform, chat_id),
            )
            return cursor.rowcount

    async def migrate(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A Telegram group became a supergroup: move everything to the new id."""
        async with self.db.write() as conn:
            await conn.execute("PRAGMA defer_foreign_keys = ON")
            await conn.execute(
                """INSERT OR IGNORE INTO chats (platform, chat_id, kind, title, language, timezone, max_papers,
                       figures, paused_reason, paused_at, created_at, also_relevant)
                   SELECT platform, ?, 'group', title, language, timezone, max_papers, figures, NULL, NULL, created_at,
                       also_relevant
                   FROM chats WHERE platform = ? AND chat_id = ?""",
                (new_chat_id, platform, old_chat_id),
            )
            await conn.execute(
                """UPDATE OR IGNORE subscriptions SET chat_id = ?, paused_reason = NULL, paused_at = NULL
                   WHERE platform = ? AND chat_id = ?""",
                (new_chat_id, platform, old_chat_id),
            )
            await conn.execute(
                "UPDATE digests SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new_chat_id, platform, old_chat_id),
            )
            await conn.execute(
                "UPDATE OR IGNORE topics SET owner = ? WHERE owner = ?",
                (f"{platform}:{new_chat_id}", f"{platform}:{old_chat_id}"),
            )
            for table in ("reading_list", "reading_saves"):  # the reading list moves with the group
                await conn.execute(f"UPDATE OR IGNORE {table} SET chat = ? WHERE chat = ?",
                                   (f"{platform}:{new_chat_id}", f"{platform}:{old_chat_id}"))
            await conn.execute("UPDATE OR IGNORE group_picks SET chat_id = ?, kind = 'group' "
                               "WHERE platform = ? AND chat_id = ?", (new_chat_id, platform, old_chat_id))
            # The group's 👍/👎, followed authors and trained models are its ranking: they move too
            # (the triggers bump both audiences' revisions, so no cached profile survives).
            audiences = (f"chat:{platform}:{new_chat_id}", f"chat:{platform}:{old_chat_id}")
            for table in ("feedback", "followed_authors", "ranking_models"):
                await conn.execute(f"UPDATE OR IGNORE {table} SET audience = ? WHERE audience = ?", audiences)
                await conn.execute(f"DELETE FROM {table} WHERE audience = ?", audiences[1:])
            await conn.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?", (platform, old_chat_id)
            )
            await conn.execute("DELETE FROM chats WHERE platform = ? AND chat_id = ?", (platform, old_chat_id))


class SubscriptionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self, chat: ChatRef, topic: str, at_time: time, timezone: str,
        weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS, created_by: str | None = None, caps: Caps = NO_CAPS,
    ) -> Subscription:
        """Create or update a subscription; re-subscribing also resumes a paused one.

        A new subscription past ``caps`` raises :class:`LimitReached`; the check and the
        insert share one write transaction, so concurrent /subscribe cannot pass the cap.
        """
        async with self.db.write() as conn:
            if not await exists(conn, "SELECT 1 FROM subscriptions WHERE platform = ? AND chat_id = ? AND topic = ?",
                                (chat.platform, chat.chat_id, topic)):
                await check_cap(conn, "subscriptions", "chat", caps.per_chat,
                                "SELECT COUNT(*) FROM subscriptions WHERE platform = ? AND chat_id = ?",
                                (chat.platform, chat.chat_id))
                if created_by:
                    await check_cap(conn, "subscriptions", "user", caps.per_user,
                                    "SELECT COUNT(*) FROM subscriptions WHERE created_by = ?", (created_by,))
            await conn.execute(
                """INSERT INTO chats (platform, chat_id, kind, created_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT(platform, chat_id) DO UPDATE SET paused_reason = NULL, paused_at = NULL""",
                (chat.platform, chat.chat_id, chat.kind, self.db.utcnow()),
            )
            await conn.execute(
                """INSERT INTO subscriptions (platform, chat_id, thread_id, topic, at_time, timezone, weekdays,
                                              created_by, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(platform, chat_id, topic) DO UPDATE SET
                       thread_id = excluded.thread_id, at_time = excluded.at_time, timezone = excluded.timezone,
                       weekdays = excluded.weekdays, paused_reason = NULL, paused_at = NULL""",
                (chat.platform, chat.chat_id, chat.thread_id, topic, at_time.strftime("%H:%M"), timezone,
                 format_weekdays(weekdays), created_by, self.db.utcnow()),
            )
        sub = await self.get_by_topic(chat, topic)
        assert sub is not None
        return sub

    async def get(self, sub_id: int) -> Subscription | None:
        row = await self.db.fetchone(_SELECT + " WHERE s.id = ?", (sub_id,))
        return _subscription(row) if row else None

    async def get_by_topic(self, chat: ChatRef, topic: str) -> Subscription | None:
        row = await self.db.fetchone(
            _SELECT + " WHERE s.platform = ? AND s.chat_id = ? AND s.topic = ?", (chat.platform, chat.chat_id, topic)
        )
        return _subscription(row) if row else None

    async def for_chat(self, chat: ChatRef) -> list[Subscription]:
        rows = await self.db.fetchall(
            _SELECT + " WHERE s.platform = ? AND s.chat_id = ? ORDER BY s.topic", (chat.platform, chat.chat_id)
        )
        return [_subscription(r) for r in rows]

    async def all(self, include_paused: bool = True) -> list[Subscription]:
        where = "" if include_paused else " WHERE s.paused_reason IS NULL"
        rows = await self.db.fetchall(_SELECT + where + " ORDER BY s.id")
        return [_subscription(r) for r in rows]

    async def schedules(self) -> list[tuple[str, str | None, str, str, str]]:
        """(target, chat key or None, at_time, timezone, weekdays) of every subscription and enabled
        personal digest, in one query and as plain columns: the scheduler's start-up reads only this."""
        rows = await self.db.fetchall(
            """SELECT 'sub:' || id, platform || ':' || chat_id, at_time, timezone, weekdays FROM subscriptions
               UNION ALL
               SELECT 'user:' || platform || ':' || user_id, NULL, at_time, timezone, weekdays
               FROM user_digests WHERE enabled = 1"""
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def remove(self, chat: ChatRef, topic: str | None) -> list[int]:
        """Remove one topic's subscription, or all of a chat's when topic is None; returns removed ids."""
        params: tuple[object, ...] = (chat.platform, chat.chat_id)
        where = "platform = ? AND chat_id = ?"
        if topic is not None:
            where += " AND topic = ?"
            params += (topic,)
        async with self.db.write() as conn:
            async with conn.execute(f"SELECT id FROM subscriptions WHERE {where}", params) as cur:
                ids = [int(r[0]) for r in await cur.fetchall()]
            await conn.execute(f"DELETE FROM subscriptions WHERE {where}", params)
        return ids

    async def move_to_zone(self, chat: ChatRef, timezone: str, weekdays_for: Callable[[time], tuple[int, ...]]) -> int:
        """Keep each subscription's local time but in a new zone; returns how many moved."""
        subs = await self.for_chat(chat)
        async with self.db.write() as conn:
            for sub in subs:
                await conn.execute("UPDATE subscriptions SET timezone = ?, weekdays = ? WHERE id = ?",
                                   (timezone, format_weekdays(weekdays_for(sub.at_time)), sub.id))
        return len(subs)

    async def set_last_sent(self, sub_id: int, day: date) -> None:
        await self.db.execute(
            "UPDATE subscriptions SET last_sent_day = ? WHERE id = ? AND (last_sent_day IS NULL OR last_sent_day < ?)",
            (day.isoformat(), sub_id, day.isoformat()),
        )

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM subscriptions")
        return int(row[0]) if row else 0


_SELECT = (
    "SELECT s.*, c.kind AS chat_kind FROM subscriptions s "
    "JOIN chats c ON c.platform = s.platform AND c.chat_id = s.chat_id"
)


def _subscription(row: sqlite3.Row) -> Subscription:
    kind: ChatKind = row["chat_kind"]
    hh, mm = row["at_time"].split(":")
    return Subscription(
        id=row["id"],
        chat=ChatRef(row["platform"], row["chat_id"], kind, row["thread_id"]),
        topic=row["topic"],
        at_time=time(int(hh), int(mm)),
        timezone=row["timezone"],
        weekdays=parse_weekdays(row["weekdays"]),
        created_by=row["created_by"],
        paused_reason=row["paused_reason"],
        paused_at=row["paused_at"],
        last_sent_day=date.fromisoformat(row["last_sent_day"]) if row["last_sent_day"] else None,
    )


def _settings(row: sqlite3.Row, chat: ChatRef) -> ChatSettings:
    return ChatSettings(
        chat=chat, title=row["title"], language=row["language"], timezone=row["timezone"],
        max_papers=row["max_papers"], figures=bool(row["figures"]), paused_reason=row["paused_reason"],
        also_relevant=bool(row["also_relevant"]),
    )
