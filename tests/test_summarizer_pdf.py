"""PDF text within a budget, the abstract when the PDF fails, and figures only when licensed."""

from __future__ import annotations

import io

from PIL import Image

from bot.summarizer.figures import allows_figures, extract_figures
from bot.summarizer.pdf import OMITTED, PaperSource, PdfLoader, extract_text, select_text
from tests.test_summarizer_support import PDF_MARKER, make_pdf, papers

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

    async def fetch_pdf(self, paper_id: str, version: int | None = None, max_bytes: int | None = None) -> bytes:
        import asyncio

        self.calls += 1
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
