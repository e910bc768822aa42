"""One paper's metadata for a command, asked of arXiv at most once at a time.

Fifty people sending ``/summarize 2407.03204`` together used to make fifty identical
API requests, each waiting its 3 s turn for arXiv's single request slot. Here the
first one asks and the rest wait for its answer (single flight), and the store
answers everyone after that.
"""

from __future__ import annotations

import asyncio

from bot.arxiv.ids import ArxivRef
from bot.arxiv.source import ArxivSource
from bot.models import Paper
from bot.store.papers import PaperStore


class PaperCatalog:
    def __init__(self, papers: PaperStore, source: ArxivSource) -> None:
        self._papers = papers
        self._source = source
        self._in_flight: dict[str, asyncio.Task[Paper | None]] = {}

    async def get_or_fetch(self, ref: ArxivRef) -> Paper | None:
        """The stored paper, or arXiv's when missing or older than ``ref`` asks; None if arXiv has none.

        Raises :class:`bot.arxiv.source.ArxivError` when arXiv cannot answer.
        """
        paper = await self._papers.get(ref.id)
        if paper is not None and not (ref.version and paper.version < ref.version):
            return paper
        task = self._in_flight.get(ref.id)
        if task is None:
            task = asyncio.create_task(self._fetch(ref.id), name=f"lookup {ref.id}")
            self._in_flight[ref.id] = task
            task.add_done_callback(lambda done: self._landed(ref.id, done))
        return await asyncio.shield(task)

    async def _fetch(self, paper_id: str) -> Paper | None:
        found = await self._source.papers_by_ids([paper_id])  # the bare id: arXiv answers with the latest version
        await self._papers.upsert(found)
        return found[0] if found else None

    def _landed(self, paper_id: str, task: asyncio.Task[Paper | None]) -> None:
        if self._in_flight.get(paper_id) is task:
            del self._in_flight[paper_id]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter re-raises it, and a waiter that gave up must not warn
