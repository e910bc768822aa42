"""Personal digests: each user's topics and keywords, minus their mutes, matched once per day.

All users' keyword filters go into one :class:`FilterIndex` per listing day (an
Aho-Corasick pass over each paper, not a users x papers loop); topic filters reuse
the per-topic match the channel digests already computed. Filters changing during
the day drop the cached index.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.models import DayPapers, Paper, Topic
from bot.topics.matcher import FilterIndex, UserFilters

if TYPE_CHECKING:
    from bot.core import Core

PERSONAL_TOPIC = "mine"


def personal_topic(language: str, categories: set[str]) -> Topic:
    """A stand-in topic for headers and the "/digest mine all" hint; never matched itself."""
    title = "我的速递 · My digest" if language == "zh" else "My digest"
    return Topic(name=PERSONAL_TOPIC, title=title, categories=tuple(sorted(categories)), expression="")


class PersonalMatcher:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._by_day: dict[date, tuple[dict[str, list[Paper]], dict[str, list[Paper]]]] = {}
        core.on_subscriptions_changed(self.forget)

    def forget(self) -> None:
        self._by_day.clear()

    async def categories(self, platform: str, user_id: str) -> set[str]:
        """What the user's filters need fetched: their topics' categories, every preset's for bare keywords."""
        categories: set[str] = set()
        for f in await self.core.store.filters.list(platform, user_id):
            if f.kind != "include":
                continue
            topic = await self.core.topics.get(f.value, None)
            if topic is not None:
                categories.update(topic.categories)
            else:
                categories.update(c for preset in self.core.topics.presets.values() for c in preset.categories)
        return categories

    async def match(self, platform: str, user_id: str, day: DayPapers) -> list[Paper]:
        filters = await self.core.store.filters.list(platform, user_id)
        matched: dict[str, Paper] = {}
        for f in filters:
            topic = await self.core.topics.get(f.value, None) if f.kind == "include" else None
            if topic is not None:
                matched.update((p.id, p) for p in self.core.digests.select(topic, day))
        keywords, mutes = await self._maps(day)
        key = f"{platform}:{user_id}"
        matched.update((p.id, p) for p in keywords.get(key, []))
        muted = {p.id for p in mutes.get(key, [])}
        papers = [p for pid, p in matched.items() if pid not in muted and not p.is_replacement]
        return sorted(papers, key=lambda p: (-(p.published.timestamp() if p.published else 0.0), p.id))

    async def _maps(self, day: DayPapers) -> tuple[dict[str, list[Paper]], dict[str, list[Paper]]]:
        if day.day not in self._by_day:
            includes: dict[str, UserFilters] = {}
            mutes: dict[str, UserFilters] = {}
            for (platform, user_id), filters in (await self.core.store.filters.all()).items():
                key = f"{platform}:{user_id}"
                words = [f.value for f in filters if f.kind == "include"
                         and f.value not in self.core.topics.presets and await self.core.topics.get(f.value) is None]
                muted = [f.value for f in filters if f.kind == "mute"]
                if words:
                    includes[key] = UserFilters(words)
                if muted:
                    mutes[key] = UserFilters(muted)  # "matches a mute" = muted
            papers = [p for p in day.papers if not p.is_replacement]
            self._by_day[day.day] = (FilterIndex(includes).match_all(papers), FilterIndex(mutes).match_all(papers))
        return self._by_day[day.day]
