"""PDF text within a budget, the abstract when the PDF fails, and figures only when licensed."""

from __future__ import annotations

import asyncio
import io
import math
import os
import resource
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image

from bot.summarizer.figures import allows_figures, extract_figures, figures_of
from bot.summarizer.pdf import OMITTED, PaperSource, PdfLoader, extract_text, select_text
from bot.summarizer.pdf_worker import WorkerLimits
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini
from tests.summarizer_support import PDF_MARKER, gemini_settings, make_pdf, papers

EVA = papers(1)[0]


def test_first_page_keeps_title_authors_and_affiliation() -> None:
    text = extract_text(make_pdf(EVA))
    assert text is not None and text.pages >= 4
    assert "The University of Texas at Austin" in text.first_page and "Hezhen Hu" in text.first_page
    assert PDF_MARKER in text.excerpt and "References text" not in text.excerpt


def test_budget_keeps_method_and_conclusion_before_related_work() -> None:
    pages = ["Title page " * 50, "1 Introduction\n" + "intro " * 800, "2 Related Work\n" + "related " * 800,
             "3 Method\n" + "method " * 800, "4 Experiments\n" + "exp " * 800, "5 Conclusion\n" + "end " * 300,
             "References\n" + "[1] ref " * 500]
    excerpt = select_text(pages, budget_chars=14_000)
    assert len(excerpt) <= 14_000 + 3 * len(OMITTED)
    assert excerpt.startswith("Title page")
    assert "3 Method" in excerpt and "5 Conclusion" in excerpt and "1 Introduction" in excerpt
    assert "2 Related Work" not in excerpt and "[1] ref" not in excerpt
    assert excerpt.index("1 Introduction") < excerpt.index("3 Method") < excerpt.index("5 Conclusion")


def test_garbage_is_not_a_pdf() -> None:
    assert extract_text(b"%PDF-1.4\nthis is not really a pdf") is None
    assert extract_text(b"<html>PDF being generated</html>") is None


class _Fetcher:
    def __init__(self, body: bytes | Exception, delay: float = 0.0) -> None:
        self.body, self.delay, self.calls = body, delay, 0

    def queue(self) -> tuple[int, int]:
        return 0, self.calls

    async def fetch_pdf(self, paper_id: str, version: int | None = None, max_bytes: int | None = None, *,
                        started: Callable[[], None] | None = None) -> bytes:
        import asyncio

        self.calls += 1
        if started is not None:
            started()
        await asyncio.sleep(self.delay)
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


async def test_loader_falls_back_to_abstract_and_says_why() -> None:
    cases = {
        "PDF download failed": _Fetcher(RuntimeError("404 Not Found")),
        "timed out": _Fetcher(make_pdf(EVA), delay=1.0),
        "not a PDF": _Fetcher(b"<html>PDF being generated</html>"),
        "larger than": _Fetcher(b"%PDF" + b"0" * 5000),
    }
    for reason, fetcher in cases.items():
        source = await PdfLoader(fetcher, max_bytes=4000, timeout=0.2).load(EVA)
        assert source.kind == "abstract" and reason in (source.failure or ""), reason
    assert (await PdfLoader(None, max_bytes=10, timeout=1).load(EVA)) == PaperSource(
        "abstract", failure="no PDF source configured")


async def test_loader_downloads_once_for_concurrent_and_repeated_use() -> None:
    import asyncio

    fetcher = _Fetcher(make_pdf(EVA), delay=0.05)
    loader = PdfLoader(fetcher, max_bytes=10_000_000, timeout=5)
    sources = await asyncio.gather(*(loader.load(EVA) for _ in range(5)))
    await loader.load(EVA)
    assert fetcher.calls == 1 and all(s.kind == "pdf" for s in sources)


