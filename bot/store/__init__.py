"""SQLite storage: one :class:`Store` facade over small per-concern repositories."""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock, system_clock
from bot.store.answers import AnswerStore
from bot.store.chats import ChatStore, SubscriptionStore
from bot.store.db import Database
from bot.store.deliveries import DeliveryStore
from bot.store.embeddings import EmbeddingStore
from bot.store.feedback import FeedbackStore
from bot.store.filters import FilterStore
from bot.store.papers import PaperStore
from bot.store.quotas import QuotaStore
from bot.store.rankings import RankingModelStore
from bot.store.reading import ReadingStore
from bot.store.summaries import SummaryStore
from bot.store.threads import ThreadLinkStore
from bot.store.topics import TopicStore


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.papers = PaperStore(db)
        self.chats = ChatStore(db)
        self.subscriptions = SubscriptionStore(db)
        self.deliveries = DeliveryStore(db)
        self.custom_topics = TopicStore(db)
        self.filters = FilterStore(db)
        self.summaries = SummaryStore(db)
        self.quotas = QuotaStore(db)
        self.feedback = FeedbackStore(db)
        self.embeddings = EmbeddingStore(db)
        self.thread_links = ThreadLinkStore(db)
        self.answers = AnswerStore(db)
        self.reading = ReadingStore(db)
        self.ranking_models = RankingModelStore(db)

    @classmethod
    async def open(cls, path: str | Path, clock: Clock = system_clock) -> Store:
        return cls(await Database.open(path, clock))

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
