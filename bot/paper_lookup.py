"""One paper's metadata for a command, asked of arXiv at most once at a time.

Fifty people sending ``/summarize 2407.03204`` together used to make fifty identical
API requests, each waiting its 3 s turn for arXiv's single request slot. Here the
first one asks and the rest wait for its answer (single flight), and the store
answers everyone after that.
"""

from __future__ import annotations

import asyncio
import weakref

from bot.arxiv_ids import ArxivRef
from bot.arxiv_source import ArxivSource
from bot.models import Paper
from bot.store import Store

# Per source (one per core): the lookup in flight for each bare id.
_IN_FLIGHT: weakref.WeakKeyDictionary[ArxivSource, dict[str, asyncio.Task[Paper | None]]] = (
    weakref.WeakKeyDictionary())


async def lookup_paper(store: Store, source: ArxivSource, ref: ArxivRef) -> Paper | None:
    """The paper from the store, or from arXiv when missing or older than ``ref`` asks; None if arXiv has none.

    Raises :class:`bot.arxiv_source.ArxivError` when arXiv cannot answer.
    """
    paper = await store.papers.get(ref.id)
    if paper is not None and not (ref.version and paper.version < ref.version):
        return paper
    flights = _IN_FLIGHT.setdefault(source, {})
    task = flights.get(ref.id)
    if task is None:
        task = asyncio.create_task(_fetch(store, source, ref.id), name=f"lookup {ref.id}")
        flights[ref.id] = task
        task.add_done_callback(lambda done: _landed(flights, ref.id, done))
    return await asyncio.shield(task)


async def _fetch(store: Store, source: ArxivSource, paper_id: str) -> Paper | None:
    found = await source.papers_by_ids([paper_id])  # the bare id: arXiv answers with the latest version
    await store.papers.upsert(found)
    return found[0] if found else None


def _landed(flights: dict[str, asyncio.Task[Paper | None]], paper_id: str, task: asyncio.Task[Paper | None]) -> None:
    if flights.get(paper_id) is task:
        del flights[paper_id]
    if not task.cancelled():
        task.exception()  # retrieved: every waiter re-raises it, and a waiter that gave up must not warn
