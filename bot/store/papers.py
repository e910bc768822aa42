"""Papers, which days announced them, and which feeds were already fetched.

Papers are keyed by the arXiv id without version and keep the latest version seen,
so a replacement updates the row instead of creating a second paper.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.models import DayPapers, Paper
from bot.store.db import Database


class PaperStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(self, papers: Iterable[Paper]) -> None:
        rows = [
            (
                p.id, p.version, p.title, json.dumps(list(p.authors), ensure_ascii=False), p.abstract,
                p.comment, json.dumps(list(p.categories)), p.primary_category,
                _iso(p.published), _iso(p.updated), p.license, self.db.utcnow(),
            )
            for p in papers
        ]
        if not rows:
            return
        await self.db.executemany(
            """
            INSERT INTO papers (id, version, title, authors, abstract, comment, categories,
                                primary_category, published, updated, license, fetched_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
                version = excluded.version, title = excluded.title, authors = excluded.authors,
                abstract = excluded.abstract, comment = COALESCE(excluded.comment, papers.comment),
                categories = excluded.categories,
                primary_category = COALESCE(excluded.primary_category, papers.primary_category),
                published = COALESCE(excluded.published, papers.published),
                updated = COALESCE(excluded.updated, papers.updated),
                license = COALESCE(excluded.license, papers.license), fetched_at = excluded.fetched_at
            WHERE excluded.version >= papers.version
            """,
            rows,
        )

    async def get(self, paper_id: str) -> Paper | None:
        row = await self.db.fetchone("SELECT * FROM papers WHERE id = ?", (paper_id,))
        return _paper(row) if row else None

    async def get_many(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(paper_ids), 500):
            chunk = list(paper_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in await self.db.fetchall(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
                found[row["id"]] = _paper(row)
        return found

    async def save_day(self, categories: Sequence[str], day_papers: DayPapers) -> None:
        """Remember one announcement day for these categories, so no chat refetches it."""
        await self.upsert(day_papers.papers)
        key = "+".join(sorted(set(categories)))
        day = day_papers.day.isoformat()
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT OR REPLACE INTO announcements (day, paper_id, announce_type) VALUES (?, ?, ?)",
                [(day, p.id, p.announce_type or "new") for p in day_papers.papers],
            )
            await conn.execute(
                "INSERT OR REPLACE INTO fetches (day, categories, no_announcement, fetched_at) VALUES (?, ?, ?, ?)",
                (day, key, int(day_papers.no_announcement), self.db.utcnow()),
            )

    async def load_day(self, categories: Sequence[str], day: date) -> DayPapers | None:
        """The stored announcement day covering ``categories``, or None if it was never fetched."""
        wanted = set(categories)
        rows = await self.db.fetchall(
            "SELECT categories, no_announcement FROM fetches WHERE day = ?", (day.isoformat(),)
        )
        covering = [r for r in rows if wanted <= set(r["categories"].split("+"))]
        if not covering:
            return None
        if all(r["no_announcement"] for r in covering):
            return DayPapers(day=day, papers=[], no_announcement=True)
        paper_rows = await self.db.fetchall(
            """SELECT p.*, a.announce_type AS announce_type FROM announcements a JOIN papers p ON p.id = a.paper_id
               WHERE a.day = ? ORDER BY p.id""",
            (day.isoformat(),),
        )
        papers = [_paper(r, announced=day) for r in paper_rows]
        papers = [p for p in papers if wanted & set(p.categories)]
        return DayPapers(day=day, papers=papers)

    async def author_names(self, limit: int = 20_000) -> set[str]:
        """Every author name printed on the ``limit`` most recently stored papers (for /follow's suggestions)."""
        rows = await self.db.fetchall("SELECT authors FROM papers ORDER BY rowid DESC LIMIT ?", (limit,))
        return {name for row in rows for name in json.loads(row["authors"])}

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM papers")
        return int(row[0]) if row else 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _paper(row: sqlite3.Row, announced: date | None = None) -> Paper:
    keys = row.keys()
    return Paper(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        authors=tuple(json.loads(row["authors"])),
        abstract=row["abstract"],
        comment=row["comment"],
        categories=tuple(json.loads(row["categories"])),
        primary_category=row["primary_category"],
        published=datetime.fromisoformat(row["published"]) if row["published"] else None,
        updated=datetime.fromisoformat(row["updated"]) if row["updated"] else None,
        license=row["license"],
        announce_type=row["announce_type"] if "announce_type" in keys else None,
        announced=announced,
    )
