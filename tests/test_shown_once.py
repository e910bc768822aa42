"""A paper an audience was already sent is not sent again on a later day (replacements, catch-ups)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.core import Core
from bot.models import ChatRef
from tests.conftest import core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter

FRIDAY, MONDAY = date(2026, 11, 20), date(2026, 11, 23)
GROUP = ChatRef("console", "g", "group")


async def _planned(core: Core, day: date) -> list[str]:
    rows = await core.store.db.fetchall(
        "SELECT paper_id FROM deliveries d JOIN digests g ON g.id = d.digest_id WHERE g.day = ? ORDER BY position",
        (day.isoformat(),))
    return [r[0] for r in rows]


async def test_papers_sent_on_an_earlier_day_are_left_out(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = FRIDAY
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        sub = await core.store.subscriptions.upsert(GROUP, "virtual-humans", time(8), "UTC")
        friday = datetime(2026, 11, 20, 8, tzinfo=UTC)
        assert await scheduler_at(core, friday + timedelta(minutes=1)).run_subscription(sub.id, scheduled=friday) \
            == "sent"
        first = await _planned(core, FRIDAY)
        assert first
        # Monday's listing announces every Friday paper again (as replacements would) plus one new paper.
        known = await core.store.papers.get(first[0])
        assert known is not None
        fresh = replace(known, id="2611.00042", title=known.title + " (a new paper)")
        arxiv.add(fresh)
        arxiv.day = MONDAY
        monday = datetime(2026, 11, 23, 8, tzinfo=UTC)
        before = len(adapter.sent)
        assert await scheduler_at(core, monday + timedelta(minutes=1)).run_subscription(sub.id, scheduled=monday) \
            == "sent"
        assert await _planned(core, MONDAY) == [fresh.id]
        assert len(adapter.sent) > before
    finally:
        await core.close()
