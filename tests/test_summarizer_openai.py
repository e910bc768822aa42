"""The summarizer driving the real openai client against a fake OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

from bot.summary_schema import FullSummary
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import BOGUS_AUTHORS
from tests.fakes.openai_compat import FakeOpenAI
from tests.summarizer_support import PDF_MARKER, make_pdf, openai_settings, papers


async def test_one_call_per_paper_with_structured_output_request(openai_fake: FakeOpenAI, tmp_path: Path,
                                                                 harness_factory) -> None:
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    batch = papers(4)
    results = await s.briefs(batch, "en")
    await s.briefs(batch, "en")
    assert openai_fake.calls == len(batch)
    body = openai_fake.requests[0].body
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is False
    assert openai_fake.requests[0].headers["Authorization"] == "Bearer test-openai-key"
    assert all(r.label == "Summary by gpt-4o-mini" for r in results.values())


async def test_pdf_text_reaches_the_prompt(openai_fake: FakeOpenAI, arxiv: FakeArxiv, tmp_path: Path,
                                           harness_factory) -> None:
    paper = papers(1)[0]
    arxiv.pdfs[paper.id] = make_pdf(paper)
    s = harness_factory(openai_settings(tmp_path, openai_fake, arxiv), with_pdfs=True).summarizer
    result = await s.summarize(paper, "full", "zh")
    prompt = openai_fake.requests[0].prompt
    assert PDF_MARKER in prompt and "The University of Texas at Austin" in prompt
    assert "References text" not in prompt  # the bibliography is not worth tokens
    assert result.source == "pdf" and isinstance(result.content, FullSummary)


async def test_degenerate_then_degenerate_falls_back_after_two_calls(openai_fake: FakeOpenAI, tmp_path: Path,
                                                                     harness_factory) -> None:
    openai_fake.queue("degenerate", "degenerate")
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    result = await s.summarize(papers(2)[1], "brief", "zh")
    assert openai_fake.calls == 2
    assert result.is_fallback and "未通过检查" in result.label


async def test_not_json_is_retried_then_ok(openai_fake: FakeOpenAI, tmp_path: Path, harness_factory) -> None:
    openai_fake.queue("not_json")
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert openai_fake.calls == 2 and result.outcome == "retried"
    assert "not valid JSON" in openai_fake.requests[1].prompt


async def test_refusal_is_retried_once_then_falls_back(openai_fake: FakeOpenAI, tmp_path: Path,
                                                      harness_factory) -> None:
    openai_fake.queue("safety_block", "safety_block")
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert openai_fake.calls == 2 and "safety" in result.label


async def test_retry_after_header_is_honoured(openai_fake: FakeOpenAI, tmp_path: Path, harness_factory) -> None:
    openai_fake.queue("429")
    openai_fake.retry_after = "0.3"
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert openai_fake.early_calls == 0  # the fake saw no call inside the 0.3 s it asked for
    assert openai_fake.calls == 2 and not result.is_fallback


async def test_slow_server_times_out(openai_fake: FakeOpenAI, tmp_path: Path, harness_factory) -> None:
    openai_fake.queue("slow")
    openai_fake.slow_seconds = 0.8
    s = harness_factory(openai_settings(tmp_path, openai_fake, llm_timeout_seconds=0.2)).summarizer
    result = await s.summarize(papers(1)[0], "brief", "en")
    assert result.label == "extractive summary (model timed out)"


async def test_invented_authors_never_reach_the_result(openai_fake: FakeOpenAI, tmp_path: Path,
                                                       harness_factory) -> None:
    openai_fake.queue("wrong_authors", "wrong_authors")
    s = harness_factory(openai_settings(tmp_path, openai_fake)).summarizer
    paper = papers(1)[0]
    result = await s.summarize(paper, "brief", "en")
    assert result.paper.authors == paper.authors
    assert not any(name in result.content.model_dump_json() for name in BOGUS_AUTHORS)
