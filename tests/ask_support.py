"""Shared pieces for the /ask tests: a core on the fake arXiv and a fake model, PDFs served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapters.console import ConsoleAdapter
from bot.core import Core
from tests.conftest import ConsoleBot, Said, core_with
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini, ScriptedModel
from tests.fakes.openai_compat import FakeOpenAI
from tests.summarizer_support import make_pdf, papers

PAPER = papers(1)[0]


def model_settings(fake: ScriptedModel, **overrides: Any) -> dict[str, Any]:
    """Settings that point the core at ``fake`` (Gemini or OpenAI-compatible) with generous limits."""
    values: dict[str, Any] = {"llm_timeout_seconds": 5.0, "llm_requests_per_minute": 1000,
                              "arxiv_timeout_seconds": 5.0}
    if isinstance(fake, FakeGemini):
        values.update(llm_backend="gemini", gemini_api_key="test-gemini-key", gemini_base_url=fake.url)
    else:
        assert isinstance(fake, FakeOpenAI)
        values.update(llm_backend="openai", openai_api_key="test-openai-key", openai_base_url=f"{fake.url}/v1")
    values.update(overrides)
    return values


async def ask_core(arxiv: FakeArxiv, tmp_path: Path, fake: ScriptedModel | None, *, pdf_note: str = "",
                   count: int = 1, body_pages: int = 1, **overrides: Any) -> Core:
    """A core whose papers have PDFs on the fake arXiv; with ``fake`` None, no model is configured."""
    for paper in papers(count):
        arxiv.pdfs[paper.id] = make_pdf(paper, body_pages=body_pages, first_page_note=pdf_note)
    settings = model_settings(fake, **overrides) if fake is not None else overrides
    return await core_with(ConsoleAdapter(), arxiv, tmp_path, **settings)


async def ask_bot(arxiv: FakeArxiv, tmp_path: Path, fake: ScriptedModel | None, **kwargs: Any) -> ConsoleBot:
    return ConsoleBot(await ask_core(arxiv, tmp_path, fake, **kwargs))


async def ask_once(arxiv: FakeArxiv, tmp_path: Path, fake: ScriptedModel | None, line: str,
                   **kwargs: Any) -> Said:
    """One command line on a fresh core (closed afterwards)."""
    bot = await ask_bot(arxiv, tmp_path, fake, **kwargs)
    try:
        return await bot.say(line)
    finally:
        await bot.core.close()
