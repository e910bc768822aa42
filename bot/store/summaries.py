"""Validated summaries and the cost of every model call that produced them.

A summary is keyed by everything that could change its text: paper and version,
language, kind, model and prompt version. ``llm_calls`` has one row per HTTP request
to a model, so today's row count is the daily budget already spent, and ``stats()``
answers "what does this cost and how slow is it" for ``paperbot stats``.

``summary_failures`` is the negative cache under the same key: a model whose answers
for a paper were rejected (or blocked) is not asked again until ``until``, so a paper
that always fails costs two calls per few hours instead of two per ``/summarize``. It
lives in SQLite so a restart does not forget it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.store.db import Database


@dataclass(frozen=True)
class SummaryKey:
    paper_id: str
    version: int
    language: str
    kind: str
    model: str
    prompt_version: str

    def with_kind(self, kind: str) -> SummaryKey:
        return SummaryKey(self.paper_id, self.version, self.language, kind, self.model, self.prompt_version)


@dataclass(frozen=True)
class StoredSummary:
    key: SummaryKey
    content: str  # validated JSON of BriefSummary / FullSummary
    source: str  # pdf | abstract
    note: str | None
    created_at: datetime


class SummaryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: SummaryKey) -> StoredSummary | None:
        row = await self.db.fetchone(
            """
            SELECT content, source, note, created_at FROM summaries
            WHERE paper_id = ? AND version = ? AND language = ? AND kind = ? AND model = ? AND prompt_version = ?
            """,
            (key.paper_id, key.version, key.language, key.kind, key.model, key.prompt_version),
        )
        if row is None:
            return None
        return StoredSummary(key, row["content"], row["source"], row["note"], datetime.fromisoformat(row["created_at"]))

    async def put(self, key: SummaryKey, content: str, source: str, note: str | None) -> None:
        await self.db.execute(
            """
            INSERT OR REPLACE INTO summaries
                (paper_id, version, language, kind, model, prompt_version, content, source, note, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (key.paper_id, key.version, key.language, key.kind, key.model, key.prompt_version,
             content, source, note, self.db.utcnow()),
        )

    async def failure(self, key: SummaryKey) -> str | None:
        """Why the model failed this key recently (``rejected``, ``blocked``), or None when it may be asked."""
        row = await self.db.fetchone(
            """
            SELECT reason FROM summary_failures
            WHERE paper_id = ? AND version = ? AND language = ? AND kind = ? AND model = ? AND prompt_version = ?
              AND until > ?
            """,
            (key.paper_id, key.version, key.language, key.kind, key.model, key.prompt_version, self.db.utcnow()),
        )
        return str(row["reason"]) if row else None

    async def put_failure(self, key: SummaryKey, reason: str, ttl: timedelta) -> None:
        now = self.db.clock().astimezone(UTC)
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM summary_failures WHERE until <= ?", (now.isoformat(timespec="seconds"),))
            await conn.execute(
                """
                INSERT OR REPLACE INTO summary_failures
                    (paper_id, version, language, kind, model, prompt_version, reason, until, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (key.paper_id, key.version, key.language, key.kind, key.model, key.prompt_version, reason,
                 (now + ttl).isoformat(timespec="seconds"), now.isoformat(timespec="seconds")),
            )

    async def record_call(
        self, *, paper_id: str, kind: str, language: str, model: str, tokens_in: int | None,
        tokens_out: int | None, latency_ms: int, outcome: str, error: str | None = None,
    ) -> None:
        await self.db.execute(
            """
            INSERT INTO llm_calls (paper_id, kind, language, model, tokens_in, tokens_out, latency_ms,
                                   outcome, error, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (paper_id, kind, language, model, tokens_in, tokens_out, latency_ms, outcome,
             (error or None) and error[:500], self.db.utcnow()),
        )

    async def calls_today(self, now: datetime | None = None) -> int:
        """Model requests made since midnight UTC: what the daily budget counts."""
        start, end = utc_day(now or self.db.clock())
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM llm_calls WHERE created_at >= ? AND created_at < ?",
            (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")),
        )
        return int(row[0]) if row else 0

    async def stats(self, since: datetime | None = None) -> list[dict[str, object]]:
        """One row per model, ready to print: calls, average tokens, p50/p95 latency and outcome counts."""
        where, params = ("WHERE created_at >= ?", (since.astimezone(UTC).isoformat(timespec="seconds"),)) \
            if since else ("", ())
        rows = await self.db.fetchall(
            f"SELECT model, tokens_in, tokens_out, latency_ms, outcome FROM llm_calls {where} ORDER BY model, id",
            params,
        )
        failing = {str(r["model"]): int(r["n"]) for r in await self.db.fetchall(
            "SELECT model, COUNT(*) AS n FROM summary_failures WHERE until > ? GROUP BY model", (self.db.utcnow(),))}
        grouped: dict[str, list[sqlite3.Row]] = {}
        for row in rows:
            grouped.setdefault(row["model"], []).append(row)
        result: list[dict[str, object]] = []
        for model, items in grouped.items():
            latencies = sorted(int(r["latency_ms"]) for r in items)
            ins = [int(r["tokens_in"]) for r in items if r["tokens_in"] is not None]
            outs = [int(r["tokens_out"]) for r in items if r["tokens_out"] is not None]
            outcomes = Counter(str(r["outcome"]) for r in items)
            result.append({
                "model": model,
                "calls": len(items),
                "tokens_in_avg": round(sum(ins) / len(ins)) if ins else None,
                "tokens_out_avg": round(sum(outs) / len(outs)) if outs else None,
                "latency_p50_ms": percentile(latencies, 50),
                "latency_p95_ms": percentile(latencies, 95),
                "outcomes": ", ".join(f"{name} {n}" for name, n in sorted(outcomes.items())),
                "failures_cached": failing.get(model, 0),  # summaries not retried until their failure expires
            })
        return result


def utc_day(now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def percentile(sorted_values: list[int], pct: float) -> int:
    """Nearest-rank percentile; 0 for no values."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]
