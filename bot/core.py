"""The platform-neutral core: every service a handler or adapter needs, built once.

Adapters receive the core in ``start`` and call ``core.dispatcher.dispatch``; the
scheduler and delivery use ``core.adapters`` to send. Nothing here imports a
platform library.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.arxiv_source import ArxivSource
from bot.clock import Clock, system_clock
from bot.commands import Dispatcher
from bot.config import Settings
from bot.digest import DigestBuilder
from bot.models import ChatRef
from bot.personal import PersonalMatcher
from bot.store import Store
from bot.summarizer.service import Summarizer
from bot.topics.registry import TopicRegistry

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.delivery import Delivery
    from bot.scheduler import DigestScheduler

log = logging.getLogger(__name__)

ScheduleListener = Callable[[ChatRef | None, tuple[str, str] | None], Awaitable[None]]


class Core:
    def __init__(self, settings: Settings, store: Store, source: ArxivSource, summarizer: Summarizer,
                 clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock  # the one clock: everything that asks "now" asks it
        self.store = store
        self.source = source
        self.summarizer = summarizer
        self._schedule_listeners: list[ScheduleListener] = []
        self._filter_listeners: list[Callable[[], None]] = []
        self.topics = TopicRegistry(store)
        self.digests = DigestBuilder(self)
        self.dispatcher = Dispatcher(self)
        self.adapters: dict[str, Adapter] = {}
        self.scheduler: DigestScheduler | None = None
        self.delivery: Delivery | None = None
        self.personal = PersonalMatcher(self)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock = system_clock) -> Core:
        store = await Store.open(settings.db_path, clock)
        source = ArxivSource(settings)
        summarizer = Summarizer(settings, store, source, clock=clock)
        return cls(settings, store, source, summarizer, clock)

    async def close(self) -> None:
        """Close everything that holds a connection; an open aiosqlite connection hangs exit."""
        for closer in (self.summarizer.aclose, self.source.aclose, self.store.close):
            try:
                await closer()
            except Exception:  # keep closing the rest
                log.exception("error while closing")

    async def __aenter__(self) -> Core:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def language_for(self, chat: ChatRef) -> str:
        settings = await self.store.chats.settings(chat)
        return settings.language or self.settings.language

    async def timezone_for(self, chat: ChatRef) -> str:
        settings = await self.store.chats.settings(chat)
        return settings.timezone or self.settings.timezone

    async def max_papers_for(self, chat: ChatRef) -> int:
        settings = await self.store.chats.settings(chat)
        return settings.max_papers or self.settings.digest_max_papers

    def on_schedule_changed(self, listener: ScheduleListener) -> None:
        """The scheduler registers here so /subscribe and /mydigest apply without a restart."""
        self._schedule_listeners.append(listener)

    def on_filters_changed(self, listener: Callable[[], None]) -> None:
        self._filter_listeners.append(listener)

    async def schedule_changed(self, chat: ChatRef | None = None, user: tuple[str, str] | None = None) -> None:
        """A chat's subscriptions or a user's personal digest changed (both None: anything may have)."""
        for listener in self._schedule_listeners:
            await listener(chat, user)

    def filters_changed(self) -> None:
        for listener in self._filter_listeners:
            listener()
