"""The summarizer driving the real google-genai client against a fake Gemini on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bot.store import Store
from bot.summary_schema import FullSummary
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import BOGUS_AFFILIATION, BOGUS_AUTHORS, FakeGemini
from tests.summarizer_support import CC_BY, affiliation_of, gemini_settings, make_pdf, papers


async def test_one_call_per_paper_and_none_when_many_chats_ask_again(gemini: FakeGemini, tmp_path: Path,
                                                                       harness_factory) -> None:
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    batch = papers(6)
    first = await s.briefs(batch, "zh")
    assert gemini.calls == len(batch)
    assert all(gemini.calls_for(p.title) == 1 for p in batch)
    for _chat in range(5):  # five more chats get the same digest
        again = await s.briefs(batch, "zh")
        assert {k: v.content for k, v in again.items()} == {k: v.content for k, v in first.items()}
    assert gemini.calls == len(batch)
    assert {r.outcome for r in first.values()} == {"ok"}
    assert first[batch[0].id].label == "由 gemini-2.5-flash 生成"


async def test_cache_hit_after_a_restart_makes_no_call(gemini: FakeGemini, tmp_path: Path,
                                                       harness_factory) -> None:
    settings = gemini_settings(tmp_path, gemini)
    paper = papers(1)[0]
    await harness_factory(settings).summarizer.summarize(paper, "brief", "en")
    fresh = harness_factory(settings).summarizer  # a restarted bot: only SQLite remembers
    result = await fresh.summarize(paper, "brief", "en")
    assert gemini.calls == 1
    assert result.outcome == "cached" and result.label == "Summary by gemini-2.5-flash"


async def test_concurrent_requests_for_one_paper_share_one_call(gemini: FakeGemini, tmp_path: Path,
                                                                harness_factory) -> None:
    gemini.queue("slow")
    gemini.slow_seconds = 0.3
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    paper = papers(1)[0]
    results = await asyncio.gather(*(s.summarize(paper, "brief", "en") for _ in range(8)))
    assert gemini.calls == 1
    assert len({r.content.one_line for r in results}) == 1


async def test_brief_is_served_by_a_cached_full_summary(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    paper = papers(1)[0]
    full = await s.summarize(paper, "full", "zh")
    brief = await s.summarize(paper, "brief", "zh")
    assert gemini.calls == 1
    assert brief.kind == "brief" and brief.full is None
    assert brief.content.one_line == full.content.one_line


async def test_degenerate_output_is_retried_once_then_falls_back_labelled(gemini: FakeGemini, tmp_path: Path,
                                                                          harness_factory) -> None:
    gemini.queue("degenerate", "degenerate")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    paper = papers(2)[1]  # WildAvatar, whose real summary rambled
    result = await s.summarize(paper, "brief", "zh")
    assert gemini.calls == 2
    retry_prompt = gemini.requests[1].prompt
    assert "没有通过自动检查" in retry_prompt and "takeaways[1]" in retry_prompt
    assert result.model == "extractive" and result.outcome == "fallback"
    assert result.label.startswith("抽取式摘要（模型输出未通过检查）")
    text = result.content.one_line + "".join(result.content.takeaways)
    assert "您" not in text and "我将" not in text
    assert all(sentence_in_abstract(t, paper.abstract) for t in result.content.takeaways)


async def test_degenerate_then_good_answer_is_used(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("degenerate")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(2)[1], "full", "zh")
    assert gemini.calls == 2
    assert result.outcome == "retried" and result.model == "gemini-2.5-flash"
    assert isinstance(result.content, FullSummary)
    assert len(result.content.proposed_method) < 600


async def test_schema_breaking_answer_is_retried_then_ok(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("schema_break")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.calls == 2
    assert "takeaways: required field is missing" in gemini.requests[1].prompt
    assert result.outcome == "retried" and not result.is_fallback


async def test_answer_cut_off_at_max_tokens_is_retried(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("truncated")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "full", "en")
    assert gemini.calls == 2 and result.outcome == "retried"
    assert "cut off" in gemini.requests[1].prompt


async def test_safety_block_twice_falls_back_after_one_retry(gemini: FakeGemini, tmp_path: Path, store: Store,
                                                              harness_factory) -> None:
    gemini.queue("safety_block", "safety_block")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.calls == 2
    assert result.label == "extractive summary (blocked by the model's safety filter)"
    rows = await store.db.fetchall("SELECT outcome, error FROM llm_calls ORDER BY id")
    assert [r["outcome"] for r in rows] == ["retried", "fallback"] and "blocked" in rows[0]["error"]


async def test_safety_block_is_retried_once_then_the_valid_answer_is_used(gemini: FakeGemini, tmp_path: Path,
                                                                          harness_factory) -> None:
    gemini.queue("safety_block", "valid")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.calls == 2
    assert "failed automatic checks" in gemini.requests[1].prompt and "no answer" in gemini.requests[1].prompt
    assert result.outcome == "retried" and not result.is_fallback and result.model == "gemini-2.5-flash"


async def test_safety_finish_reason_twice_falls_back(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("safety_finish", "safety_finish")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "full", "en")
    assert gemini.calls == 2 and result.is_fallback and "safety" in result.label


async def test_rate_limit_delay_is_honoured_then_succeeds(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("429")
    gemini.retry_delay = "0.3s"
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.early_calls == 0  # the fake saw no call inside the 0.3 s it asked for
    assert gemini.calls == 2 and result.outcome == "ok" and not result.is_fallback


async def test_rate_limit_longer_than_we_wait_falls_back(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("429")
    gemini.retry_delay = "3600s"  # a daily quota, not a blip
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.calls == 1
    assert result.label == "extractive summary (model rate-limited)"


async def test_slow_model_times_out_and_falls_back(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("slow")
    gemini.slow_seconds = 0.8
    s = harness_factory(gemini_settings(tmp_path, gemini, llm_timeout_seconds=0.2)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert result.label == "extractive summary (model timed out)"  # the model would have answered, later


async def test_server_error_falls_back_as_unavailable(gemini: FakeGemini, tmp_path: Path, harness_factory) -> None:
    gemini.queue("500")
    s = harness_factory(gemini_settings(tmp_path, gemini)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert gemini.calls == 1 and result.label == "extractive summary (model unavailable)"


async def test_facts_come_from_arxiv_even_when_the_model_invents_authors(
    gemini: FakeGemini, arxiv: FakeArxiv, tmp_path: Path, harness_factory,
) -> None:
    paper = papers(1)[0]
    arxiv.pdfs[paper.id] = make_pdf(paper)
    gemini.queue("wrong_authors")
    gemini.affiliations = [affiliation_of(paper), BOGUS_AFFILIATION]
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True).summarizer
    result = await s.summarize(paper, "full", "en")
    assert result.paper == paper and result.paper.authors == paper.authors
    assert gemini.calls == 2  # the invented claim was caught and retried
    dumped = result.content.model_dump_json()
    assert not any(name in dumped for name in BOGUS_AUTHORS)
    assert BOGUS_AFFILIATION not in dumped and "Completely Different Title" not in dumped
    assert result.full is not None and result.full.affiliations == [affiliation_of(paper)]


async def test_pdf_bytes_reach_gemini_as_an_inline_pdf_part(gemini: FakeGemini, arxiv: FakeArxiv, tmp_path: Path,
                                                            harness_factory) -> None:
    paper = papers(1)[0]
    pdf = make_pdf(paper)
    arxiv.pdfs[paper.id] = pdf
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True).summarizer
    result = await s.summarize(paper, "full", "zh")
    request = gemini.requests[0]
    assert request.mime_types == ["application/pdf"] and request.pdfs == [pdf]
    assert request.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert request.headers.get("x-goog-api-key") == "test-gemini-key"
    assert result.source == "pdf" and result.note is None


async def test_missing_pdf_falls_back_to_the_abstract_with_a_note(gemini: FakeGemini, arxiv: FakeArxiv,
                                                                  tmp_path: Path, harness_factory) -> None:
    paper = papers(1)[0]  # the fake arXiv has no PDF for it: 404
    gemini.affiliations = ["The University of Texas at Austin"]
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True).summarizer
    result = await s.summarize(paper, "full", "en")
    assert gemini.requests[0].pdfs == []
    assert "full paper is not available" in gemini.requests[0].prompt
    assert result.source == "abstract"
    assert result.note == "PDF unavailable, summarized from the abstract"
    assert result.full is not None and result.full.affiliations == []  # they would have been guesses


async def test_figures_are_attached_only_under_a_creative_commons_license(
    gemini: FakeGemini, arxiv: FakeArxiv, tmp_path: Path, harness_factory,
) -> None:
    default, open_ = papers(2)
    open_ = dataclasses.replace(open_, license=CC_BY)
    arxiv.pdfs[default.id] = make_pdf(default, images=True)
    arxiv.pdfs[open_.id] = make_pdf(open_, images=True)
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True).summarizer
    closed = await s.summarize(default, "full", "en", figures=True)
    shared = await s.summarize(open_, "full", "en", figures=True)
    assert closed.figures == []
    assert len(shared.figures) == 2 and all(f.startswith(b"\x89PNG") for f in shared.figures)


def sentence_in_abstract(sentence: str, abstract: str) -> bool:
    plain = " ".join(abstract.replace("$", "").split())
    return sentence.rstrip("…")[:60] in plain
