"""Real arXiv announcement days (../shared/arxiv-listings) as :class:`Paper` lists, for benchmarks."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

from bot.models import Paper

LISTINGS = Path(__file__).resolve().parents[2] / "shared" / "arxiv-listings"


def days(directory: Path = LISTINGS) -> list[tuple[date, list[Paper]]]:
    """Each listing day, oldest first; an id listed under several categories is kept once."""
    result = []
    for path in sorted(directory.glob("*.jsonl.gz")):
        day = date.fromisoformat(path.name[:10])
        papers: dict[str, Paper] = {}
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                cats = tuple(row.get("categories") or ())
                papers.setdefault(row["id"], Paper(
                    id=row["id"], version=1, title=" ".join(row["title"].split()),
                    authors=tuple(row.get("authors") or ()), abstract=" ".join((row.get("summary") or "").split()),
                    comment=row.get("comment"), categories=cats, primary_category=cats[0] if cats else None,
                    announce_type="new", announced=day))
        result.append((day, list(papers.values())))
    return result


async def served_days(directory: Path = LISTINGS) -> list[tuple[date, list[Paper]]]:
    """The same days as :func:`days`, each announced by the fake arXiv and read through the real source.

    What a digest sees: the RSS feed of every category of the day, enriched by the API
    (primary category, replacements flagged), so the benchmark ranks what the bot would.
    """
    import tempfile

    from bot.arxiv.source import ArxivSource
    from tests.conftest import make_settings
    from tests.fakes.arxiv import ARCHIVES, FakeArxiv

    arxiv = FakeArxiv(papers=[])
    await arxiv.start()
    result = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with ArxivSource(make_settings(arxiv, Path(tmp))) as source:
                for path in sorted(directory.glob("*.jsonl.gz")):
                    day = date.fromisoformat(path.name[:10])
                    served = arxiv.announce_listing(day, directory)
                    cats = {c for p in served for c in p.categories if c.partition(".")[0] in ARCHIVES}
                    listed = await source.todays_papers(cats)
                    assert listed.day == day, (listed.day, day)
                    result.append((day, listed.papers))
    finally:
        await arxiv.stop()
    return result
