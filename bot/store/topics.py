"""User-defined topics; the presets live in code (``bot.topics.presets``)."""

from __future__ import annotations

import json

from bot.models import Topic
from bot.store.db import Database
from bot.store.quotas import NO_CAPS, Caps, check_cap, exists


class TopicStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, topic: Topic, *, created_by: str | None = None, caps: Caps = NO_CAPS) -> None:
        """Define or redefine a topic; a new one past ``caps`` raises :class:`LimitReached` and writes nothing."""
        owner = topic.owner or ""
        async with self.db.write() as conn:
            if not await exists(conn, "SELECT 1 FROM topics WHERE name = ? AND owner = ?", (topic.name, owner)):
                if owner:
                    await check_cap(conn, "topics", "chat", caps.per_chat,
                                    "SELECT COUNT(*) FROM topics WHERE owner = ?", (owner,))
                if created_by:
                    await check_cap(conn, "topics", "user", caps.per_user,
                                    "SELECT COUNT(*) FROM topics WHERE created_by = ?", (created_by,))
            await conn.execute(
                """INSERT INTO topics (name, owner, title, description, categories, expression, created_at, created_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(name, owner) DO UPDATE SET title = excluded.title, description = excluded.description,
                       categories = excluded.categories, expression = excluded.expression""",
                (topic.name, owner, topic.title, topic.description, json.dumps(list(topic.categories)),
                 topic.expression, self.db.utcnow(), created_by),
            )

    async def delete(self, name: str, owner: str | None) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute("DELETE FROM topics WHERE name = ? AND owner = ?", (name, owner or ""))
            return cursor.rowcount > 0

    async def visible_to(self, owner: str | None) -> list[Topic]:
        """Shared topics plus those defined in this chat."""
        rows = await self.db.fetchall(
            "SELECT * FROM topics WHERE owner = '' OR owner = ? ORDER BY name", (owner or "",)
        )
        return [_topic(r) for r in rows]

    async def all(self) -> list[Topic]:
        return [_topic(r) for r in await self.db.fetchall("SELECT * FROM topics ORDER BY owner, name")]


def _topic(row: object) -> Topic:
    r = row  # sqlite3.Row
    return Topic(
        name=r["name"], title=r["title"], categories=tuple(json.loads(r["categories"])),  # type: ignore[index]
        expression=r["expression"], description=r["description"], builtin=False,  # type: ignore[index]
        owner=r["owner"] or None,  # type: ignore[index]
    )
