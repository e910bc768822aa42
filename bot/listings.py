"""Listing days: fetch each one once, only once arXiv has announced it, for every audience at once.

Fetching is shared: the first digest of a day asks arXiv's RSS for the union of
every subscribed category and stores it, so later digests (any chat, any topic,
any person) read the stored day. One category arXiv does not know (an old topic
row, a hand-edited database) must not fail that shared request for everyone: the
request is split until the bad category is alone, and only topics that need it go
without.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta

from bot.arxiv.calendar import listing_day_for, rss_has, rss_ready_at, schedule_known, submission_window
from bot.arxiv.feeds import RssDay
from bot.arxiv.source import ArxivSource, UnknownCategory
from bot.clock import Clock
from bot.models import DayPapers
from bot.store.chats import SubscriptionStore
from bot.store.papers import PaperStore
from bot.topics.registry import TopicRegistry
from bot.topics.taxonomy import is_category

log = logging.getLogger(__name__)

LATE_FEED_GRACE = timedelta(hours=6)  # after the usual rebuild, before a stale feed means "no announcement"
LATE_FEED_RETRY = timedelta(minutes=30)


class ListingPending(Exception):
    """arXiv's 20:00 ET announcement is due, but nothing confirms it yet: wait for the rebuilt feed.

    Raised only for dates the shipped holiday schedule does not cover: without it an
    evening might be a holiday, and an API window would invent a listing.
    """

    def __init__(self, listing: date, ready_at: datetime) -> None:
        super().__init__(f"the listing of {listing} is not confirmed before {ready_at:%Y-%m-%d %H:%M} UTC")
        self.listing = listing
        self.ready_at = ready_at


class Listings:
    def __init__(self, source: ArxivSource, papers: PaperStore, subscriptions: SubscriptionStore,
                 topics: TopicRegistry, personal_categories: Callable[[], Awaitable[set[str]]], clock: Clock) -> None:
        self._source = source
        self._papers = papers
        self._subscriptions = subscriptions
        self._topics = topics
        self._personal_categories = personal_categories
        self.clock = clock
        # A thousand subscriptions firing at 08:00 must cause one RSS request, not a thousand:
        # a listing day never changes once fetched.
        self._fetch_lock = asyncio.Lock()
        self._days: dict[tuple[date, frozenset[str]], DayPapers] = {}
        # Categories arXiv answered 400 for, alone: left out of every later request of this process.
        self.unknown_categories: set[str] = set()

    async def subscribed_categories(self) -> set[str]:
        """Every category some subscription or personal filter needs: the one daily fetch covers them all."""
        categories: set[str] = set()
        resolve = await self._topics.resolver()
        for sub in await self._subscriptions.all(include_paused=False):
            topic = resolve(sub.topic, sub.chat.key)
            if topic:
                categories.update(topic.categories)
        return categories | await self._personal_categories()

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
            cached = self._days.get(key) or await self._papers.load_day(sorted(usable), expected)
            if cached is not None:
                return self._remember(key, cached)
            union = usable | (await self.subscribed_categories() - self.unknown_categories)
            fetched = await self._announced(union, expected)
            await self._papers.save_day(sorted(union - self.unknown_categories), fetched)
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
            return await self._source.enrich(expected, feed.papers)
        if feed.day > expected:
            return await self.past_days(categories, expected, 1)
        if now < rss_ready_at(expected) + LATE_FEED_GRACE:
            # arXiv rebuilds late now and then: a missing listing is a holiday only once the
            # feed has had hours to show it. Until then nothing is stored, and runs retry.
            raise ListingPending(expected, now + LATE_FEED_RETRY)
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
            return await self._source.announcement(categories)
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
            with contextlib.suppress(UnknownCategory):  # that half holds the culprit; the other half still counts
                parts.append(await self._announcement(group))
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
        self._days[key] = day
        return day

    async def past_days(self, categories: Iterable[str], day: date, days: int) -> DayPapers:
        """Papers of ``days`` listings ending at ``day``, from the API's submittedDate ranges."""
        start, end = submission_window(day, days)
        papers = await self._source.papers_submitted(sorted(set(categories)), start.date(), end.date())
        papers = [p for p in papers if p.published is None or start <= p.published < end]
        await self._papers.upsert(papers)
        return DayPapers(day=day, papers=papers)
