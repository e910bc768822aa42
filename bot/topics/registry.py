"""Where a topic name resolves: this chat's own topics, then shared ones, then presets."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.models import ChatRef, Topic
from bot.store.quotas import NO_CAPS, Caps
from bot.store.topics import TopicStore
from bot.topics.expression import ExpressionError, parse
from bot.topics.presets import PRESETS
from bot.topics.taxonomy import is_category, suggest

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RESERVED = {"all", "mine"}  # words /digest and /unsubscribe give a meaning of their own


class TopicError(ValueError):
    """A topic definition a user got wrong; ``key`` and ``values`` name the :mod:`bot.i18n` message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class UnknownCategoryError(TopicError):
    """A category arXiv does not have, with the nearest real ones for the reply."""

    def __init__(self, category: str, suggestions: list[str]) -> None:
        self.category = category if len(category) <= 40 else category[:39] + "…"
        self.suggestions = suggestions
        super().__init__("topic_unknown_category", category=self.category, suggestions=", ".join(suggestions))


Resolver = Callable[[str, str | None], Topic | None]


class TopicRegistry:
    """The only place a topic name becomes a topic: the chat's own, then shared ones, then presets."""

    def __init__(self, topics: TopicStore) -> None:
        self._topics = topics
        self.presets = {t.name: t for t in PRESETS}

    async def resolver(self) -> Resolver:
        """Resolve many names with one read (the daily fetch resolves every subscription's topic)."""
        custom = {(t.name, t.owner): t for t in await self._topics.all()}

        def resolve(name: str, owner: str | None) -> Topic | None:
            name = name.strip().lower()
            return custom.get((name, owner)) or custom.get((name, None)) or self.presets.get(name)

        return resolve

    async def get(self, name: str, owner: str | None = None) -> Topic | None:
        name = name.strip().lower()
        visible = {(t.name, t.owner): t for t in await self._topics.visible_to(owner)}
        return visible.get((name, owner)) or visible.get((name, None)) or self.presets.get(name)

    async def get_for_chat(self, name: str, chat: ChatRef) -> Topic | None:
        return await self.get(name, chat.key)

    async def names_for_chat(self, chat: ChatRef) -> list[str]:
        return await self.names(chat.key)

    async def visible(self, owner: str | None = None) -> list[Topic]:
        """Presets and the topics ``owner`` (a chat key) can use, its own replacing a preset of the same name."""
        custom = await self._topics.visible_to(owner)
        names = {t.name for t in custom}
        return [t for t in PRESETS if t.name not in names] + custom

    async def names(self, owner: str | None = None) -> list[str]:
        return [t.name for t in await self.visible(owner)]

    async def shared(self) -> dict[str, Topic]:
        """Topics a personal filter can name: presets and shared ones (not a chat's own)."""
        topics = dict(self.presets)
        topics.update((t.name, t) for t in await self._topics.all() if t.owner is None)
        return topics

    async def define(self, name: str, categories: list[str], expression: str, owner: str | None,
                     title: str | None = None, *, created_by: str | None = None, caps: Caps = NO_CAPS) -> Topic:
        """A validated topic, saved; past ``caps`` the store raises :class:`LimitReached` and saves nothing."""
        name = name.strip().lower()
        if not NAME.match(name) or name in RESERVED:
            raise TopicError("topic_bad_name")
        if name in self.presets:
            raise TopicError("topic_is_builtin", name=name)
        if not categories or len(categories) > 10:
            raise TopicError("topic_categories_count")
        # Checked against arXiv's taxonomy, not just the shape: one unknown category makes arXiv
        # refuse the shared daily request, and this is where a typo can still be fixed.
        unknown = [c for c in categories if not is_category(c)]
        if unknown:
            raise UnknownCategoryError(unknown[0], suggest(unknown[0]))
        try:
            parse(expression)
        except ExpressionError as exc:
            raise TopicError("bad_expression", error=str(exc)) from None
        topic = Topic(name=name, title=title or name, categories=tuple(categories), expression=expression,
                      owner=owner)
        await self._topics.save(topic, created_by=created_by, caps=caps)
        return topic

    async def remove(self, name: str, owner: str | None) -> bool:
        return await self._topics.delete(name.strip().lower(), owner)
