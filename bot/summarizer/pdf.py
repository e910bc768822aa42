"""The paper's own text for the model: download once, keep what matters within a token budget.

A full summary is much better from the PDF (affiliations are only on the first page,
the method and conclusion only in the body), but a PDF that will not download or
parse must never stop a summary: the caller falls back to the abstract and says so.

Text is kept in this order of importance until ~12k tokens are used: the first page,
the method sections, the conclusion, the introduction, the experiments, the rest.
References and appendices are dropped.

Parsing runs in a child process with a timeout and a memory cap
(:mod:`bot.summarizer.pdf_worker`), and reads at most the first ``max_pages`` pages
and ``page_chars`` characters of each: a PDF is untrusted input, and a crafted one
must cost a fallback to the abstract, not the bot's CPU or memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.models import Paper
from bot.summarizer.pdf_worker import WorkerFailed, WorkerLimits, run_worker

log = logging.getLogger(__name__)

BUDGET_CHARS = 48_000  # ≈ 12k tokens of English
FIRST_PAGE_CHARS = 8_000
OMITTED = "\n\n[… section omitted …]\n\n"

# pdfium is not thread-safe: every use of it, here and in figures.py, holds this lock.
PDFIUM_LOCK = threading.Lock()

_HEADING = re.compile(
    r"^\s*(?:(?P<num>\d{1,2}|[IVX]{1,5})\.?\s+)?(?P<title>[A-Z][A-Za-z][A-Za-z0-9 ,:&'()/-]{1,70})\s*$"
)
_NAMED = re.compile(
    r"^(?:abstract|introduction|related work|background|preliminar\w*|conclusions?|discussion|references"
    r"|bibliography|acknowledge?ments?|appendix|limitations)\b",
    re.IGNORECASE,
)
_PRIORITY: list[tuple[int, re.Pattern[str]]] = [
    (9, re.compile(r"^(?:references|bibliography|acknowledg|appendix|supplementary)", re.I)),
    (1, re.compile(
        r"method|approach|proposed|framework|architecture|overview|our model|model|pipeline|design|formulation", re.I
    )),
    (2, re.compile(r"conclusion|discussion|limitation|future work|summary", re.I)),
    (3, re.compile(r"introduction", re.I)),
    (4, re.compile(r"experiment|evaluation|result|ablation|benchmark|comparison", re.I)),
]


class PdfFetcher(Protocol):
    """What the summarizer needs from :class:`bot.arxiv.source.ArxivSource`."""

    async def fetch_pdf(
        self, paper_id: str, version: int | None = None, max_bytes: int | None = None, *,
        started: Callable[[], None] | None = None,
    ) -> bytes:
        """The PDF; calls ``started`` once it holds arXiv's request slot, i.e. when queueing ends."""
        ...

    def queue(self) -> tuple[int, int]:
        """(requests waiting for or holding arXiv's request slot, requests given the slot so far)."""
        ...


@dataclass(frozen=True)
class PdfText:
    first_page: str
    excerpt: str  # first page + chosen sections, within the budget
    pages: int  # in the whole document, though only the first max_pages are read
    total_chars: int  # of the pages read
    page_texts: list[str] = field(default_factory=list)  # each page read, for /ask to pick passages from


@dataclass(frozen=True)
class PaperSource:
    """What a summary is written from. ``failure`` says why it is the abstract when a PDF was wanted.

    ``pdf`` may be set on an abstract source: a PDF with no extractable text can still have figures.
    ``queued`` is set when the PDF is still coming (waiting for arXiv's request slot or
    downloading): how many arXiv requests are ahead of it, 0 when it is downloading.
    """

    kind: Literal["pdf", "abstract"]
    pdf: bytes | None = None
    text: PdfText | None = None
    failure: str | None = None
    queued: int | None = None


