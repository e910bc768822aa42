"""Summary rows and model-call accounting for the budget and ``paperbot stats``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.store.summaries import SummaryKey, SummaryStore, percentile


async def test_put_and_get_round_trip(store: Store) -> None:
    summaries = SummaryStore(store.db)
    key = SummaryKey("2407.03204", 1, "zh", "full", "gemini-2.5-flash", "p1")
    assert await summaries.get(key) is None
    await summaries.put(key, '{"one_line": "x"}', "pdf", None)
    await summaries.put(key, '{"one_line": "y"}', "pdf", None)  # a rewrite replaces
    row = await summaries.get(key)
    assert row is not None and row.content == '{"one_line": "y"}' and row.source == "pdf"
    assert await summaries.get(key.with_kind("brief")) is None


async def test_calls_today_counts_only_this_utc_day(store: Store) -> None:
    summaries = SummaryStore(store.db)
    for outcome in ("ok", "error", "retried"):
        await summaries.record_call(paper_id="1", kind="brief", language="en", model="m", tokens_in=10,
                                    tokens_out=5, latency_ms=100, outcome=outcome)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    await store.db.execute("UPDATE llm_calls SET created_at = ? WHERE outcome = 'error'", (yesterday,))
    assert await summaries.calls_today() == 2
    assert await summaries.calls_today(datetime.now(UTC) - timedelta(days=1)) == 1


async def test_stats_per_model(store: Store) -> None:
    summaries = SummaryStore(store.db)
    for i, latency in enumerate([100, 200, 300, 400, 1000]):
        await summaries.record_call(paper_id=str(i), kind="brief", language="zh", model="gemini-2.5-flash",
                                    tokens_in=1000 + i, tokens_out=200, latency_ms=latency,
                                    outcome="ok" if i else "retried")
    await summaries.record_call(paper_id="x", kind="full", language="en", model="gpt-4o-mini", tokens_in=None,
                                tokens_out=None, latency_ms=50, outcome="error", error="timeout")
    rows = {r["model"]: r for r in await summaries.stats()}
    gemini = rows["gemini-2.5-flash"]
    assert gemini["calls"] == 5 and gemini["tokens_in_avg"] == 1002 and gemini["tokens_out_avg"] == 200
    assert gemini["latency_p50_ms"] == 300 and gemini["latency_p95_ms"] == 1000
    assert gemini["outcomes"] == "ok 4, retried 1"
    assert rows["gpt-4o-mini"]["tokens_in_avg"] is None and rows["gpt-4o-mini"]["outcomes"] == "error 1"


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) == 0
    assert percentile([5], 95) == 5
    assert percentile(list(range(1, 101)), 95) == 95
