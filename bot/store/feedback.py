"""👍/👎 votes and followed authors, per audience.

An audience is what learns: a chat (``chat:<platform>:<chat_id>``), whose ranking every
member's taps train, or one person's digest (``user:<platform>:<user_id>``). Each member
has one vote per paper per audience; voting again replaces it.

Every change to an audience's votes or followed authors bumps its revision in
``feedback_revisions`` (triggers, migrations 14 and 15), whichever process made it: a running bot
sees a ``paperbot like`` from the shell at its next digest, with no restart.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.db import Database


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def vote(self, audiences: Sequence[str], user: str, paper_ids: Sequence[str], value: int) -> None:
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO feedback (audience, paper_id, user, value, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (audience, paper_id, user) DO UPDATE SET value = excluded.value, at = excluded.at",
                [(a, pid, user, value, self.db.utcnow()) for a in audiences for pid in paper_ids],
            )

    async def revision(self, audience: str) -> int:
        """How many times the audience's votes or followed authors changed: 0 before any."""
        row = await self.db.fetchone("SELECT revision FROM feedback_revisions WHERE audience = ?", (audience,))
        return 0 if row is None else int(row["revision"])

    async def votes(self, audience: str) -> dict[str, float]:
        """Each voted paper's share of 👍 among the audience's members (1.0: everyone liked it)."""
        rows = await self.db.fetchall(
            "SELECT paper_id, AVG(value) AS share FROM feedback WHERE audience = ? GROUP BY paper_id "
            "ORDER BY MAX(at), paper_id", (audience,))
        return {r["paper_id"]: float(r["share"]) for r in rows}

    async def user_vote(self, audience: str, paper_id: str, user: str) -> int | None:
        row = await self.db.fetchone("SELECT value FROM feedback WHERE audience = ? AND paper_id = ? AND user = ?",
                                     (audience, paper_id, user))
        return None if row is None else int(row["value"])

    async def unvote(self, audiences: Sequence[str], user: str, paper_id: str) -> None:
        """Take one member's vote back: a second tap of the same button undoes the first."""
        async with self.db.write() as conn:
            await conn.executemany("DELETE FROM feedback WHERE audience = ? AND paper_id = ? AND user = ?",
                                   [(a, paper_id, user) for a in audiences])

    async def tally(self, audience: str, paper_id: str) -> tuple[int, int]:
        """How many members of the audience gave the paper 👍 and 👎: what the buttons show."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(value = 1), 0) AS up, COALESCE(SUM(value = 0), 0) AS down FROM feedback "
            "WHERE audience = ? AND paper_id = ?", (audience, paper_id))
        return (0, 0) if row is None else (int(row["up"]), int(row["down"]))

    async def reset(self, audience: str) -> int:
        async with self.db.write() as conn:
            cursor = await conn.execute("DELETE FROM feedback WHERE audience = ?", (audience,))
            count = cursor.rowcount
        return count

    async def follow(self, audience: str, name: str, key: str, user: str) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO followed_authors (audience, name, key, created_by, at) VALUES (?, ?, ?, ?, ?)",
                (audience, name, key, user, self.db.utcnow()))
            added = cursor.rowcount > 0
        return added

    async def unfollow(self, audience: str, key: str) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute("DELETE FROM followed_authors WHERE audience = ? AND key = ?", (audience, key))
            removed = cursor.rowcount > 0
        return removed

    async def followed(self, audience: str) -> list[str]:
        rows = await self.db.fetchall("SELECT name FROM followed_authors WHERE audience = ? ORDER BY at, name",
                                      (audience,))
        return [r["name"] for r in rows]

    async def all_votes(self) -> list[tuple[str, str, str, int, str]]:
        """Every vote as (audience, paper id, user, value, at), for ``paperbot export``."""
        rows = await self.db.fetchall("SELECT audience, paper_id, user, value, at FROM feedback "
                                      "ORDER BY audience, at, paper_id, user")
        return [(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]

    async def all_followed(self) -> list[tuple[str, str, str | None, str]]:
        """Every followed author as (audience, name, created by, at), for ``paperbot export``."""
        rows = await self.db.fetchall("SELECT audience, name, created_by, at FROM followed_authors "
                                      "ORDER BY audience, at, name")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def restore(self, votes: Sequence[tuple[str, str, str, int, str]],
                      followed: Sequence[tuple[str, str, str, str | None, str]]) -> None:
        """Write exported votes and followed authors (with their keys) as they were, times included."""
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO feedback (audience, paper_id, user, value, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (audience, paper_id, user) DO UPDATE SET value = excluded.value, at = excluded.at",
                votes)
            await conn.executemany(
                "INSERT OR IGNORE INTO followed_authors (audience, name, key, created_by, at) VALUES (?, ?, ?, ?, ?)",
                followed)
