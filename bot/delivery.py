"""Idempotent digest delivery: plan, send part by part, record, resume after a crash.

A digest is keyed by (target, announcement day). Its papers are recorded before the
first message goes out; each message sent is recorded with its index. A restart
resumes at the first unrecorded message, so at most the one message in flight at a
crash is seen twice, and a finished digest is never re-posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.config import Settings
from bot.digest import Audience, DigestBuilder, Person, reason_text
from bot.i18n import t
from bot.links import code_links
from bot.models import ChatRef, Paper, Topic
from bot.ports import Adapter, ChatUnavailable
from bot.quotas import QuotaExceeded, Quotas
from bot.replies import Digest, DigestEntry, Text
from bot.services.chats import ChatLifecycle, Chats
from bot.store.chats import Subscription, SubscriptionStore
from bot.store.deliveries import DeliveryStore, DigestPlan
from bot.store.filters import FilterStore, UserDigest
from bot.store.papers import PaperStore
from bot.summarizer.service import Summarizer
from bot.summary_schema import SummaryResult, dump_brief, load_brief
from bot.topics.profiles import chat_audience, user_audience
from bot.topics.registry import TopicRegistry
from bot.topics.relevance import ALSO_RELEVANT

log = logging.getLogger(__name__)

Outcome = Literal["sent", "already_sent", "no_announcement", "empty", "paused", "no_adapter", "unavailable",
                  "arxiv_failed", "no_topic"]


@dataclass(frozen=True)
class DeliveryStores:
    """The tables delivery reads and writes."""

    deliveries: DeliveryStore
    papers: PaperStore
    subscriptions: SubscriptionStore
    filters: FilterStore


@dataclass(frozen=True)
class Target:
    """Who gets a digest: a chat's subscription or a user's personal digest."""

    key: str  # digests.target
    chat: ChatRef
    language: str
    limit: int
    paused_reason: str | None
    also: int = 0  # "also relevant" papers the chat allows after its matches


class Delivery:
    def __init__(self, adapters: Mapping[str, Adapter], builder: DigestBuilder, topics: TopicRegistry,
                 chats: Chats, lifecycle: ChatLifecycle, stores: DeliveryStores, summarizer: Summarizer,
                 quotas: Quotas, settings: Settings) -> None:
        self._adapters = adapters
        self._builder = builder
        self._topics = topics
        self._chats = chats
        self._lifecycle = lifecycle
        self._stores = stores
        self._summarizer = summarizer
        self._quotas = quotas
        self._settings = settings
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._target_locks: dict[str, asyncio.Lock] = {}

    async def deliver_subscription(self, sub: Subscription, scheduled: datetime) -> Outcome:
        topic = await self._topics.get(sub.topic, sub.chat.key)
        if topic is None:
            log.warning("subscription topic is gone", extra={"sub": sub.id, "topic": sub.topic})
            return "no_topic"
        view = await self._chats.view(sub.chat)
        target = Target(sub.target, sub.chat, view.language, view.max_papers, sub.paused_reason,
                        ALSO_RELEVANT if view.also_relevant else 0)
        outcome, day = await self._deliver(target, topic, scheduled)
        if outcome in ("sent", "already_sent", "empty") and day is not None:
            await self._stores.subscriptions.set_last_sent(sub.id, day)
        return outcome

    async def deliver_user(self, digest: UserDigest, scheduled: datetime) -> Outcome:
        person = Person(digest.platform, digest.user_id)
        if not await self._builder.has_audience(person):
            return "empty"
        language = digest.language or self._settings.language
        target = Target(digest.target, digest.chat, language, self._settings.digest_max_papers, digest.paused_reason)
        outcome, day = await self._deliver(target, person, scheduled)
        if outcome == "sent" and day is not None:
            await self._stores.filters.set_last_sent(digest.platform, digest.user_id, day)
        return outcome

    async def _deliver(self, target: Target, audience: Audience, scheduled: datetime) -> tuple[Outcome, date | None]:
        if target.paused_reason:
            return "paused", None
        if target.chat.platform not in self._adapters:
            log.warning("no adapter for chat", extra={"chat": target.chat.key})
            return "no_adapter", None
        day_papers = await self._builder.latest(audience, as_of=scheduled)  # errors propagate to the scheduler
        day = day_papers.day
        if day_papers.no_announcement:
            log.info("no announcement", extra={"target": target.key, "day": str(day)})
            return "no_announcement", None
        store = self._stores.deliveries
        categories = await self._builder.categories(audience)
        topic = self._builder.header_topic(audience, target.language, categories)
        # One run per target at a time: a catch-up and a cron run for the same digest must not both send.
        async with self._target_locks.setdefault(target.key, asyncio.Lock()):
            plan = await store.get(target.key, day)
            if plan is not None and plan.status != "planned":
                return "already_sent", day
            if plan is None:
                learner = (user_audience(audience.platform, audience.user_id) if isinstance(audience, Person)
                           else chat_audience(target.chat.platform, target.chat.chat_id))
                ranked = await self._builder.ranked(audience, day_papers, learner)
                seen = await store.shown_before(target.key, day)
                ranked = [s for s in ranked if s.paper.id not in seen]
                chosen, more = ranked[: target.limit], max(0, len(ranked) - target.limit)
                extra = await self._builder.also(audience, day_papers, learner, ranked, target.also)
                chosen += [s for s in extra if s.paper.id not in seen]
                papers = [s.paper for s in chosen]
                summaries = await self._summaries_within_quota(target, papers)
                plan = await store.plan(target.key, day, target.chat.platform, target.chat.chat_id,
                                        [p.id for p in papers], [dump_brief(summaries[p.id]) for p in papers],
                                        target.language, more,
                                        [reason_text(s.reason, s.paper, topic, target.language) for s in chosen])
                if not papers:
                    # Recorded so a restart does not look again; a chat gets no empty digest.
                    await store.finish(plan.id, "empty", 0)
                    return "empty", day
            return await self.send_plan(plan, target, topic), day

    async def _summaries_within_quota(self, target: Target, papers: list[Paper]) -> dict[str, SummaryResult]:
        """Model summaries as far as the chat's daily quota goes; cached or extractive ones past it."""
        async with self._quotas.chat_gate(target.chat, target.language) as gate:
            try:
                allowed = {p.id for p in await gate.afford(papers)}
            except QuotaExceeded:
                allowed = set()
            return await self._summarizer.briefs(papers, target.language, with_model=lambda p: p.id in allowed)

    async def send_plan(self, plan: DigestPlan, target: Target, topic: Topic) -> Outcome:
        """Send (or resume sending) a recorded plan exactly as planned: same papers, same summaries."""
        adapter = self._adapters[target.chat.platform]
        language = plan.language or target.language
        papers_by_id = await self._stores.papers.get_many(plan.paper_ids)
        shown: dict[str, SummaryResult] = {}
        for pid, text in zip(plan.paper_ids, plan.summaries, strict=False):
            if pid in papers_by_id and text:
                shown[pid] = load_brief(text, papers_by_id[pid], language)
        missing = [papers_by_id[pid] for pid in plan.paper_ids if pid in papers_by_id and pid not in shown]
        shown.update(await self._summarizer.briefs(missing, language) if missing else {})
        reasons = dict(zip(plan.paper_ids, plan.reasons, strict=False))
        entries = tuple(DigestEntry(papers_by_id[pid], shown[pid], tuple(code_links(papers_by_id[pid])),
                                    reasons.get(pid) or "")
                        for pid in plan.paper_ids if pid in shown)
        reply = Digest(topic, plan.day, language, entries, more=plan.more)
        skip = max(plan.sent_parts) + 1 if plan.sent_parts else 0
        sent = len(plan.sent_parts)

        async def record(index: int, message_id: str) -> None:
            nonlocal sent
            await self._stores.deliveries.record_part(plan.id, index, [message_id])
            sent += 1

        async with self._chat_locks.setdefault(target.chat.key, asyncio.Lock()):  # keeps a chat's messages in order
            try:
                await adapter.send(target.chat, reply, skip=skip, on_sent=record)
            except ChatUnavailable as exc:
                paused = await self._lifecycle.gone(target.chat, exc.reason)
                log.warning("chat unavailable, paused", extra={"chat": target.chat.key, "reason": exc.reason,
                                                                "paused": paused})
                return "unavailable"
        await self._stores.deliveries.finish(plan.id, "sent", sent)
        log.info("digest sent", extra={"target": target.key, "day": str(plan.day), "papers": len(entries)})
        return "sent"

    async def notify_failure(self, chat: ChatRef, reason: str) -> None:
        adapter = self._adapters.get(chat.platform)
        if adapter is None:
            return
        text = t(await self._chats.language(chat), "digest_failed", reason=reason)
        try:
            await adapter.send(chat, Text(text))
        except ChatUnavailable as exc:
            await self._lifecycle.gone(chat, exc.reason)
