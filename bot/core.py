"""The composition root: every service is built here, once, and handed only what it uses.

Nothing else constructs services or reaches through one to another's tables. The
runner (or a test) creates the core, starts adapters with :attr:`Core.host`, puts
them in :attr:`Core.adapters`, and starts :attr:`Core.scheduler`. Nothing here
imports a platform library.
"""

from __future__ import annotations

import logging

from bot.arxiv.source import ArxivSource
from bot.clock import Clock, system_clock
from bot.commands import Dispatcher
from bot.config import Settings
from bot.delivery import Delivery, DeliveryStores
from bot.digest import DigestBuilder, TopicMatches
from bot.listings import Listings
from bot.pace import MinuteLimiter
from bot.params import ParamParser
from bot.personal import PersonalMatcher
from bot.ports import Adapter
from bot.quotas import Quotas
from bot.scheduler import DigestScheduler
from bot.services.catalog import PaperCatalog
from bot.services.changes import ScheduleChanges
from bot.services.chats import ChatLifecycle, Chats
from bot.services.feedback import Feedback
from bot.services.filters import Filters
from bot.services.follows import Follows
from bot.services.host import AdapterHost
from bot.services.picks import GroupPicks
from bot.services.reading import ReadingList
from bot.services.subscriptions import Subscriptions
from bot.store import Store
from bot.store.quotas import Caps
from bot.summarizer.ask import Asker
from bot.summarizer.service import Summarizer
from bot.topics.embedders import Embeddings, make_embedder
from bot.topics.profiles import Profiles
from bot.topics.registry import TopicRegistry
from handlers.ask import AskHandlers
from handlers.digest import DigestHandlers
from handlers.feedback import FeedbackHandlers
from handlers.filters import FilterHandlers
from handlers.follow import FollowHandlers
from handlers.help import HelpHandlers
from handlers.reading import ReadingHandlers
from handlers.settings import SettingsHandlers
from handlers.subscriptions import SubscriptionHandlers
from handlers.summarize import SummarizeHandlers
from handlers.topics import TopicHandlers

log = logging.getLogger(__name__)


class Core:
    def __init__(self, settings: Settings, store: Store, source: ArxivSource, summarizer: Summarizer,
                 clock: Clock = system_clock) -> None:
        self.settings = settings
        self.store = store
        self.source = source
        self.summarizer = summarizer
        self.clock = clock  # the one clock: everything that asks "now" is handed it
        self.adapters: dict[str, Adapter] = {}  # filled by the runner; delivery sends through them
        changes = ScheduleChanges()

        self.topics = TopicRegistry(store.custom_topics)
        matches = TopicMatches()
        self.personal = PersonalMatcher(self.topics, store.filters, matches)
        self.listings = Listings(source, store.papers, store.subscriptions, self.topics, self.personal.categories,
                                 clock)
        embedder = make_embedder(settings)
        self.embeddings = Embeddings(embedder, store.embeddings) if embedder is not None else None
        self.profiles = Profiles(store.feedback, store.papers, self.embeddings, store.ranking_models)
        self.digests = DigestBuilder(self.listings, matches, self.personal, summarizer, clock, self.profiles)
        self.catalog = PaperCatalog(store.papers, source)
        self.feedback = Feedback(store.feedback, self.catalog, self.profiles)
        self.chats = Chats(store.chats, settings)
        self.lifecycle = ChatLifecycle(store.chats, store.subscriptions, self.chats, self.adapters)
        self.subscriptions = Subscriptions(store.subscriptions, self.chats, changes, Caps(
            settings.max_subscriptions_per_chat, settings.max_subscriptions_per_user))
        self.filters = Filters(store.filters, self.personal, changes, settings.max_filters_per_user)
        self.quotas = Quotas(store.quotas, store.summaries, settings, clock, lambda: summarizer.model)

        stores = DeliveryStores(store.deliveries, store.papers, store.subscriptions, store.filters)
        self.delivery = Delivery(self.adapters, self.digests, self.topics, self.chats, self.lifecycle, stores,
                                 summarizer, self.quotas, settings)
        self.reading = ReadingList(store.reading, store.papers, self.catalog, settings.max_reading_per_chat)
        self.picks = GroupPicks(store.reading, store.papers, store.deliveries, self.adapters, self.chats,
                                self.lifecycle, changes)
        self.scheduler = DigestScheduler(self.delivery, stores, changes, clock, settings.catchup_grace_hours,
                                         settings.delivery_concurrency, self.picks)

        self.asker = Asker(settings, summarizer, store.answers, embedder)

        self.dispatcher = Dispatcher(self.chats, ParamParser(self.topics.get_for_chat, self.topics.names_for_chat),
                                     MinuteLimiter(settings.commands_per_minute))
        self.dispatcher.register(
            HelpHandlers(self.dispatcher.specs),
            TopicHandlers(self.topics, Caps(settings.max_topics_per_chat, settings.max_topics_per_user)),
            SubscriptionHandlers(self.subscriptions),
            SettingsHandlers(self.chats, self.subscriptions),
            FilterHandlers(self.filters, self.topics, settings),
            DigestHandlers(self.digests, self.subscriptions, self.topics, self.quotas, settings, clock),
            SummarizeHandlers(self.catalog, summarizer, self.quotas),
            FeedbackHandlers(self.feedback),
            FollowHandlers(Follows(store.feedback, store.papers)),
            AskHandlers(self.catalog, self.asker, self.quotas),
            ReadingHandlers(self.reading, self.picks),
        )
        self.host = AdapterHost(self.dispatcher, self.chats, self.lifecycle, self.topics, store.db, self.feedback,
                                 store.thread_links, self.reading)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock = system_clock) -> Core:
        store = await Store.open(settings.db_path, clock)
        source = ArxivSource(settings)
        summarizer = Summarizer(settings, store, source, clock=clock)
        return cls(settings, store, source, summarizer, clock)

    async def close(self) -> None:
        """Close everything that holds a connection; an open aiosqlite connection hangs exit."""
        await self.scheduler.stop()
        await self.profiles.close()
        closers = [self.summarizer.aclose, self.source.aclose]
        if self.embeddings is not None:
            closers.append(self.embeddings.aclose)
        for closer in (*closers, self.store.close):
            try:
                await closer()
            except Exception:  # keep closing the rest
                log.exception("error while closing")

    async def __aenter__(self) -> Core:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
