"""Builds a topic's digest: fetch the day once, match locally, summarize once per paper.

Fetching is shared: the first digest of a day asks arXiv's RSS for the union of
every subscribed category and stores it, so later digests (any chat, any topic)
read the stored day. One category arXiv does not know (an old topic row, a
hand-edited database) must not fail that shared request for everyone: the request
is split until the bad category is alone, and only topics that need it go without. Summaries go through the summary cache, so a digest sent to a
thousand chats costs one model call per paper.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.arxiv_calendar import (
    is_listing_day,
    listing_day_for,
    previous_listing,
    rss_has,
    rss_ready_at,
    schedule_known,
    submission_window,
)
from bot.arxiv_feeds import RssDay
from bot.arxiv_source import UnknownCategory
from bot.commands import Progress
from bot.links import code_links
from bot.models import DayPapers, Paper, Topic
from bot.replies import Digest, DigestEntry
from bot.topics.matcher import rank
from bot.topics.taxonomy import is_category

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

Chooser = Callable[[list[Paper]], Awaitable[list[Paper]]]


class ListingPending(Exception):
    """arXiv's 20:00 ET announcement is due, but nothing confirms it yet: wait for the rebuilt feed.

    Raised only for dates the shipped holiday schedule does not cover: without it an
    evening might be a holiday, and an API window would invent a listing.
    """

    def __init__(self, listing: date, ready_at: datetime) -> None:
        super().__init__(f"the listing of {listing} is not confirmed before {ready_at:%Y-%m-%d %H:%M} UTC")
        self.listing = listing
        self.ready_at = ready_at


class DigestBuilder:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.clock = core.clock
        # A thousand subscriptions firing at 08:00 must cause one RSS request, not a thousand,
        # and one load and one match per topic: a listing day never changes once fetched.
        self._fetch_lock = asyncio.Lock()
        self._days: dict[tuple[date, frozenset[str]], DayPapers] = {}
        self._matches: dict[tuple[str, tuple[str, ...], date], list[Paper]] = {}
        # Categories arXiv answered 400 for, alone: left out of every later request of this process.
        self.unknown_categories: set[str] = set()

    async def subscribed_categories(self) -> set[str]:
        """Every category some subscription or personal filter needs: the one daily fetch covers them all."""
        custom = {(t.name, t.owner): t for t in await self.core.store.topics.all()}
        presets = self.core.topics.presets
        categories: set[str] = set()
        for sub in await self.core.store.subscriptions.all(include_paused=False):
            topic = custom.get((sub.topic, sub.chat.key)) or custom.get((sub.topic, None)) or presets.get(sub.topic)
            if topic:
                categories.update(topic.categories)
        return categories | await self.core.personal.categories()

    async def latest_day(self, categories: Iterable[str], as_of: datetime | None = None) -> DayPapers:
        """The latest listing announced by ``as_of`` (default: now), fetched at most once per day.

        ``as_of`` is a scheduled run's moment, so a catch-up sends the listing that run
        would have sent. Raises :class:`ListingPending` rather than guess.
        """
        wanted = set(categories)
        expected = listing_day_for(as_of or self.clock())
        key = (expected, frozenset(wanted))
        if key in self._days:
            return self._days[key]
        async with self._fetch_lock:
            usable = self._usable(wanted)
            cached = self._days.get(key) or await self.core.store.papers.load_day(sorted(usable), expected)
            if cached is not None:
                return self._remember(key, cached)
            union = usable | (await self.subscribed_categories() - self.unknown_categories)
            fetched = await self._announced(union, expected)
            await self.core.store.papers.save_day(sorted(union - self.unknown_categories), fetched)
            usable = self._usable(wanted)
        return self._remember(key, DayPapers(fetched.day, [p for p in fetched.papers if usable & set(p.categories)],
                                             fetched.no_announcement))

    def _usable(self, wanted: set[str]) -> set[str]:
        """``wanted`` without the categories arXiv does not know; the honest error if none is left."""
        usable = wanted - self.unknown_categories
        if not usable:
            raise UnknownCategory(sorted(wanted))
        return usable

    async def _announced(self, categories: set[str], expected: date) -> DayPapers:
        """``expected``'s listing, only once arXiv has announced it; the result is stored for good.

        - The feed shows ``expected``: that is the listing.
        - The feed, rebuilt after the announcement, still shows an older day: arXiv
          announced nothing (an unplanned holiday).
        - The feed has moved past ``expected`` (a catch-up): the API has that listing.
        - The feed is not rebuilt yet (20:00 ET to about 06:00 UTC): the API has the
          listing if arXiv's published schedule says it was announced; otherwise wait.
        """
        now = self.clock()
        if not rss_has(expected, now):
            if not schedule_known(expected):
                raise ListingPending(expected, rss_ready_at(expected))
            return await self.past_days(categories, expected, 1)
        feed = await self._announcement(sorted(categories))
        if feed.day is None or feed.day == expected:
            return await self.core.source.enrich(expected, feed.papers)
        if feed.day > expected:
            return await self.past_days(categories, expected, 1)
        log.info("no listing for the expected day", extra={"expected": str(expected), "feed_day": str(feed.day)})
        return DayPapers(day=expected, papers=[], no_announcement=True)

    async def _announcement(self, categories: list[str]) -> RssDay:
        """The RSS for ``categories``; when arXiv refuses one of them, split so the rest still arrive.

        The first split puts categories missing from the shipped taxonomy on their own
        (usually two more requests find the culprit); otherwise it bisects, about
        2·log2(n) extra requests. Either way once per process: the culprit is remembered
        and left out of later requests.
        """
        try:
            return await self.core.source.announcement(categories)
        except UnknownCategory:
            if len(categories) == 1:
                self._forget_category(categories[0])
                raise
        suspects = [c for c in categories if not is_category(c)]
        if 0 < len(suspects) < len(categories):
            groups = [[c for c in categories if c not in suspects], suspects]
        else:
            groups = [categories[: len(categories) // 2], categories[len(categories) // 2 :]]
        parts: list[RssDay] = []
        for group in groups:
            try:
                parts.append(await self._announcement(group))
            except UnknownCategory:
                pass
        if not parts:
            raise UnknownCategory(categories)
        papers = {p.id: p for part in parts for p in part.papers}
        return RssDay(next((p.day for p in parts if p.day is not None), None), list(papers.values()))

    def _forget_category(self, category: str) -> None:
        if category not in self.unknown_categories:
            self.unknown_categories.add(category)
            # Once per category and process: the owner fixes the topic; the log must not flood daily.
            log.error("arXiv does not know category %r; topics that name it get no papers from it "
                      "until it is fixed (/topic remove, then /topic add with a real category)", category[:40],
                      extra={"category": category[:40]})

    def _remember(self, key: tuple[date, frozenset[str]], day: DayPapers) -> DayPapers:
        if len(self._days) > 64:
            self._days.clear()
            self._matches.clear()
        self._days[key] = day
        return day

    def select(self, topic: Topic, day: DayPapers) -> list[Paper]:
        """:func:`select`, memoized per topic definition and listing day."""
        key = (topic.expression, topic.categories, day.day)
        if key not in self._matches:
            self._matches[key] = select(topic, day.papers)
        return self._matches[key]

    async def past_days(self, categories: Iterable[str], day: date, days: int) -> DayPapers:
        """Papers of ``days`` listings ending at ``day``, from the API's submittedDate ranges."""
        start, end = submission_window(day, days)
        papers = await self.core.source.papers_submitted(sorted(set(categories)), start.date(), end.date())
        papers = [p for p in papers if p.published is None or start <= p.published < end]
        await self.core.store.papers.upsert(papers)
        return DayPapers(day=day, papers=papers)

    async def build(
        self, topic: Topic, language: str, *, day: date | None = None, days: int = 1, limit: int = 20,
        include_all: bool = False, progress: Progress | None = None, choose: Chooser | None = None,
    ) -> Digest:
        """``choose`` (the handler's quota and paging) picks the papers to summarize from the ranked matches."""
        if day is None and days == 1:
            day_papers = await self.latest_day(topic.categories)
        elif day is not None and days == 1 and not is_listing_day(day):
            day_papers = DayPapers(day=day, papers=[], no_announcement=True)
        else:
            # Several listings ending on a day without one: the listings up to that day.
            end = day or listing_day_for(self.clock())
            day_papers = await self.past_days(topic.categories, end if is_listing_day(end) else previous_listing(end), days)
        if day_papers.no_announcement:
            return Digest(topic, day_papers.day, language, (), no_announcement=True, days=days)
        matched = self.select(topic, day_papers) if days == 1 and day is None else select(topic, day_papers.papers)
        chosen = await choose(matched) if choose else matched if include_all else matched[:limit]
        entries = await self.entries(chosen, language, progress)
        return Digest(topic, day_papers.day, language, entries, more=len(matched) - len(chosen), days=days)

    async def entries(self, papers: list[Paper], language: str, progress: Progress | None = None) -> tuple[DigestEntry, ...]:
        if progress:
            progress.start(len(papers), "summarizing")
        callback = (lambda done, total: progress.advance()) if progress else None
        summaries = await self.core.summarizer.briefs(papers, language, progress=callback)
        if progress:
            progress.done()
        return tuple(DigestEntry(p, summaries[p.id], tuple(code_links(p))) for p in papers)


def select(topic: Topic, papers: Iterable[Paper]) -> list[Paper]:
    """Matching papers, best first; replacements are not news and nothing is listed twice."""
    unique = {p.id: p for p in papers if not p.is_replacement}
    return rank(topic, list(unique.values()))
