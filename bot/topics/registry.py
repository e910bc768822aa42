"""Where a topic name resolves: this chat's own topics, then shared ones, then presets."""

from __future__ import annotations

import re

from bot.models import Topic
from bot.store import Store
from bot.store.quotas import Caps
from bot.topics.expression import ExpressionError, parse
from bot.topics.presets import PRESETS
from bot.topics.taxonomy import is_category, suggest

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class TopicError(ValueError):
    """A topic definition a user got wrong; the message says what to fix."""


class UnknownCategoryError(TopicError):
    """A category arXiv does not have, with the nearest real ones for the reply."""

    def __init__(self, category: str, suggestions: list[str]) -> None:
        self.category = category if len(category) <= 40 else category[:39] + "…"
        self.suggestions = suggestions
        super().__init__(f"'{self.category}' is not an arXiv category; did you mean {', '.join(suggestions)}?")


class TopicRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.presets = {t.name: t for t in PRESETS}

    async def get(self, name: str, owner: str | None = None) -> Topic | None:
        name = name.strip().lower()
        for topic in await self.store.topics.visible_to(owner):
            if topic.name == name and topic.owner == owner:
                return topic
        for topic in await self.store.topics.visible_to(owner):
            if topic.name == name:
                return topic
        return self.presets.get(name)

    async def list(self, owner: str | None = None) -> list[Topic]:
        custom = await self.store.topics.visible_to(owner)
        names = {t.name for t in custom}
        return [t for t in PRESETS if t.name not in names] + custom

    async def names(self, owner: str | None = None) -> list[str]:
        return [t.name for t in await self.list(owner)]

    async def all_for_matching(self) -> list[Topic]:
        """Every topic anywhere, for the daily fetch: presets plus every chat's own."""
        return list(PRESETS) + await self.store.topics.all()

    async def define(self, name: str, categories: list[str], expression: str, owner: str | None,
                     title: str | None = None, *, created_by: str | None = None, caps: Caps = Caps()) -> Topic:
        """A validated topic, saved; past ``caps`` the store raises :class:`LimitReached` and saves nothing."""
        name = name.strip().lower()
        if not NAME.match(name):
            raise TopicError("A topic name uses lowercase letters, digits and '-', at most 40 characters.")
        if name in self.presets:
            raise TopicError(f"'{name}' is a built-in topic; pick another name.")
        if not categories or len(categories) > 10:
            raise TopicError("Give 1 to 10 arXiv categories, such as cs.CV,cs.GR.")
        # Checked against arXiv's taxonomy, not just the shape: one unknown category makes arXiv
        # refuse the shared daily request, and this is where a typo can still be fixed.
        unknown = [c for c in categories if not is_category(c)]
        if unknown:
            raise UnknownCategoryError(unknown[0], suggest(unknown[0]))
        try:
            parse(expression)
        except ExpressionError as exc:
            raise TopicError(str(exc)) from None
        topic = Topic(name=name, title=title or name, categories=tuple(categories), expression=expression,
                      owner=owner)
        await self.store.topics.save(topic, created_by=created_by, caps=caps)
        return topic

    async def remove(self, name: str, owner: str | None) -> bool:
        return await self.store.topics.delete(name.strip().lower(), owner)
