"""What chats receive across arXiv's calendar: holidays, weekends, DST switches and the new year.

Each scenario builds a small world by hand, from arXiv's published schedule: which
listings exist and which papers each one announces. The fake arXiv's feed follows
that world hour by hour (rebuilt at 05:00 UTC, empty on days without a listing, as
arXiv's is), the core's clock walks forward an hour at a time, and the scheduler's
catch-up runs at every step as cron would. The assertions read what each chat was
sent: which listing days, which papers, and nothing twice.
"""

from __future__ import annotations

import re
import time as systime
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.arxiv.calendar import default_weekdays
from bot.core import Core
from bot.models import ChatRef
from bot.replies import Digest, Error
from tests.conftest import core_with
from tests.fakes.arxiv import FakeArxiv, FakePaper
from tests.fakes.clock import ManualClock
from tests.fakes.recording import RecordingAdapter

ET = ZoneInfo("America/New_York")
CHATS = {  # chat id -> (zone, local time of its daily digest)
    "shanghai": ("Asia/Shanghai", time(10, 0)),  # an hour after the announcement, before the feed is rebuilt
    "berlin": ("Europe/Berlin", time(8, 0)),  # after the rebuilt feed shows it
    "newyork": ("America/New_York", time(21, 0)),  # an hour after the announcement, the evening before
}


def submitted(day: date, hour: int = 10) -> datetime:
    """A submission time, US Eastern (before the 14:00 deadline unless ``hour`` says otherwise)."""
    return datetime.combine(day, time(hour), ET).astimezone(UTC)


@dataclass
class World:
    """arXiv as it really behaves over some days: listing day -> (paper id, submitted at)."""

    listings: dict[date, list[tuple[str, datetime]]]

    def papers(self) -> list[FakePaper]:
        return [FakePaper(id=pid, version=1, title=f"Avatar study {pid}", authors=["A. Author"],
                          summary="We animate a human avatar from video.", published=when, updated=when,
                          primary_category="cs.CV", categories=["cs.CV"])
                for papers in self.listings.values() for pid, when in papers]

    def show_feed(self, fake: FakeArxiv, moment: datetime) -> None:
        """The feed at ``moment``: rebuilt at 05:00 UTC; empty on a day with no listing (weekend, holiday)."""
        day = (moment.astimezone(UTC) - timedelta(hours=5)).date()
        fake.announce(day, [(pid, "new") for pid, _ in self.listings.get(day, [])])


async def _world_core(world: World, arxiv: FakeArxiv, tmp_path: Path, start: datetime) -> tuple[Core, RecordingAdapter]:
    arxiv.papers.clear()
    for paper in world.papers():
        arxiv.add(paper)
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path, clock=ManualClock(start))
    for chat_id, (zone, at) in CHATS.items():
        await core.store.subscriptions.upsert(ChatRef("console", chat_id, "group"), "virtual-humans", at, zone,
                                              weekdays=default_weekdays(at, zone))
    return core, adapter


async def _walk(core: Core, world: World, arxiv: FakeArxiv, start: datetime, end: datetime) -> None:
    """Hour by hour, as cron would fire: every due run happens at most an hour late."""
    clock = core.clock
    assert isinstance(clock, ManualClock)
    scheduler = core.scheduler
    moment = start
    while moment <= end:
        clock.set(moment)
        world.show_feed(arxiv, moment)
        await scheduler.catch_up()
        moment += timedelta(hours=1)


def received(adapter: RecordingAdapter, chat_id: str) -> list[tuple[str, list[str]]]:
    """Per digest the chat got: (listing day in its header, arXiv ids in it), in order."""
    digests: list[tuple[str, list[str]]] = []
    for cid, index, text in adapter.sent:
        if cid != chat_id:
            continue
        if index == 0:
            header = re.search(r"· (\d{4}-\d{2}-\d{2})", text)
            assert header, text
            digests.append((header.group(1), []))
        digests[-1][1].extend(re.findall(r"Avatar study (\d{4}\.\d{5})", text))
    return digests


