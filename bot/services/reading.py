"""A chat's reading list: /save and the 🔖 button add a paper, /read marks it done, /reading lists it.

Metadata comes from arXiv through the :class:`PaperCatalog` (the store first), never a
model, so an id arXiv does not know stores nothing. Saves are rate-limited per person
like votes (:class:`~bot.pace.MinuteLimiter`), and a chat holds at most ``cap`` papers, read or
unread: ``/reading clear`` drops the read ones to make room.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.arxiv.ids import ArxivRef
from bot.models import ChatRef, Paper
from bot.pace import MinuteLimiter
from bot.render.bibtex import bibtex
from bot.services.catalog import PaperCatalog
from bot.services.feedback import VOTES_PER_MINUTE, UnknownPapers
from bot.store.papers import PaperStore
from bot.store.reading import ReadingEntry, ReadingStore, SaveOutcome

DEFAULT_CAP = 500


@dataclass(frozen=True)
class Listed:
    """One reading-list entry with its paper (None when the paper's metadata is missing)."""

    entry: ReadingEntry
    paper: Paper | None


class ReadingList:
    def __init__(self, store: ReadingStore, papers: PaperStore, catalog: PaperCatalog, cap: int = DEFAULT_CAP,
                 limiter: MinuteLimiter | None = None) -> None:
        self._store = store
        self._papers = papers
        self._catalog = catalog
        self.cap = cap
        self.limiter = limiter or MinuteLimiter(VOTES_PER_MINUTE)

    async def save(self, chat: ChatRef, user_id: str, user_name: str | None, ref: ArxivRef) -> tuple[Paper,
                                                                                                   SaveOutcome]:
        """Save one paper; raises RateLimited, UnknownPapers, ArxivError or LimitReached (nothing stored)."""
        self.limiter.take(f"{chat.platform}:{user_id}")
        paper = await self._catalog.get_or_fetch(ref)
        if paper is None:
            raise UnknownPapers([ref.id])
        outcome = await self._store.save(chat.key, paper.id, f"{chat.platform}:{user_id}", user_name, self.cap)
        return paper, outcome

    async def has(self, chat: ChatRef, paper_id: str) -> bool:
        return await self._store.has(chat.key, paper_id)

    async def mark_read(self, chat: ChatRef, user_id: str, paper_id: str) -> bool | None:
        return await self._store.mark_read(chat.key, paper_id, f"{chat.platform}:{user_id}")

    async def clear_read(self, chat: ChatRef) -> int:
        return await self._store.clear_read(chat.key)

    async def listed(self, chat: ChatRef, done: bool | None = False) -> list[Listed]:
        entries = await self._store.entries(chat.key, done)
        papers = await self._papers.get_many([e.paper_id for e in entries])
        return [Listed(e, papers.get(e.paper_id)) for e in entries]

    async def bibtex(self, chat: ChatRef) -> tuple[str, int]:
        """The whole list (read and unread) as BibTeX, and how many entries it holds."""
        found = [item.paper for item in await self.listed(chat, None) if item.paper is not None]
        return bibtex(found), len(found)
