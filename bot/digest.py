"""Builds a digest for an audience: a topic, or one person's filters, from the day's listing.

One builder serves ``/digest`` and scheduled delivery alike, for topics and personal
digests alike: find the listing, match locally, summarize once per paper. Summaries
go through the summary cache, so a digest sent to a thousand chats costs one model
call per paper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.arxiv.calendar import is_listing_day, listing_day_for, previous_listing
from bot.clock import Clock
from bot.links import code_links
from bot.listings import Listings
from bot.models import DayPapers, Paper, Topic
from bot.personal import PersonalMatcher, personal_topic
from bot.ports import Progress
from bot.replies import Digest, DigestEntry
from bot.summarizer.service import Summarizer
from bot.topics.matcher import rank

Chooser = Callable[[list[Paper]], Awaitable[list[Paper]]]


@dataclass(frozen=True)
class Person:
    """The audience of a personal digest: one person's filters on one platform."""

    platform: str
    user_id: str


Audience = Topic | Person


class TopicMatches:
    """Which papers of a day match a topic, best first; memoized per topic definition and day."""

    def __init__(self) -> None:
        self._matches: dict[tuple[str, tuple[str, ...], date], list[Paper]] = {}

    def __call__(self, topic: Topic, day: DayPapers) -> list[Paper]:
        key = (topic.expression, topic.categories, day.day)
        if key not in self._matches:
            if len(self._matches) > 4096:
                self._matches.clear()
            self._matches[key] = select(topic, day.papers)
        return self._matches[key]


class DigestBuilder:
    def __init__(self, listings: Listings, matches: TopicMatches, personal: PersonalMatcher,
                 summarizer: Summarizer, clock: Clock) -> None:
        self._listings = listings
        self._matches = matches
        self._personal = personal
        self._summarizer = summarizer
        self._clock = clock

    async def has_audience(self, audience: Audience) -> bool:
        """A person without include filters has no digest."""
        return isinstance(audience, Topic) or await self._personal.has_filters(audience.platform, audience.user_id)

    async def categories(self, audience: Audience) -> set[str]:
        return set(audience.categories) if isinstance(audience, Topic) else await self._personal.categories()

    def header_topic(self, audience: Audience, language: str, categories: Iterable[str]) -> Topic:
        return audience if isinstance(audience, Topic) else personal_topic(language, set(categories))

    async def latest(self, audience: Audience, as_of: datetime | None = None) -> DayPapers:
        """The listing announced by ``as_of`` (default: now) in the audience's categories."""
        return await self._listings.latest_day(await self.categories(audience), as_of)

    async def matched(self, audience: Audience, day: DayPapers) -> list[Paper]:
        """The audience's papers of ``day``, best first."""
        if isinstance(audience, Topic):
            return self._matches(audience, day)
        return await self._personal.match(audience.platform, audience.user_id, day)

    async def build(
        self, audience: Audience, language: str, *, day: date | None = None, days: int = 1, limit: int = 20,
        include_all: bool = False, progress: Progress | None = None, choose: Chooser | None = None,
    ) -> Digest:
        """``choose`` (the handler's quota and paging) picks the papers to summarize from the ranked matches."""
        categories = await self.categories(audience)
        topic = self.header_topic(audience, language, categories)
        latest = day is None and days == 1
        if isinstance(audience, Person) and not latest:
            raise ValueError("a personal digest is built from the latest listing only")
        if latest:
            day_papers = await self._listings.latest_day(categories)
        elif day is not None and days == 1 and not is_listing_day(day):
            day_papers = DayPapers(day=day, papers=[], no_announcement=True)
        else:
            # Several listings ending on a day without one: the listings up to that day.
            end = day or listing_day_for(self._clock())
            end = end if is_listing_day(end) else previous_listing(end)
            day_papers = await self._listings.past_days(categories, end, days)
        if day_papers.no_announcement:
            return Digest(topic, day_papers.day, language, (), no_announcement=True, days=days)
        # Only a stored listing day is memoized; a window of several days is matched afresh.
        matched = await self.matched(audience, day_papers) if latest else select(topic, day_papers.papers)
        chosen = await choose(matched) if choose else matched if include_all else matched[:limit]
        entries = await self.entries(chosen, language, progress)
        return Digest(topic, day_papers.day, language, entries, more=len(matched) - len(chosen), days=days)

    async def entries(self, papers: list[Paper], language: str,
                      progress: Progress | None = None) -> tuple[DigestEntry, ...]:
        if progress:
            progress.start(len(papers), "summarizing")
        callback = (lambda done, total: progress.advance()) if progress else None
        summaries = await self._summarizer.briefs(papers, language, progress=callback)
        if progress:
            progress.done()
        return tuple(DigestEntry(p, summaries[p.id], tuple(code_links(p))) for p in papers)


def select(topic: Topic, papers: Iterable[Paper]) -> list[Paper]:
    """Matching papers, best first; replacements are not news and nothing is listed twice."""
    unique = {p.id: p for p in papers if not p.is_replacement}
    return rank(topic, list(unique.values()))