class PdfLoader:
    """Downloads and parses each PDF once, with a deadline that runs only while it downloads.

    A download waits its turn for arXiv's one request slot (3 s apart), and with many
    requests queued that wait can be minutes. So the deadline (``timeout``) starts when
    the download does, and a caller that cannot wait that long passes ``patience``: it
    gets an abstract source marked ``queued`` while the download carries on, and
    :meth:`arrival` tells it when the PDF is there. Results that are the document's
    (parsed, or downloaded but unreadable) are remembered for the last ``keep`` papers,
    so figures and repeated requests do not download again; network failures are not.
    """

    def __init__(
        self, fetcher: PdfFetcher | None, *, max_bytes: int, timeout: float, budget_chars: int = BUDGET_CHARS,
        keep: int = 4, limits: WorkerLimits | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._budget = budget_chars
        self.limits = limits or WorkerLimits()  # for parsing: text here, figures in figures.py
        self._keep = keep
        self._recent: OrderedDict[str, PaperSource] = OrderedDict()
        self._pending: dict[str, tuple[asyncio.Task[PaperSource], tuple[int, int]]] = {}

    async def load(self, paper: Paper, *, patience: float | None = None) -> PaperSource:
        """The paper's source; after ``patience`` seconds an abstract source marked ``queued`` instead."""
        key = paper.versioned_id
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        if key not in self._pending:
            waiting, served = self._fetcher.queue() if self._fetcher is not None else (0, 0)
            # Our downloads started just before this one may not have reached the slot's queue yet.
            queue = (max(waiting, len(self._pending)), served)
            task = asyncio.create_task(self._load(paper), name=f"pdf {key}")
            self._pending[key] = (task, queue)
            task.add_done_callback(lambda done: self._landed(key, done))
        task, (waiting, served) = self._pending[key]
        try:
            return await asyncio.wait_for(asyncio.shield(task), patience)
        except TimeoutError:
            if task.done():  # the deadline and the answer crossed
                return task.result()
            now_served = self._fetcher.queue()[1] if self._fetcher is not None else served
            ahead = max(0, waiting - (now_served - served))
            return PaperSource("abstract", failure="the PDF is still queued at arXiv", queued=ahead)

    def arrival(self, paper: Paper) -> asyncio.Task[PaperSource] | None:
        """The download of ``paper`` still under way, if any; await it through :func:`asyncio.shield`."""
        pending = self._pending.get(paper.versioned_id)
        return pending[0] if pending else None

    async def aclose(self) -> None:
        tasks = [task for task, _queue in self._pending.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _landed(self, key: str, task: asyncio.Task[PaperSource]) -> None:
        if self._pending.get(key, (None,))[0] is task:
            del self._pending[key]
        if task.cancelled() or task.exception() is not None:
            return
        source = task.result()
        if source.pdf is not None:  # the document itself: parsed, or downloaded and unreadable
            self._recent[key] = source
            while len(self._recent) > self._keep:
                self._recent.popitem(last=False)

    async def _load(self, paper: Paper) -> PaperSource:
        if self._fetcher is None:
            return PaperSource("abstract", failure="no PDF source configured")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as deadline:
                def started() -> None:  # the clock starts when the download does, not while it queues
                    if deadline.when() is None:
                        deadline.reschedule(loop.time() + self._timeout)

                pdf = await self._fetcher.fetch_pdf(paper.id, paper.version, max_bytes=self._max_bytes,
                                                    started=started)
        except TimeoutError:
            return PaperSource("abstract", failure=f"PDF download timed out after {self._timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - any download failure means "use the abstract"
            log.info("PDF unavailable", extra={"paper": paper.versioned_id, "error": repr(exc)})
            return PaperSource("abstract", failure=f"PDF download failed: {exc.__class__.__name__}: {exc}")
        if len(pdf) > self._max_bytes:
            return PaperSource("abstract", failure=f"PDF is larger than {self._max_bytes} bytes")
        if not pdf.lstrip()[:5].startswith(b"%PDF"):
            return PaperSource("abstract", failure="the download is not a PDF")
        try:
            data = await run_worker("text", pdf, self.limits, budget_chars=self._budget)
            text = PdfText(**data) if data is not None else None
        except (WorkerFailed, TypeError) as exc:  # TypeError: an answer without PdfText's fields
            log.info("PDF not parsed", extra={"paper": paper.versioned_id, "error": str(exc)})
            return PaperSource("abstract", pdf=pdf, failure=f"the PDF could not be parsed: {exc}")
        if text is None:
            return PaperSource("abstract", pdf=pdf, failure="the PDF has no extractable text")
        return PaperSource("pdf", pdf=pdf, text=text)


def extract_text(
    pdf: bytes, budget_chars: int = BUDGET_CHARS, *, max_pages: int = WorkerLimits.max_pages,
    page_chars: int = WorkerLimits.page_chars,
) -> PdfText | None:
    """Page texts via pdfium, or pypdf when pdfium fails; None when neither finds real text.

    Runs in the calling process: the bot calls it only inside :mod:`bot.summarizer.pdf_worker`.
    """
    read = _pages_pdfium(pdf, max_pages, page_chars)
    if read is None or sum(len(p.strip()) for p in read[0]) < 200:
        read = _pages_pypdf(pdf, max_pages, page_chars) or read
    if not read or sum(len(p.strip()) for p in read[0]) < 200:
        return None
    pages, count = read
    first = pages[0].strip()[:FIRST_PAGE_CHARS]
    return PdfText(first_page=first, excerpt=select_text(pages, budget_chars), pages=count,
                   total_chars=sum(len(p) for p in pages), page_texts=pages)


def select_text(pages: list[str], budget_chars: int = BUDGET_CHARS) -> str:
    """The first page plus whole sections by importance, in document order, within the budget."""
    first = pages[0].strip()[:FIRST_PAGE_CHARS]
    sections = split_sections("\n".join(pages[1:]))
    remaining = budget_chars - len(first)
    chosen: dict[int, str] = {}
    order = sorted(range(len(sections)), key=lambda i: (_priority(sections[i][0]), i))
    for i in order:
        heading, body = sections[i]
        if _priority(heading) >= 9 or remaining <= 200:
            continue
        text = f"{heading}\n{body}".strip() if heading else body.strip()
        if len(text) > remaining:
            text = text[:remaining].rsplit(" ", 1)[0] + " […]"
        chosen[i] = text
        remaining -= len(text) + len(OMITTED)
    parts = [first]
    previous = -1
    for i in sorted(chosen):
        parts.append(OMITTED if i != previous + 1 else "\n\n")
        parts.append(chosen[i])
        previous = i
    if previous != len(sections) - 1 and any(_priority(h) < 9 for h, _ in sections[previous + 1 :]):
        parts.append(OMITTED)
    return "".join(parts).strip()


def split_sections(text: str) -> list[tuple[str, str]]:
    """Top-level sections by their headings ("3 Method", "IV. EXPERIMENTS", "References")."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        match = _HEADING.match(line)
        title = match.group("title").strip() if match else ""
        if match and (match.group("num") or _NAMED.match(title)) and len(title.split()) <= 8:
            sections.append((line.strip(), []))
        else:
            sections[-1][1].append(line)
    return [(h, "\n".join(body).strip()) for h, body in sections if h or "".join(body).strip()]


def _priority(heading: str) -> int:
    title = re.sub(r"^\s*(?:\d{1,2}|[IVX]{1,5})\.?\s+", "", heading)
    for priority, pattern in _PRIORITY:
        if pattern.search(title):
            return priority
    return 5


def _pages_pdfium(pdf: bytes, max_pages: int, page_chars: int) -> tuple[list[str], int] | None:
    """The first pages' texts and the document's page count."""
    try:
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            doc = pdfium.PdfDocument(pdf)
            try:
                pages = []
                for index in range(min(len(doc), max_pages)):
                    page = doc[index]
                    textpage = page.get_textpage()
                    count = min(textpage.count_chars(), page_chars)
                    pages.append(_normalise(textpage.get_text_range(count=count) if count > 0 else ""))
                    textpage.close()
                    page.close()
                return pages, len(doc)
            finally:
                doc.close()
    except Exception as exc:  # noqa: BLE001 - broken PDFs raise many kinds of errors
        log.info("pdfium could not read the PDF", extra={"error": repr(exc)})
        return None


def _pages_pypdf(pdf: bytes, max_pages: int, page_chars: int) -> tuple[list[str], int] | None:
    try:
        import io

        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        pages = [_normalise((reader.pages[i].extract_text() or "")[:page_chars])
                 for i in range(min(len(reader.pages), max_pages))]
        return pages, len(reader.pages)
    except Exception as exc:  # noqa: BLE001
        log.info("pypdf could not read the PDF", extra={"error": repr(exc)})
        return None


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"-\n(?=[a-z])", "", text)  # re-join hyphenated line breaks
    return re.sub(r"[ \t]+", " ", text)
