"""The fake arXiv serves the real June 2026 days of ../shared/arxiv-listings through the real source."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from bot.arxiv.source import ArxivSource
from tests.conftest import make_settings
from tests.fakes.arxiv import LISTINGS, FakeArxiv

DAY = date(2026, 6, 1)
CATEGORIES = ["cs.CV", "cs.CL", "cs.AI"]

pytestmark = pytest.mark.skipif(not (LISTINGS / f"{DAY}.jsonl.gz").exists(), reason="shared listings absent")


def _listed(day: date) -> dict[str, dict[str, object]]:
    with gzip.open(LISTINGS / f"{day}.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return {r["id"]: r for r in rows if set(r["categories"]) & set(CATEGORIES)}


async def test_a_real_listing_day_comes_through_the_real_source_whole(tmp_path: Path) -> None:
    arxiv = FakeArxiv(papers=[])
    served = arxiv.announce_listing(DAY)
    await arxiv.start()
    try:
        async with ArxivSource(make_settings(arxiv, tmp_path)) as source:
            day = await source.todays_papers(CATEGORIES)
    finally:
        await arxiv.stop()
    expected = _listed(DAY)
    assert day.day == DAY
    assert len(served) >= len(expected) > 250  # a real day: hundreds of papers, each once
    assert {p.id for p in day.papers} == set(expected)
    for paper in day.papers:
        row = expected[paper.id]
        assert paper.title == " ".join(str(row["title"]).split())
        assert list(paper.authors) == row["authors"] and paper.categories[0] == row["categories"][0]
    assert sum(p.announce_type == "new" for p in day.papers) > 0.9 * len(day.papers)
