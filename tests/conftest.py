"""Shared fixtures: a set clock, a fake arXiv on 127.0.0.1, settings pointing at it, a core, and a console bot.

The ``bot`` fixture is errbot's testbot idea: send a command line through the real
console adapter and dispatcher, get back the reply and its rendered text.

Time: every core built here reads the ``clock`` fixture, set to :data:`NOW`, and the
fake arXiv announces that moment's listing, so no test depends on the day it runs.
A test that moves time sets the clock; subprocesses are pinned with libfaketime
(:func:`tests.e2e.pinned_clock_env`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.console import CONSOLE_CHAT, ConsoleAdapter
from bot.arxiv.calendar import listing_day_for
from bot.arxiv.source import ArxivSource
from bot.config import Settings
from bot.core import Core
from bot.models import ChatRef
from bot.ports import Adapter
from bot.render.plain import render
from bot.replies import Reply
from bot.scheduler import DigestScheduler
from bot.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.clock import ManualClock
from tests.fakes.discord import FakeDiscord
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_compat import FakeOpenAI
from tests.summarizer_support import Harness

# The five papers of the two reference digests, all cs.CV.
REFERENCE_IDS = ("2407.03204", "2407.02165", "2407.21047", "2407.21002", "2407.19593")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "OPENAI_API_KEY",
                 "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


# A Friday noon (UTC): the listing of 2026-11-20 was announced on Thursday evening and its feed is rebuilt.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def today_listing() -> date:
    """The listing current at :data:`NOW`: what the fake arXiv announces and every core expects."""
    return listing_day_for(NOW)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    """A fake arXiv whose current listing (RSS) is :data:`NOW`'s and announces every cs.CV/cs.GR paper it holds."""
    fake = FakeArxiv()
    await fake.start()
    fake.day = today_listing()
    try:
        yield fake
    finally:
        await fake.stop()


def make_settings(arxiv: FakeArxiv, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db_path": tmp_path / "paperbot.db",
        "arxiv_api_url": f"{arxiv.url}/api/query",
        "arxiv_rss_url": f"{arxiv.url}/rss",
        "arxiv_pdf_url": f"{arxiv.url}/pdf",
        "arxiv_delay_seconds": 0.0,
        "arxiv_retries": 2,
        "llm_backend": "extractive",
        "language": "en",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def core_with(adapter: Adapter, arxiv: FakeArxiv, tmp_path: Path, clock: ManualClock | None = None,
                    **overrides: Any) -> Core:
    """A core on the fake arXiv that delivers through ``adapter``, reading ``clock`` (default: :data:`NOW`).

    Close it yourself.
    """
    core = await Core.create(make_settings(arxiv, tmp_path, **overrides), clock or ManualClock(NOW))
    core.adapters[adapter.name] = adapter
    return core


def scheduler_at(core: Core, moment: datetime) -> DigestScheduler:
    """A scheduler on ``core``, with the core's clock set to ``moment``."""
    clock = core.clock
    assert isinstance(clock, ManualClock), "build the core with a ManualClock (core_with does)"
    clock.set(moment)
    return core.scheduler


@pytest.fixture
def settings(arxiv: FakeArxiv, tmp_path: Path) -> Settings:
    return make_settings(arxiv, tmp_path)


@pytest.fixture
async def core(settings: Settings, clock: ManualClock) -> AsyncIterator[Core]:
    async with await Core.create(settings, clock) as c:
        yield c


@dataclass
class Said:
    reply: Reply
    text: str


class ConsoleBot:
    """Send command lines as a user of a chat; get the reply and its plain rendering."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.adapter = ConsoleAdapter()

    async def say(self, line: str, *, chat: ChatRef = CONSOLE_CHAT, user: str = "alice", admin: bool = True) -> Said:
        reply = await self.core.dispatcher.dispatch_line(line, user_id=user, chat=chat, can_admin=admin,
                                                         dm_chat_id=user)
        return Said(reply, render(reply))


@pytest.fixture
async def bot(core: Core) -> ConsoleBot:
    return ConsoleBot(core)


# Model fakes and a summarizer harness, for the summarizer, quota and hostile-model tests.
@pytest.fixture
async def gemini() -> AsyncIterator[FakeGemini]:
    async with FakeGemini() as fake:
        yield fake


@pytest.fixture
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "paperbot.db") as opened:
        yield opened


@pytest.fixture
async def harness_factory(store: Store) -> AsyncIterator[Any]:
    """``make(settings, with_pdfs=True, **summarizer_kwargs)`` → :class:`Harness`, closed afterwards."""
    made: list[Harness] = []

    def make(settings: Settings, *, with_pdfs: bool = False, **kwargs: Any) -> Harness:
        harness = Harness(settings, store, ArxivSource(settings) if with_pdfs else None, **kwargs)
        made.append(harness)
        return harness

    try:
        yield make
    finally:
        for harness in made:
            await harness.aclose()