def assert_each_paper_once(adapter: RecordingAdapter) -> None:
    for chat_id in CHATS:
        counts = Counter(pid for _, ids in received(adapter, chat_id) for pid in ids)
        assert all(n == 1 for n in counts.values()), (chat_id, counts)
        days = [day for day, _ in received(adapter, chat_id)]
        assert len(days) == len(set(days)), (chat_id, days)


# arXiv's 2026 Christmas schedule: holidays Fri 25, Tue 29 and Thu 31 December (no deadline
# on those days, so no announcement on Sun 27, Tue 29 or Thu 31 evening).
CHRISTMAS = World({
    date(2026, 12, 24): [("2612.00001", submitted(date(2026, 12, 23)))],
    date(2026, 12, 25): [("2612.00002", submitted(date(2026, 12, 24)))],  # Thursday evening still announces
    date(2026, 12, 29): [("2612.00003", submitted(date(2026, 12, 25))),  # the holiday's submissions wait
                         ("2612.00004", submitted(date(2026, 12, 28)))],
    date(2026, 12, 31): [("2612.00005", submitted(date(2026, 12, 29))),
                         ("2612.00006", submitted(date(2026, 12, 30)))],
    date(2027, 1, 4): [("2701.00001", submitted(date(2026, 12, 31))),
                       ("2701.00002", submitted(date(2027, 1, 1)))],
    date(2027, 1, 5): [("2701.00003", submitted(date(2027, 1, 1), hour=15))],
})


async def test_christmas_week_follows_arxivs_holidays_and_never_repeats_a_paper(arxiv: FakeArxiv,
                                                                                tmp_path: Path) -> None:
    # From 20:00 UTC on the 23rd: every chat's previous run is past the catch-up grace.
    start, end = datetime(2026, 12, 23, 20, tzinfo=UTC), datetime(2027, 1, 5, 12, tzinfo=UTC)
    core, adapter = await _world_core(CHRISTMAS, arxiv, tmp_path, start)
    try:
        await _walk(core, CHRISTMAS, arxiv, start, end)
    finally:
        await core.close()
    expected = [("2026-12-24", ["2612.00001"]), ("2026-12-25", ["2612.00002"]),
                ("2026-12-29", ["2612.00003", "2612.00004"]), ("2026-12-31", ["2612.00005", "2612.00006"]),
                ("2027-01-04", ["2701.00001", "2701.00002"]), ("2027-01-05", ["2701.00003"])]
    for chat_id in CHATS:
        got = [(day, sorted(ids)) for day, ids in received(adapter, chat_id)]
        assert got == expected, chat_id
    assert_each_paper_once(adapter)


