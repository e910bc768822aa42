"""Shared pieces for the summarizer tests: real papers, generated PDFs, fakes and settings.

Kept in a test module (no tests of its own) so every ``test_summarizer_*`` file can
import the same fixtures explicitly.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.arxiv.source import ArxivSource
from bot.config import Settings
from bot.models import Paper
from bot.store import Store
from bot.summarizer.service import Summarizer
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_compat import FakeOpenAI

DATA = Path(__file__).parent / "fakes" / "data" / "papers.json"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
ARXIV_DEFAULT = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
PDF_MARKER = "Zanzibar calibration trick"  # text only the generated PDF contains


def records() -> list[dict[str, Any]]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def paper_from(rec: dict[str, Any], **changes: Any) -> Paper:
    bare, _, version = rec["id"].rpartition("v")
    values: dict[str, Any] = dict(
        id=bare, version=int(version), title=rec["title"], authors=tuple(rec["authors"]), abstract=rec["summary"],
        comment=rec.get("comment") or None, categories=tuple(rec["categories"]),
        primary_category=rec.get("primary_category"), published=datetime.fromisoformat(rec["published"]),
        updated=datetime.fromisoformat(rec["updated"]), license=ARXIV_DEFAULT,
    )
    values.update(changes)
    return Paper(**values)


def papers(n: int | None = None) -> list[Paper]:
    return [paper_from(r) for r in records()[:n]]


def affiliation_of(paper: Paper) -> str:
    for rec in records():
        if rec["id"].startswith(paper.id) and rec.get("pdf_affiliation"):
            return str(rec["pdf_affiliation"])
    return "Institute of Imaginary Results"


def make_pdf(paper: Paper, *, images: bool = False, body_pages: int = 3, first_page_note: str = "") -> bytes:
    """A small real PDF: title, authors and affiliation on page one (then ``first_page_note``), then sections."""
    from fpdf import FPDF
    from PIL import Image

    def latin(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    for line in (paper.title, ", ".join(paper.authors), affiliation_of(paper), "Abstract", paper.abstract,
                 first_page_note):
        pdf.multi_cell(0, 6, latin(line), new_x="LMARGIN", new_y="NEXT")
    if images:
        for width, height in ((900, 600), (120, 120), (1600, 100), (700, 500)):
            buffer = io.BytesIO()
            Image.new("RGB", (width, height), (width % 256, height % 256, 90)).save(buffer, "PNG")
            buffer.seek(0)
            pdf.image(buffer, w=50)
    sections = ["1 Introduction", "2 Related Work", "3 Method", "4 Experiments", "5 Conclusion", "References"]
    for number, heading in enumerate(sections):
        if number % 2 == 0:
            pdf.add_page()
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        body = f"{heading.split(' ', 1)[-1]} text for {latin(paper.title)}. " * (12 * body_pages)
        if heading == "3 Method":
            body = f"Our {PDF_MARKER} aligns the body model. " + body
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db_path": tmp_path / "paperbot.db",
        "llm_backend": "extractive",
        "language": "en",
        "llm_timeout_seconds": 2.0,
        "llm_concurrency": 4,
        "llm_requests_per_minute": 1000,
        "llm_daily_budget": 500,
        "arxiv_delay_seconds": 0.0,
        "arxiv_retries": 0,
        "arxiv_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def gemini_settings(tmp_path: Path, fake: FakeGemini, arxiv: FakeArxiv | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"llm_backend": "gemini", "gemini_api_key": "test-gemini-key",
                              "gemini_base_url": fake.url, "gemini_model": "gemini-2.5-flash"}
    if arxiv is not None:
        values["arxiv_pdf_url"] = f"{arxiv.url}/pdf"
    values.update(overrides)
    return settings_for(tmp_path, **values)


def openai_settings(tmp_path: Path, fake: FakeOpenAI, arxiv: FakeArxiv | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"llm_backend": "openai", "openai_api_key": "test-openai-key",
                              "openai_base_url": f"{fake.url}/v1", "openai_model": "gpt-4o-mini"}
    if arxiv is not None:
        values["arxiv_pdf_url"] = f"{arxiv.url}/pdf"
    values.update(overrides)
    return settings_for(tmp_path, **values)


class Harness:
    """A summarizer wired to fakes, closed in the right order by the fixture."""

    def __init__(self, settings: Settings, store: Store, source: ArxivSource | None, **kwargs: Any) -> None:
        self.settings = settings
        self.store = store
        self.source = source
        self.summarizer = Summarizer(settings, store, source, **kwargs)

    async def aclose(self) -> None:
        await self.summarizer.aclose()
        if self.source is not None:
            await self.source.aclose()