def test_licenses_that_allow_reposting_figures() -> None:
    assert allows_figures("http://creativecommons.org/licenses/by/4.0/")
    assert allows_figures("https://creativecommons.org/licenses/by-sa/4.0/")
    assert allows_figures("http://creativecommons.org/licenses/by-nc-sa/4.0/")
    assert allows_figures("http://creativecommons.org/publicdomain/zero/1.0/")
    assert not allows_figures("http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
    assert not allows_figures("http://creativecommons.org/licenses/by-nc-nd/4.0/")
    assert not allows_figures(None) and not allows_figures("")
    assert not allows_figures("http://creativecommons.org.evil.example/licenses/by/4.0/")


def test_figures_are_the_largest_images_without_icons_or_banners() -> None:
    figures = extract_figures(make_pdf(EVA, images=True))
    sizes = [Image.open(io.BytesIO(f)).size for f in figures]
    assert sizes == [(900, 600), (700, 500)]  # the 120 px icon and the 16:1 banner are skipped
    assert extract_figures(b"not a pdf") == []
    assert len(extract_figures(make_pdf(EVA, images=True), max_figures=1)) == 1


def pathological_pdf(operators: int = 1_000_000, pages: int = 5) -> bytes:
    """A ~12 KB PDF whose pages share one flate stream of ``operators`` text-show operators.

    Parsed in-process, pdfium spends ~1.7 s and ~780 MB per page on it (measured): the
    kind of file that kept the bot busy for 22 s and grew it to 1.3 GB in review.
    """
    stream = zlib.compress(b"BT /F1 1 Tf " + b"(ab) Tj " * operators + b"ET", 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objects += [f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                f"/Contents {4 + pages} 0 R >>".encode()] * pages
    objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


T = TypeVar("T")


def _children() -> set[int]:
    """This process's live child processes, from /proc."""
    me = os.getpid()
    tasks = Path(f"/proc/{me}/task")
    return {int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()}


def _children_cpu() -> float:
    """CPU seconds used by reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _killed_at_the_deadline(parse: Awaitable[T], limits: WorkerLimits) -> T:
    """Run ``parse`` and check its worker was killed by the parent at ``limits.timeout``.

    The worker must be gone when ``parse`` returns (killed and reaped, not left running),
    and must have used less CPU than its own CPU cap (``timeout`` + 1 s), so it was the
    parent's kill at the deadline that stopped it, not the cap.
    """
    before, cpu = _children(), _children_cpu()
    result = await parse
    assert _children() <= before
    assert _children_cpu() - cpu < math.ceil(limits.timeout) + 1
    return result


async def test_pathological_pdf_falls_back_to_the_abstract_when_its_worker_is_killed() -> None:
    limits = WorkerLimits(timeout=1.0)
    loader = PdfLoader(_Fetcher(pathological_pdf()), max_bytes=10_000_000, timeout=5, limits=limits)
    source = await _killed_at_the_deadline(loader.load(EVA), limits)
    assert source.kind == "abstract" and "took longer than 1 s" in (source.failure or "")


async def test_pdf_parsing_memory_is_capped() -> None:
    limits = WorkerLimits(timeout=20, memory_bytes=400 << 20)  # the file needs ~780 MB to parse
    source = await PdfLoader(_Fetcher(pathological_pdf(pages=1)), max_bytes=10_000_000, timeout=5,
                             limits=limits).load(EVA)
    assert source.kind == "abstract" and "could not be parsed" in (source.failure or "")


async def test_normal_pdfs_still_parse_in_the_worker() -> None:
    source = await PdfLoader(_Fetcher(make_pdf(EVA)), max_bytes=10_000_000, timeout=5).load(EVA)
    assert source.kind == "pdf" and source.text is not None
    assert "The University of Texas at Austin" in source.text.first_page and PDF_MARKER in source.text.excerpt


def test_text_is_read_from_the_first_pages_only_with_a_cap_per_page() -> None:
    pdf = make_pdf(EVA)
    text = extract_text(pdf, max_pages=2)
    assert text is not None and text.pages == extract_text(pdf).pages >= 4  # the real page count for the budget
    assert PDF_MARKER not in text.excerpt  # "3 Method" starts on page 3
    capped = extract_text(pathological_pdf(operators=20_000, pages=3), page_chars=500)
    assert capped is not None and capped.total_chars <= 3 * 500


async def test_figures_run_under_the_same_limits() -> None:
    limits = WorkerLimits(timeout=1.0)
    assert await _killed_at_the_deadline(figures_of(pathological_pdf(), limits), limits) == []
    figures = await figures_of(make_pdf(EVA, images=True), WorkerLimits())
    assert [Image.open(io.BytesIO(f)).size for f in figures] == [(900, 600), (700, 500)]


async def test_a_pdf_that_cannot_be_parsed_in_time_summarizes_the_abstract_with_a_note(
    gemini: FakeGemini, arxiv: FakeArxiv, tmp_path: Path, harness_factory,
) -> None:
    arxiv.pdfs[EVA.id] = pathological_pdf()
    s = harness_factory(gemini_settings(tmp_path, gemini, arxiv), with_pdfs=True,
                        pdf_limits=WorkerLimits(timeout=1.0)).summarizer
    result = await asyncio.wait_for(s.summarize(EVA, "full", "en"), 5)
    assert gemini.requests[0].pdfs == [] and "full paper is not available" in gemini.requests[0].prompt
    assert result.source == "abstract" and result.note == "PDF unavailable, summarized from the abstract"