async def test_2027_listing_waits_for_the_feed_because_its_holidays_are_not_published(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    # 2027's schedule is not shipped: Shanghai's 10:00 run on Monday 4 January (02:00 UTC) comes
    # before the feed shows the listing, so it waits for the rebuilt feed instead of guessing.
    start, end = datetime(2027, 1, 3, 12, tzinfo=UTC), datetime(2027, 1, 4, 12, tzinfo=UTC)
    core, adapter = await _world_core(CHRISTMAS, arxiv, tmp_path, start)
    try:
        await _walk(core, CHRISTMAS, arxiv, start, datetime(2027, 1, 4, 4, tzinfo=UTC))
        assert received(adapter, "shanghai") == [] and received(adapter, "newyork") == []
        assert not any("submittedDate" in r.query.get("search_query", "") for r in arxiv.requests)
        await _walk(core, CHRISTMAS, arxiv, datetime(2027, 1, 4, 5, tzinfo=UTC), end)
        assert [(d, sorted(i)) for d, i in received(adapter, "shanghai")] == [
            ("2027-01-04", ["2701.00001", "2701.00002"])]
    finally:
        await core.close()


# An unplanned skip in a year whose schedule is unknown: arXiv makes no announcement on
# Thursday 23 December 2027, so there is no listing for Friday the 24th; the next is Monday's.
UNPLANNED = World({
    date(2027, 12, 23): [("2712.00001", submitted(date(2027, 12, 22)))],
    date(2027, 12, 27): [("2712.00002", submitted(date(2027, 12, 23))),
                         ("2712.00003", submitted(date(2027, 12, 24)))],
})


async def test_an_unannounced_evening_is_inferred_from_the_feed_and_nothing_is_invented(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    start, end = datetime(2027, 12, 23, 6, tzinfo=UTC), datetime(2027, 12, 28, 12, tzinfo=UTC)
    core, adapter = await _world_core(UNPLANNED, arxiv, tmp_path, start)
    try:
        await _walk(core, UNPLANNED, arxiv, start, end)
        stored = await core.store.papers.load_day(["cs.CV"], date(2027, 12, 24))
    finally:
        await core.close()
    assert stored is not None and stored.no_announcement and stored.papers == []
    for chat_id in CHATS:  # the 23rd's runs before 06:00 UTC are caught up when the walk starts
        got = [(day, sorted(ids)) for day, ids in received(adapter, chat_id)]
        assert got == [("2027-12-23", ["2712.00001"]), ("2027-12-27", ["2712.00002", "2712.00003"])], chat_id
    assert_each_paper_once(adapter)


def _weekdays(first: date, last: date) -> World:
    """A world where every Monday to Friday has a listing with one paper (no holidays in range)."""
    listings = {}
    day = first
    while day <= last:
        if day.weekday() < 5:
            deadline_day = day - timedelta(days=3 if day.weekday() == 0 else 1)
            listings[day] = [(f"{day:%y%m}.{day.day:05d}", submitted(deadline_day))]
        day += timedelta(days=1)
    return World(listings)


@pytest.mark.parametrize(("first", "last"), [
    (date(2026, 3, 4), date(2026, 3, 13)),  # New York springs forward on 8 March; Berlin not until the 29th
    (date(2026, 10, 21), date(2026, 11, 6)),  # Berlin falls back on 25 October, New York on 1 November
])
async def test_every_listing_reaches_every_zone_once_across_a_dst_switch(
        arxiv: FakeArxiv, tmp_path: Path, first: date, last: date) -> None:
    world = _weekdays(first, last)
    start = datetime.combine(first, time(12), UTC)
    end = datetime.combine(last, time(23), UTC)
    core, adapter = await _world_core(world, arxiv, tmp_path, start)
    try:
        await _walk(core, world, arxiv, start, end)
    finally:
        await core.close()
    listings = [d.isoformat() for d in world.listings]
    for chat_id in CHATS:
        days = [day for day, _ in received(adapter, chat_id)]
        # Every listing, in order, none skipped: the first may predate the walk, the last come after it.
        assert days and days[0] in listings[:2], (chat_id, days)
        first = listings.index(days[0])
        assert days == listings[first:first + len(days)] and first + len(days) >= len(listings) - 1, (chat_id, days)
        for day, ids in received(adapter, chat_id):
            assert ids == [pid for pid, _ in world.listings[date.fromisoformat(day)]]
    assert_each_paper_once(adapter)


# /digest at chosen moments: which listing a chat is shown.
@pytest.mark.parametrize(("moment", "listing"), [
    (datetime(2026, 11, 13, 19, 59, tzinfo=ET), "2026-11-13"),  # Friday before 20:00: Thursday evening's listing
    (datetime(2026, 11, 13, 20, 1, tzinfo=ET), "2026-11-13"),  # Friday after 20:00: arXiv does not announce
    (datetime(2026, 11, 14, 15, 0, tzinfo=ET), "2026-11-13"),  # Saturday
    (datetime(2026, 11, 15, 20, 1, tzinfo=ET), "2026-11-16"),  # Sunday after 20:00: Monday's listing
    (datetime(2026, 11, 26, 21, 0, tzinfo=ET), "2026-11-26"),  # Thanksgiving evening: nothing new
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2026-12-31"),  # New Year's Eve, a holiday evening
])
async def test_digest_now_shows_the_listing_arxiv_has_announced(arxiv: FakeArxiv, tmp_path: Path,
                                                                moment: datetime, listing: str) -> None:
    world = _weekdays(date(2026, 11, 9), date(2027, 1, 1))
    for holiday in (date(2026, 11, 27), date(2026, 12, 28), date(2026, 12, 30), date(2027, 1, 1)):
        world.listings.pop(holiday)
    core, _ = await _world_core(world, arxiv, tmp_path, moment)
    try:
        world.show_feed(arxiv, moment)
        reply = await core.dispatcher.dispatch_line("/digest virtual-humans", user_id="u",
                                                    chat=ChatRef("console", "g", "group"), can_admin=True)
    finally:
        await core.close()
    assert isinstance(reply, Digest) and reply.day.isoformat() == listing
    assert [e.paper.id for e in reply.entries] == [pid for pid, _ in world.listings[reply.day]]


async def test_digest_before_an_unconfirmed_listing_says_when_it_will_be_there(arxiv: FakeArxiv,
                                                                               tmp_path: Path) -> None:
    sunday_evening = datetime(2027, 1, 10, 20, 30, tzinfo=ET)
    world = _weekdays(date(2027, 1, 4), date(2027, 1, 11))
    core, _ = await _world_core(world, arxiv, tmp_path, sunday_evening)
    try:
        world.show_feed(arxiv, sunday_evening)
        reply = await core.dispatcher.dispatch_line("/digest virtual-humans", user_id="u",
                                                    chat=ChatRef("console", "g", "group"), can_admin=True)
    finally:
        await core.close()
    assert isinstance(reply, Error) and "2027-01-11" in reply.text and "06:00 UTC" in reply.text
    assert arxiv.requests == []


@pytest.fixture
def _restore_tz() -> Iterator[None]:
    yield
    systime.tzset()  # after monkeypatch has put TZ back


async def test_digest_date_uses_arxivs_day_not_the_servers(_restore_tz: None, arxiv: FakeArxiv, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # 02:30 UTC on 1 December is still 30 November in Los Angeles, but the listing of the 1st is out.
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    systime.tzset()
    moment = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    world = _weekdays(date(2026, 11, 30), date(2026, 12, 1))
    core, _ = await _world_core(world, arxiv, tmp_path, moment)
    try:
        reply = await core.dispatcher.dispatch_line("/digest virtual-humans 2026-12-01", user_id="u",
                                                    chat=ChatRef("console", "g", "group"), can_admin=True)
        later = await core.dispatcher.dispatch_line("/digest virtual-humans 2026-12-02", user_id="u",
                                                    chat=ChatRef("console", "g", "group"), can_admin=True)
    finally:
        await core.close()
    assert isinstance(reply, Digest) and reply.day == date(2026, 12, 1)
    assert [e.paper.id for e in reply.entries] == [pid for pid, _ in world.listings[date(2026, 12, 1)]]
    assert isinstance(later, Error) and "no arXiv listing" in later.text


async def test_a_feed_rebuilt_late_delays_the_digest_instead_of_losing_the_day(arxiv: FakeArxiv,
                                                                               tmp_path: Path) -> None:
    # 07:00 UTC, Friday 20 November 2026: the feed should show the 20th but still shows the 19th.
    world = _weekdays(date(2026, 11, 16), date(2026, 11, 20))
    start = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    core, adapter = await _world_core(world, arxiv, tmp_path, start)
    try:
        arxiv.announce(date(2026, 11, 19), [(pid, "new") for pid, _ in world.listings[date(2026, 11, 19)]])
        scheduler = core.scheduler
        assert isinstance(core.clock, ManualClock)
        core.clock.set(datetime(2026, 11, 20, 7, 5, tzinfo=UTC))
        assert (await scheduler.catch_up())["sub:2"] == "retry_scheduled"  # Berlin's 08:00 run
        assert await core.store.papers.load_day(["cs.CV"], date(2026, 11, 20)) is None  # nothing stored
        core.clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # the feed is rebuilt at last
        world.show_feed(arxiv, core.clock())
        await scheduler.catch_up()
    finally:
        await core.close()
    assert [(d, ids) for d, ids in received(adapter, "berlin")] == [
        ("2026-11-20", [pid for pid, _ in world.listings[date(2026, 11, 20)]])]
