"""Digest plans and what was actually sent: the record that makes delivery idempotent.

A digest is planned first (its papers recorded for that target and day), then sent
part by part, each sent part recorded with its message ids. A restart resumes from
the first unrecorded part, so at most the one part in flight at a crash repeats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.store.db import Database, utcnow


@dataclass(frozen=True)
class DigestPlan:
    id: int
    target: str
    day: date
    platform: str
    chat_id: str
    status: str  # planned | sent | skipped
    paper_ids: tuple[str, ...]
    sent_parts: frozenset[int]


class DeliveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def plan(self, target: str, day: date, platform: str, chat_id: str, paper_ids: Sequence[str]) -> DigestPlan:
        """Record the plan once; a second call for the same target and day returns the first plan."""
        async with self.db.write() as conn:
            cursor = await conn.execute(
                """INSERT OR IGNORE INTO digests (target, day, platform, chat_id, status, planned_at)
                   VALUES (?, ?, ?, ?, 'planned', ?)""",
                (target, day.isoformat(), platform, chat_id, utcnow()),
            )
            if cursor.rowcount:
                digest_id = cursor.lastrowid
                await conn.executemany(
                    "INSERT INTO deliveries (digest_id, paper_id, position) VALUES (?, ?, ?)",
                    [(digest_id, pid, i) for i, pid in enumerate(paper_ids)],
                )
        plan = await self.get(target, day)
        assert plan is not None
        return plan

    async def get(self, target: str, day: date) -> DigestPlan | None:
        row = await self.db.fetchone("SELECT * FROM digests WHERE target = ? AND day = ?", (target, day.isoformat()))
        if row is None:
            return None
        papers = await self.db.fetchall(
            "SELECT paper_id FROM deliveries WHERE digest_id = ? ORDER BY position", (row["id"],)
        )
        parts = await self.db.fetchall("SELECT part FROM sent_messages WHERE digest_id = ?", (row["id"],))
        return DigestPlan(
            id=row["id"], target=row["target"], day=date.fromisoformat(row["day"]), platform=row["platform"],
            chat_id=row["chat_id"], status=row["status"], paper_ids=tuple(r[0] for r in papers),
            sent_parts=frozenset(int(r[0]) for r in parts),
        )

    async def record_part(self, digest_id: int, part: int, message_ids: Sequence[str]) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO sent_messages (digest_id, part, message_ids, sent_at) VALUES (?, ?, ?, ?)",
            (digest_id, part, json.dumps(list(message_ids)), utcnow()),
        )

    async def finish(self, digest_id: int, status: str, parts_total: int) -> None:
        await self.db.execute(
            "UPDATE digests SET status = ?, parts_total = ?, finished_at = ? WHERE id = ?",
            (status, parts_total, utcnow(), digest_id),
        )

    async def unfinished(self) -> list[DigestPlan]:
        """Digests planned but not finished: what a restart must complete."""
        rows = await self.db.fetchall("SELECT target, day FROM digests WHERE status = 'planned' ORDER BY id")
        plans = [await self.get(r["target"], date.fromisoformat(r["day"])) for r in rows]
        return [p for p in plans if p is not None]

    async def delivered_papers(self, platform: str, chat_id: str, paper_ids: Sequence[str]) -> set[str]:
        """Which of these papers this chat already received in a finished digest."""
        if not paper_ids:
            return set()
        marks = ",".join("?" * len(paper_ids))
        rows = await self.db.fetchall(
            f"""SELECT DISTINCT d.paper_id FROM deliveries d JOIN digests g ON g.id = d.digest_id
                WHERE g.platform = ? AND g.chat_id = ? AND g.status = 'sent' AND d.paper_id IN ({marks})""",
            (platform, chat_id, *paper_ids),
        )
        return {r[0] for r in rows}

    async def count_messages(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM sent_messages")
        return int(row[0]) if row else 0
