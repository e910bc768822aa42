"""Personal digests: each user's topics and keywords, minus their mutes, matched once per day.

All users' keyword filters go into one :class:`FilterIndex` per listing day (an
Aho-Corasick pass over each paper, not a users x papers loop); topic filters reuse
the per-topic match the channel digests already computed. Every personal digest
reads the same day (the union of all users' categories), so the index is built once;
a filter change drops it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from bot.i18n import t
from bot.models import DayPapers, Paper, Topic
from bot.store.filters import FilterStore
from bot.topics.matcher import FilterIndex, UserFilters, score
from bot.topics.registry import TopicRegistry
from bot.topics.relevance import Reason, Scored, keyword_reason

TopicMatch = Callable[[Topic, DayPapers], list[Paper]]

PERSONAL_TOPIC = "mine"


def personal_topic(language: str, categories: set[str]) -> Topic:
    """A stand-in topic for headers and the "/digest mine all" hint; never matched itself."""
    title = t(language, "my_digest_title")
    return Topic(name=PERSONAL_TOPIC, title=title, categories=tuple(sorted(categories)), expression="")


class PersonalMatcher:
    def __init__(self, topics: TopicRegistry, filters: FilterStore, select: TopicMatch) -> None:
        self._topics = topics
        self._filters = filters
        self._select = select
        self._by_day: dict[date, tuple[Mapping[str, list[Paper]], Mapping[str, list[Paper]]]] = {}
        self._categories: set[str] | None = None

    def forget(self) -> None:
        """A filter changed: match again next time."""
        self._by_day.clear()
        self._categories = None

    async def has_filters(self, platform: str, user_id: str) -> bool:
        return any(f.kind == "include" for f in await self._filters.of_user(platform, user_id))

    async def categories(self) -> set[str]:
        """What every personal digest reads: all filter topics' categories, every preset's for bare keywords."""
        if self._categories is None:
            topics = await self._topics.shared()
            every_preset = {c for preset in self._topics.presets.values() for c in preset.categories}
            categories: set[str] = set()
            for filters in (await self._filters.all()).values():
                for f in filters:
                    if f.kind == "include":
                        categories.update(topics[f.value].categories if f.value in topics else every_preset)
            self._categories = categories
        return self._categories

    async def match(self, platform: str, user_id: str, day: DayPapers) -> list[Scored]:
        """The user's papers in ``day`` (the day read for :meth:`categories`), in keyword order.

        A paper scores as in its strongest filter (a topic's or a keyword expression's
        evidence, as channel digests count it) and says which terms matched; ties: newer first.
        """
        topics = await self._topics.shared()
        matched: dict[str, Paper] = {}
        filters: list[Topic] = []
        for f in await self._filters.of_user(platform, user_id):
            if f.kind == "include" and f.value in topics:
                filters.append(topics[f.value])
                matched.update((p.id, p) for p in self._select(topics[f.value], day))
            elif f.kind == "include":
                filters.append(Topic(name=PERSONAL_TOPIC, title="", categories=(), expression=f.value))
        keywords, mutes = await self._maps(day, topics)
        key = f"{platform}:{user_id}"
        matched.update((p.id, p) for p in keywords.get(key, []))
        muted = {p.id for p in mutes.get(key, [])}
        papers = [p for pid, p in matched.items() if pid not in muted and not p.is_replacement]
        result = [_strongest(p, filters) for p in papers]
        result.sort(key=lambda s: (-s.score, -(s.paper.published.timestamp() if s.paper.published else 0.0),
                                   s.paper.id))
        return result

    async def _maps(self, day: DayPapers,
                    topics: dict[str, Topic]) -> tuple[Mapping[str, list[Paper]], Mapping[str, list[Paper]]]:
        if day.day not in self._by_day:
            includes: dict[str, UserFilters] = {}
            mutes: dict[str, UserFilters] = {}
            for (platform, user_id), filters in (await self._filters.all()).items():
                key = f"{platform}:{user_id}"
                words = [f.value for f in filters if f.kind == "include" and f.value not in topics]
                muted = [f.value for f in filters if f.kind == "mute"]
                if words:
                    includes[key] = UserFilters(words)
                if muted:
                    mutes[key] = UserFilters(muted)  # "matches a mute" = muted
            papers = [p for p in day.papers if not p.is_replacement]
            self._by_day[day.day] = (FilterIndex(includes).match_all(papers), FilterIndex(mutes).match_all(papers))
        return self._by_day[day.day]


def _strongest(paper: Paper, filters: list[Topic]) -> Scored:
    """``paper`` scored by the filter that matches it best, with that filter's matched terms."""
    best = Scored(paper, 0.0, Reason("none"))
    for topic in filters:
        value = score(topic, paper)
        if value is not None and value > best.score:
            best = Scored(paper, value, keyword_reason(topic, paper))
    return best
