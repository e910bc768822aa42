"""Helpers for the Discord tests: sample replies (some deliberately oversized) and ``paperbot run``
as a subprocess against fakes on 127.0.0.1.

The subprocess gets a fresh working directory (so a developer's ``.env`` is never
read) and only settings that point at the fakes; the bot reaches the fake Discord
purely through ``PAPERBOT_DISCORD_API_URL``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.adapters.discord.adapter import DiscordAdapter
from bot.config import Settings
from bot.core import Core
from bot.models import Paper, Topic
from bot.replies import Digest, DigestEntry, Summary
from bot.summary_schema import BriefSummary, Conclusion, FullSummary, SummaryResult
from tests.conftest import today_listing
from tests.e2e import BotProcess, scrubbed_env
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake
from tests.fakes.discord import FakeDiscord

TOKEN = "fake-token-e2e-0123456789"

# ---------------------------------------------------------------- sample replies

TOPIC = Topic("virtual-humans", "Virtual humans", ("cs.CV",), "avatar")
MARKDOWN_TITLE = "*Stars* and _underscores_ in `code` ~~struck~~ ||spoiler|| > quote @everyone"


def paper(n: int, *, long: bool = False, title: str | None = None) -> Paper:
    base = title or f"Paper {n}: Gaussian avatars for everyone"
    return Paper(
        id=f"2407.{n:05d}",
        version=1,
        title=(base + " with a very long title" * 40) if long else base,
        authors=tuple(f"Author Number{i} Surname{'x' * (40 if long else 0)}" for i in range(60 if long else 3)),
        abstract="An abstract. " * (400 if long else 5),
        comment=("Accepted at a venue; " * 120) if long else "CVPR 2025",
        categories=("cs.CV",),
        primary_category="cs.CV",
    )


def brief(n: int, *, long: bool = False) -> SummaryResult:
    sentence = "This sentence is long and full of *stars* and _underscores_ that must be escaped. "
    content = BriefSummary(
        one_line=(sentence * 40) if long else f"Paper {n} makes avatars.",
        takeaways=[(sentence * 12) if long else f"Takeaway {k}" for k in range(7)],
    )
    return SummaryResult(paper=paper(n, long=long), kind="brief", language="en", content=content,
                         model="extractive", label="extractive summary (no model configured)")


def digest(count: int = 20, *, long: bool = True, more: int = 3) -> Digest:
    entries = tuple(
        DigestEntry(paper=paper(n, long=long), summary=brief(n, long=long),
                    code_links=(f"https://github.com/example/repo_{n}",))
        for n in range(1, count + 1)
    )
    return Digest(topic=TOPIC, day=date(2024, 8, 1), language="en", entries=entries, more=more)


def full_summary(*, long: bool = True) -> Summary:
    sentence = "Background sentence that keeps going, with *emphasis* and numbers 12.5%. "
    section = (sentence * (60 if long else 1)).strip()
    content = FullSummary(
        one_line="XHand renders hands in real time.",
        takeaways=["Fast.", "Expressive.", "Open source."],
        title_translated="XHand：实时手部化身",
        keywords=["hand avatar", "mesh", "real-time"],
        affiliations=["Zhejiang University"],
        background=section,
        past_methods=section,
        proposed_method=section,
        task_and_performance=section,
        method_steps=[section[:900]] * 8,
        conclusion=Conclusion(significance=section, innovation="New.", performance="Good.", workload="Low."),
    )
    p = paper(21002, title="XHand: Real-time Expressive Hand Avatar")
    result = SummaryResult(paper=p, kind="full", language="en", content=content, model="gemini-2.5-flash",
                           label="Summary by gemini-2.5-flash", source="pdf", figures=[b"\x89PNG\r\n\x1a\nfake"])
    return Summary(result=result, language="en", code_links=("https://github.com/agnJason/XHand",))


# ---------------------------------------------------------------- paperbot as a subprocess


@dataclass
class Fakes:
    discord: FakeDiscord
    discord_thread: ThreadedFake
    arxiv: FakeArxiv


@contextmanager
def running_fakes() -> Iterator[Fakes]:
    """A fake Discord and a fake arXiv (announcing today's listing), each serving from its own thread."""
    discord_fake, arxiv_fake = FakeDiscord(token=TOKEN), FakeArxiv()
    arxiv_fake.day = today_listing()
    discord_thread, arxiv_thread = ThreadedFake(discord_fake), ThreadedFake(arxiv_fake)
    with discord_thread, arxiv_thread:
        yield Fakes(discord_fake, discord_thread, arxiv_fake)


def bot_env(fakes: Fakes, db_path: Path, **extra: str) -> dict[str, str]:
    return scrubbed_env(
        DISCORD_BOT_TOKEN=TOKEN,
        PAPERBOT_DISCORD_API_URL=f"{fakes.discord.url}/api/v10",
        PAPERBOT_ARXIV_API_URL=f"{fakes.arxiv.url}/api/query",
        PAPERBOT_ARXIV_RSS_URL=f"{fakes.arxiv.url}/rss",
        PAPERBOT_ARXIV_PDF_URL=f"{fakes.arxiv.url}/pdf",
        PAPERBOT_ARXIV_DELAY_SECONDS="0.1",
        PAPERBOT_DB_PATH=str(db_path),
        PAPERBOT_LLM_BACKEND="extractive",
        PAPERBOT_LANGUAGE="en",
        **extra,
    )


def start_bot(fakes: Fakes, db_path: Path, workdir: Path, **extra_env: str) -> BotProcess:
    """Start paperbot and return once its gateway session is up (a new IDENTIFY reached the fake)."""
    before = len(fakes.discord.identified)
    bot = BotProcess(bot_env(fakes, db_path, **extra_env), workdir)
    bot.wait_until(lambda: len(fakes.discord.identified) > before, "the gateway IDENTIFY", timeout=30)
    return bot


def count_rows(db_path: Path, table: str) -> int:
    """Read the bot's database from outside (WAL allows a reader next to the running writer)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - test helper


@asynccontextmanager
async def running_discord(core: Core) -> AsyncIterator[DiscordAdapter]:
    """The Discord adapter started on ``core`` (settings point it at the fake), stopped on exit."""
    bot = DiscordAdapter(core.settings, ready_timeout=10)
    await bot.start(core.host)
    try:
        yield bot
    finally:
        await bot.stop()


def discord_settings(fake: FakeDiscord, arxiv: FakeArxiv, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, db_path=tmp_path / "paperbot.db", discord_bot_token=fake.token,
        discord_api_url=f"{fake.url}/api/v10", arxiv_api_url=f"{arxiv.url}/api/query",
        arxiv_rss_url=f"{arxiv.url}/rss", arxiv_pdf_url=f"{arxiv.url}/pdf", arxiv_delay_seconds=0.0,
        llm_backend="extractive", language="en",
    )
