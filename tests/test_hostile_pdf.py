"""/summarize under load and with awkward PDFs: queueing is not downloading, and nothing is fetched twice.

arXiv allows one request at a time, 3 s apart, so a busy bot queues. These tests use a
short spacing (0.4 s) and shorter deadlines to make the same queue in a second or two.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from pathlib import Path
from typing import Any

from bot.store import Store
from bot.store.summaries import SummaryKey
from bot.summarizer.prompts import PROMPT_VERSION
from tests.conftest import ConsoleBot
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini
from tests.summarizer_support import CC_BY, gemini_settings, make_pdf, papers

SPACING = 0.4


def _serve_pdfs(arxiv: FakeArxiv, count: int) -> list[Any]:
    chosen = papers(count)
    for paper in chosen:
        arxiv.pdfs[paper.id] = make_pdf(paper, body_pages=1)
    return chosen


async def test_the_pdf_deadline_counts_downloading_not_waiting_for_arxiv_s_slot(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path, harness_factory: Any,
) -> None:
    chosen = _serve_pdfs(arxiv, 4)
    settings = gemini_settings(tmp_path, gemini, arxiv, arxiv_delay_seconds=SPACING)
    # Each download takes milliseconds; the last one queues 3 × 0.4 s, far beyond the 0.3 s deadline.
    s = harness_factory(settings, with_pdfs=True, pdf_timeout=0.3).summarizer
    results = await asyncio.gather(*(s.summarize(p, "full", "en") for p in chosen))
    assert [r.source for r in results] == ["pdf"] * 4  # was: only the first, the rest "PDF unavailable"
    assert all(r.note is None for r in results)


async def test_a_summary_from_the_abstract_because_of_the_queue_is_upgraded_when_the_pdf_arrives(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path, harness_factory: Any, store: Store,
) -> None:
    chosen = _serve_pdfs(arxiv, 4)
    # The first PDF must arrive within the patience even on a loaded machine (a parse starts a
    # child process); the others queue at least one spacing, longer than the patience.
    settings = gemini_settings(tmp_path, gemini, arxiv, arxiv_delay_seconds=2.5)
    s = harness_factory(settings, with_pdfs=True, pdf_patience=1.5).summarizer
    results = await asyncio.gather(*(s.summarize(p, "full", "en") for p in chosen))
    late = [r for r in results if r.source == "abstract"]
    assert late and results[0].source == "pdf"
    assert all("from the abstract for now" in (r.note or "") for r in late)
    places = [int(re.search(r"number (\d+) in line", r.note or "").group(1)) for r in late]
    assert places == sorted(places) and places[0] >= 2  # the place in arXiv's queue
    calls = gemini.calls
    again = await s.summarize(late[-1].paper, "full", "en")  # still queued: the same answer, no new call
    assert again.source == "abstract" and gemini.calls == calls

    def key(paper: Any) -> SummaryKey:
        return SummaryKey(paper.id, paper.version, "en", "full", s.model, PROMPT_VERSION)

    for _ in range(200):  # the upgrades run in the background as the PDFs arrive
        rows = [await store.summaries.get(key(r.paper)) for r in late]
        if all(row is not None for row in rows):
            break
        await asyncio.sleep(0.05)
    assert [row.source for row in rows if row] == ["pdf"] * len(late)  # never cached from the abstract
    upgraded = await s.summarize(late[-1].paper, "full", "en")
    assert upgraded.source == "pdf" and upgraded.note is None and upgraded.outcome == "cached"
    assert len([r for r in arxiv.requests if r.path.startswith("/pdf/")]) == 4


async def test_fifty_concurrent_summaries_of_one_paper_ask_arxiv_once(bot: ConsoleBot, arxiv: FakeArxiv) -> None:
    said = await asyncio.gather(*(bot.say("/summarize 2407.21002", user=f"u{i}") for i in range(50)))
    assert all("2407.21002" in s.text for s in said)
    assert len(arxiv.api_requests()) == 1  # was 50: one metadata request each


def _images_only_pdf() -> bytes:
    """A scanned-looking paper: big images, no text layer, so its text cannot be extracted."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    for size in ((900, 600), (700, 500)):
        pdf.add_page()
        buffer = io.BytesIO()
        Image.new("RGB", size, (size[0] % 256, 40, 90)).save(buffer, "PNG")
        buffer.seek(0)
        pdf.image(buffer, w=150)
    return bytes(pdf.output())


async def test_a_pdf_without_text_is_downloaded_once_for_the_summary_and_its_figures(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path, harness_factory: Any,
) -> None:
    paper = dataclasses.replace(papers(1)[0], license=CC_BY)
    arxiv.pdfs[paper.id] = _images_only_pdf()
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True).summarizer
    result = await s.summarize(paper, "full", "en", figures=True)
    assert result.source == "abstract" and len(result.figures) == 2
    assert len([r for r in arxiv.requests if r.path.startswith("/pdf/")]) == 1  # was 2: figures fetched it again
