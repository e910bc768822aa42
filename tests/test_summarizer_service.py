"""Summarizer behaviour around the model: budget, limits, cache keys, records, no-model operation."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.summaries import SummaryKey, SummaryStore
from bot.summarizer import prompts
from bot.summarizer.service import BudgetExhausted, Summarizer
from tests.fakes.gemini import FakeGemini
from tests.summarizer_support import gemini_settings, papers, settings_for


async def test_extractive_works_with_no_model_and_no_network(tmp_path: Path, store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the extractive summarizer must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    s = Summarizer(settings_for(tmp_path), store, None)
    try:
        results = await s.briefs(papers(5), "zh")
        full = await s.summarize(papers(1)[0], "full", "en")
    finally:
        await s.aclose()
    assert s.label == "extractive summary (no model configured)"
    assert full.label == "extractive summary (no model configured)" and full.full is None
    first = results[papers(1)[0].id]
    assert first.label == "抽取式摘要（未配置模型）：以下为英文摘要原句，未经翻译"
    assert first.content.one_line.startswith("We introduce EVA")  # English, not a pretend translation
    assert 3 <= len(first.content.takeaways) <= 5
    assert await SummaryStore(store.db).calls_today() == 0


async def test_budget_exhausted_briefs_fall_back_and_full_raises(gemini: FakeGemini, tmp_path: Path,
                                                                 harness_factory) -> None:
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_daily_budget=2)).summarizer
    a, b, c = papers(3)
    await s.summarize(a, "brief", "en")
    await s.summarize(b, "brief", "en")
    fallback = await s.summarize(c, "brief", "en")
    assert fallback.label == "extractive summary (daily model budget used up)"
    with pytest.raises(BudgetExhausted) as caught:
        await s.summarize(c, "full", "en")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert caught.value.resets_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
    assert (await s.summarize(a, "brief", "en")).outcome == "cached"  # the cache still answers
    assert gemini.calls == 2


async def test_budget_is_not_overspent_by_concurrent_digests(gemini: FakeGemini, tmp_path: Path,
                                                             harness_factory) -> None:
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_daily_budget=3)).summarizer
    results = await s.briefs(papers(10), "en")
    assert gemini.calls == 3
    assert sum(1 for r in results.values() if r.is_fallback) == 7


async def test_extractive_fallback_is_not_cached_under_the_model(gemini: FakeGemini, tmp_path: Path,
                                                                 harness_factory) -> None:
    gemini.queue("500")
    paper = papers(1)[0]
    first = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    assert (await first.summarize(paper, "full", "en")).is_fallback
    later = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await later.summarize(paper, "full", "en")
    assert not result.is_fallback and gemini.calls == 2


async def test_new_version_language_or_prompt_means_a_new_summary(gemini: FakeGemini, tmp_path: Path,
                                                                   harness_factory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings = gemini_settings(tmp_path, gemini)
    paper = papers(1)[0]
    s = harness_factory(settings).summarizer
    await s.summarize(paper, "brief", "en")
    await s.summarize(paper, "brief", "zh")
    await s.summarize(dataclasses.replace(paper, version=paper.version + 1), "brief", "en")
    assert gemini.calls == 3
    monkeypatch.setattr(prompts, "PROMPT_VERSION", "next")
    monkeypatch.setattr("bot.summarizer.service.PROMPT_VERSION", "next")
    await harness_factory(settings).summarizer.summarize(paper, "brief", "en")
    assert gemini.calls == 4


async def test_every_call_is_recorded_with_tokens_latency_and_outcome(gemini: FakeGemini, tmp_path: Path,
                                                                      store: Store, harness_factory) -> None:
    gemini.queue("degenerate", "valid", "429", "valid")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    await s.summarize(papers(1)[0], "brief", "en")
    await s.summarize(papers(2)[1], "brief", "en")
    rows = await store.db.fetchall("SELECT * FROM llm_calls ORDER BY id")
    assert [r["outcome"] for r in rows] == ["retried", "ok", "error", "ok"]
    assert all(r["model"] == "gemini-2.5-flash" for r in rows)
    assert rows[0]["tokens_in"] > 100 and rows[0]["tokens_out"] > 100
    assert "takeaways[1]" in rows[0]["error"] and "RESOURCE_EXHAUSTED" in rows[2]["error"]
    stats = await SummaryStore(store.db).stats()
    assert stats[0]["model"] == "gemini-2.5-flash" and stats[0]["calls"] == 4
    assert stats[0]["outcomes"] == "error 1, ok 2, retried 1"
    assert "test-gemini-key" not in str([tuple(r) for r in rows])


async def test_at_most_the_configured_number_of_calls_run_at_once(gemini: FakeGemini, tmp_path: Path,
                                                                  harness_factory) -> None:
    gemini.slow_seconds = 0.15
    gemini.queue(*["slow"] * 6)
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_concurrency=2)).summarizer
    await s.briefs(papers(6), "en")
    assert gemini.calls == 6 and gemini.peak_in_flight == 2


async def test_requests_per_minute_window_delays_extra_calls(gemini: FakeGemini, tmp_path: Path,
                                                             harness_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.summarizer import service

    original = service._RateWindow.__init__
    monkeypatch.setattr(service._RateWindow, "__init__",
                        lambda self, limit, period: original(self, limit, 0.4))  # a 0.4 s "minute"
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_requests_per_minute=2)).summarizer
    loop = asyncio.get_running_loop()
    started = loop.time()
    await s.briefs(papers(3), "en")
    assert loop.time() - started >= 0.4
    assert gemini.calls == 3


async def test_progress_reports_every_paper(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    seen: list[tuple[int, int]] = []
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    await s.briefs(papers(4), "en", progress=lambda done, total: seen.append((done, total)))
    assert sorted(seen) == [(1, 4), (2, 4), (3, 4), (4, 4)]


async def test_cached_rows_use_the_agreed_key(gemini: FakeGemini, tmp_path: Path, store: Store,
                                              harness_factory) -> None:
    paper = papers(1)[0]
    await harness_factory(gemini_settings(tmp_path, gemini)).summarizer.summarize(paper, "full", "zh")
    key = SummaryKey(paper.id, paper.version, "zh", "full", "gemini-2.5-flash", prompts.PROMPT_VERSION)
    row = await SummaryStore(store.db).get(key)
    assert row is not None and row.source == "abstract"
    assert '"title_translated"' in row.content and "authors" not in row.content


async def test_deeply_nested_json_falls_back_and_does_not_eat_the_budget(
    gemini: FakeGemini, tmp_path: Path, store: Store, harness_factory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tests.fakes.gemini as fake_module

    original = fake_module.answer_text
    nested = iter(["[" * 50000, "[" * 50000])
    monkeypatch.setattr(fake_module, "answer_text",
                        lambda *args: (next(nested), "STOP") if gemini.calls <= 2 else original(*args))
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_daily_budget=3)).summarizer
    a, b = papers(2)
    result = await s.summarize(a, "brief", "en")
    assert result.label == "extractive summary (model output rejected)"
    rows = await store.db.fetchall("SELECT outcome, error FROM llm_calls ORDER BY id")
    assert [r["outcome"] for r in rows] == ["retried", "fallback"] and "nested too deeply" in rows[0]["error"]
    later = await s.summarize(b, "brief", "en")  # the third and last call of the budget still runs
    assert later.outcome == "ok" and gemini.calls == 3


async def test_a_crash_while_checking_an_answer_is_recorded_and_retried(
    gemini: FakeGemini, tmp_path: Path, store: Store, harness_factory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.summarizer import service

    real = service.validate
    crashes = iter([True])

    def flaky(*args: object, **kwargs: object) -> object:
        if next(crashes, False):
            raise RuntimeError("checker bug")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "validate", flaky)
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_daily_budget=3)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert result.outcome == "retried" and not result.is_fallback and gemini.calls == 2
    rows = await store.db.fetchall("SELECT outcome FROM llm_calls ORDER BY id")
    assert [r["outcome"] for r in rows] == ["retried", "ok"]
    later = await s.summarize(papers(2)[1], "brief", "en")  # nothing left reserved: the last call still runs
    assert later.outcome == "ok" and gemini.calls == 3
