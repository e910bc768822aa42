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
from bot.i18n import t
from bot.links import code_links
from bot.listings import Listings
from bot.models import DayPapers, Paper, Topic
from bot.personal import PersonalMatcher, personal_topic
from bot.ports import Progress
from bot.replies import Digest, DigestEntry
from bot.summarizer.service import Summarizer
from bot.topics.matcher import rank
from bot.topics.profiles import Profiles
from bot.topics.relevance import Reason, Scored, author_key, keyword_reason

Chooser = Callable[[list[Paper], list[Paper]], Awaitable[list[Paper]]]  # (ranked matches, "also relevant")


@dataclass(frozen=True)
class Person:
    """The audience of a personal digest: one person's filters on one platform."""

    platform: str
    user_id: str


Audience = Topic | Person


class TopicMatches:
    """Which papers of a day match a topic, best first, with their keyword reasons.

    Memoized per topic definition and day: a fan-out asks once per chat, and matching
    and reasons are the same for every chat of that topic.
    """

    def __init__(self) -> None:
        self._scored: dict[tuple[str, tuple[str, ...], date], list[Scored]] = {}

    def __call__(self, topic: Topic, day: DayPapers) -> list[Paper]:
        return [s.paper for s in self.scored(topic, day)]

    def scored(self, topic: Topic, day: DayPapers) -> list[Scored]:
        key = (topic.expression, topic.categories, day.day)
        if key not in self._scored:
            if len(self._scored) > 4096:
                self._scored.clear()
            self._scored[key] = [Scored(p, 0.0, keyword_reason(topic, p)) for p in select(topic, day.papers)]
        return list(self._scored[key])


class DigestBuilder:
    def __init__(self, listings: Listings, matches: TopicMatches, personal: PersonalMatcher,
                 summarizer: Summarizer, clock: Clock, profiles: Profiles) -> None:
        self._profiles = profiles
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

    async def matched(self, audience: Audience, day: DayPapers, learner: str | None = None) -> list[Paper]:
        """The audience's papers of ``day``, best first for ``learner`` (a chat or person who votes)."""
        return [s.paper for s in await self.ranked(audience, day, learner)]

    async def ranked(self, audience: Audience, day: DayPapers, learner: str | None = None,
                     memo: bool = True) -> list[Scored]:
        """Keyword order until ``learner`` has voted or follows authors; then its learned order."""
        profile = await self._profiles.of(learner) if learner else None
        if isinstance(audience, Topic):
            if profile is None or not (profile.votes or profile.followed):
                if memo:
                    return self._matches.scored(audience, day)
                return [Scored(p, 0.0, keyword_reason(audience, p)) for p in select(audience, day.papers)]
            return await self._profiles.rank(learner, audience, _fresh(day), profile=profile)
        matched = await self._personal.match(audience.platform, audience.user_id, day)
        if profile is None or not (profile.votes or profile.followed):
            return matched
        papers = [s.paper for s in matched]
        if profile.followed:  # a followed author's new paper is in, whatever the filters
            keys = {author_key(a) for a in profile.followed}
            by_followed = [p for p in day.papers if not p.is_replacement and any(author_key(a) in keys
                                                                                  for a in p.authors)]
            papers = list({p.id: p for p in [*papers, *by_followed]}.values())
        everything = Topic("mine", "", (), "")  # the filters chose the papers; only the order is learned
        return await self._profiles.rank(learner, everything, papers, matched, profile)

    async def also(self, audience: Audience, day: DayPapers, learner: str | None, ranked: list[Scored],
                   n: int) -> list[Scored]:
        """Up to ``n`` "also relevant" papers for a topic's digest (a chat setting); none without votes."""
        if n <= 0 or learner is None or not isinstance(audience, Topic):
            return []
        return await self._profiles.also(learner, audience, _fresh(day), day.papers, ranked, n)

    async def build(
        self, audience: Audience, language: str, *, day: date | None = None, days: int = 1, limit: int = 20,
        include_all: bool = False, progress: Progress | None = None, choose: Chooser | None = None,
        learner: str | None = None, also: int = 0,
    ) -> Digest:
        """``choose`` (the handler's quota and paging) picks the papers to summarize from the ranked matches.

        ``also``: how many "also relevant" papers may follow the chosen ones (0: the chat has them off).
        """
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
        ranked = await self.ranked(audience if latest else topic, day_papers, learner, memo=latest)
        matched = [s.paper for s in ranked]
        extra = await self.also(audience if latest else topic, day_papers, learner, ranked, also)
        more = [s.paper for s in extra]
        chosen = await choose(matched, more) if choose else matched if include_all else matched[:limit] + more
        reasons = {s.paper.id: reason_text(s.reason, s.paper, topic, language) for s in [*ranked, *extra]}
        entries = await self.entries(chosen, language, progress, reasons)
        added = {e.id for e in more}
        shown_matches = sum(p.id not in added for p in chosen)
        return Digest(topic, day_papers.day, language, entries, more=len(matched) - shown_matches, days=days)

    async def entries(self, papers: list[Paper], language: str, progress: Progress | None = None,
                      reasons: dict[str, str] | None = None) -> tuple[DigestEntry, ...]:
        if progress:
            progress.start(len(papers), "summarizing")
        callback = (lambda done, total: progress.advance()) if progress else None
        summaries = await self._summarizer.briefs(papers, language, progress=callback)
        if progress:
            progress.done()
        reasons = reasons or {}
        return tuple(DigestEntry(p, summaries[p.id], tuple(code_links(p)), reasons.get(p.id, "")) for p in papers)


def reason_text(reason: Reason, paper: Paper, topic: Topic, language: str) -> str:
    """One short line: why this paper, and whether it is a cross-list from another field."""
    parts = []
    if reason.kind == "terms":
        parts.append(t(language, "reason_terms", terms=reason.detail))
    elif reason.kind == "close":
        parts.append(t(language, "reason_close", title=reason.detail[:80]))
    elif reason.kind == "also":
        parts.append(t(language, "reason_also", title=reason.detail[:80]))
    elif reason.kind == "author":
        parts.append(t(language, "reason_author", name=reason.detail))
    if topic.categories and paper.primary_category and paper.primary_category not in topic.categories:
        parts.append(t(language, "reason_cross_list", category=paper.primary_category))
    return " · ".join(parts)


def _fresh(day: DayPapers) -> list[Paper]:
    """The day's papers a topic's learned ranking reads: each once, replacements left out (they are not news)."""
    return list({p.id: p for p in day.papers if not p.is_replacement}.values())


def select(topic: Topic, papers: Iterable[Paper]) -> list[Paper]:
    """Matching papers, best first; replacements are not news and nothing is listed twice."""
    unique = {p.id: p for p in papers if not p.is_replacement}
    return rank(topic, list(unique.values()))
