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

from bot.store.db import Database


@dataclass(frozen=True)
class DigestPlan:
    id: int
    target: str
    day: date
    platform: str
    chat_id: str
    status: str  # planned | sent | empty | failed
    paper_ids: tuple[str, ...]
    sent_parts: frozenset[int]
    summaries: tuple[str | None, ...] = ()  # JSON of the summary shown per paper, in order
    language: str | None = None
    more: int = 0
    reasons: tuple[str | None, ...] = ()  # the rendered reason per paper, in order


class DeliveryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def plan(self, target: str, day: date, platform: str, chat_id: str, paper_ids: Sequence[str],
                   summaries: Sequence[str | None] = (), language: str | None = None, more: int = 0,
                   reasons: Sequence[str | None] = ()) -> DigestPlan:
        """Record the plan once; a second call for the same target and day returns the first plan.

        ``summaries`` are the exact texts to show, so a digest resumed after a crash renders
        the same messages even if a model answers differently the second time.
        """
        texts = list(summaries) + [None] * (len(paper_ids) - len(summaries))
        why = list(reasons) + [None] * (len(paper_ids) - len(reasons))
        async with self.db.write() as conn:
            cursor = await conn.execute(
                """INSERT OR IGNORE INTO digests (target, day, platform, chat_id, status, planned_at, language, more)
                   VALUES (?, ?, ?, ?, 'planned', ?, ?, ?)""",
                (target, day.isoformat(), platform, chat_id, self.db.utcnow(), language, more),
            )
            if cursor.rowcount:
                digest_id = cursor.lastrowid
                await conn.executemany(
                    "INSERT INTO deliveries (digest_id, paper_id, position, summary, reason) VALUES (?, ?, ?, ?, ?)",
                    [(digest_id, pid, i, text, r)
                     for i, (pid, text, r) in enumerate(zip(paper_ids, texts, why, strict=True))],
                )
        plan = await self.get(target, day)
        assert plan is not None
        return plan

    async def shown_before(self, target: str, day: date) -> set[str]:
        """Papers this target was sent in a digest of an earlier day.

        A replacement, a cross-list announced later or a multi-day catch-up can bring a
        paper back; an audience that has seen it once does not get it again.
        """
        rows = await self.db.fetchall(
            "SELECT DISTINCT d.paper_id FROM deliveries d JOIN digests g ON g.id = d.digest_id "
            "WHERE g.target = ? AND g.day < ? AND g.status = 'sent'", (target, day.isoformat()))
        return {r[0] for r in rows}

    async def get(self, target: str, day: date) -> DigestPlan | None:
        row = await self.db.fetchone("SELECT * FROM digests WHERE target = ? AND day = ?", (target, day.isoformat()))
        if row is None:
            return None
        papers = await self.db.fetchall(
            "SELECT paper_id, summary, reason FROM deliveries WHERE digest_id = ? ORDER BY position", (row["id"],)
        )
        parts = await self.db.fetchall("SELECT part FROM sent_messages WHERE digest_id = ?", (row["id"],))
        return DigestPlan(
            id=row["id"], target=row["target"], day=date.fromisoformat(row["day"]), platform=row["platform"],
            chat_id=row["chat_id"], status=row["status"], paper_ids=tuple(r[0] for r in papers),
            sent_parts=frozenset(int(r[0]) for r in parts), summaries=tuple(r[1] for r in papers),
            language=row["language"], more=row["more"], reasons=tuple(r[2] for r in papers),
        )

    async def record_part(self, digest_id: int, part: int, message_ids: Sequence[str]) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO sent_messages (digest_id, part, message_ids, sent_at) VALUES (?, ?, ?, ?)",
            (digest_id, part, json.dumps(list(message_ids)), self.db.utcnow()),
        )

    async def finish(self, digest_id: int, status: str, parts_total: int) -> None:
        await self.db.execute(
            "UPDATE digests SET status = ?, parts_total = ?, finished_at = ? WHERE id = ?",
            (status, parts_total, self.db.utcnow(), digest_id),
        )

    async def count_messages(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM sent_messages")
        return int(row[0]) if row else 0
