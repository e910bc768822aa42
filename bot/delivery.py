"""Idempotent digest delivery: plan, send part by part, record, resume after a crash.

A digest is keyed by (target, announcement day). Its papers are recorded before the
first message goes out; each message sent is recorded with its index. A restart
resumes at the first unrecorded message, so at most the one message in flight at a
crash is seen twice, and a finished digest is never re-posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from bot.adapters.base import ChatUnavailable
from bot.links import code_links
from bot.models import ChatRef, DayPapers, Paper, Topic
from bot.personal import personal_topic
from bot.i18n import t
from bot.replies import Digest, DigestEntry, Text
from bot.summarizer.schema import SummaryResult, dump_brief, load_brief
from bot.store.chats import Subscription
from bot.store.deliveries import DigestPlan
from bot.store.filters import UserDigest

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

Outcome = Literal["sent", "already_sent", "no_announcement", "empty", "paused", "no_adapter", "unavailable",
                  "arxiv_failed", "no_topic"]


Chooser = Callable[[DayPapers], Awaitable[tuple[list[Paper], int]]]


@dataclass(frozen=True)
class Target:
    """Who gets a digest: a chat's subscription or a user's personal digest."""

    key: str  # digests.target
    chat: ChatRef
    language: str
    limit: int
    paused_reason: str | None


class Delivery:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._target_locks: dict[str, asyncio.Lock] = {}

    async def deliver_subscription(self, sub: Subscription, scheduled: datetime) -> Outcome:
        topic = await self.core.topics.get(sub.topic, sub.chat.key)
        if topic is None:
            log.warning("subscription topic is gone", extra={"sub": sub.id, "topic": sub.topic})
            return "no_topic"
        target = Target(sub.target, sub.chat, await self.core.language_for(sub.chat),
                        await self.core.max_papers_for(sub.chat), sub.paused_reason)

        async def choose(day_papers: DayPapers) -> tuple[list[Paper], int]:
            matched = self.core.digests.select(topic, day_papers)
            return matched[: target.limit], max(0, len(matched) - target.limit)

        outcome, day = await self._deliver(target, topic.categories, topic, scheduled, choose)
        if outcome in ("sent", "already_sent", "empty") and day is not None:
            await self.core.store.subscriptions.set_last_sent(sub.id, day)
        return outcome

    async def deliver_user(self, digest: UserDigest, scheduled: datetime) -> Outcome:
        personal = self.core.personal
        if not await personal.has_filters(digest.platform, digest.user_id):
            return "empty"
        categories = await personal.categories()
        language = digest.language or self.core.settings.language
        topic = personal_topic(language, categories)
        target = Target(digest.target, digest.chat, language, self.core.settings.digest_max_papers,
                        digest.paused_reason)

        async def choose(day_papers: DayPapers) -> tuple[list[Paper], int]:
            matched = await personal.match(digest.platform, digest.user_id, day_papers)
            return matched[: target.limit], max(0, len(matched) - target.limit)

        outcome, day = await self._deliver(target, topic.categories, topic, scheduled, choose)
        if outcome == "sent" and day is not None:
            await self.core.store.filters.set_last_sent(digest.platform, digest.user_id, day)
        return outcome

    async def _deliver(self, target: Target, categories: tuple[str, ...], topic: Topic, scheduled: datetime,
                       choose: Chooser) -> tuple[Outcome, date | None]:
        if target.paused_reason:
            return "paused", None
        if target.chat.platform not in self.core.adapters:
            log.warning("no adapter for chat", extra={"chat": target.chat.key})
            return "no_adapter", None
        day_papers = await self.core.digests.latest_day(categories, as_of=scheduled)  # errors propagate to the scheduler
        day = day_papers.day
        if day_papers.no_announcement:
            log.info("no announcement", extra={"target": target.key, "day": str(day)})
            return "no_announcement", None
        store = self.core.store.deliveries
        # One run per target at a time: a catch-up and a cron run for the same digest must not both send.
        async with self._target_locks.setdefault(target.key, asyncio.Lock()):
            plan = await store.get(target.key, day)
            if plan is not None and plan.status != "planned":
                return "already_sent", day
            if plan is None:
                papers, more = await choose(day_papers)
                summaries = await self.core.summarizer.briefs(papers, target.language)
                plan = await store.plan(target.key, day, target.chat.platform, target.chat.chat_id,
                                        [p.id for p in papers], [dump_brief(summaries[p.id]) for p in papers],
                                        target.language, more)
                if not papers:
                    # Recorded so a restart does not look again; a chat gets no empty digest.
                    await store.finish(plan.id, "empty", 0)
                    return "empty", day
            return await self.send_plan(plan, target, topic), day

    async def send_plan(self, plan: DigestPlan, target: Target, topic: Topic) -> Outcome:
        """Send (or resume sending) a recorded plan exactly as planned: same papers, same summaries."""
        adapter = self.core.adapters[target.chat.platform]
        language = plan.language or target.language
        papers_by_id = await self.core.store.papers.get_many(plan.paper_ids)
        shown: dict[str, SummaryResult] = {}
        for pid, text in zip(plan.paper_ids, plan.summaries, strict=False):
            if pid in papers_by_id and text:
                shown[pid] = load_brief(text, papers_by_id[pid], language)
        missing = [papers_by_id[pid] for pid in plan.paper_ids if pid in papers_by_id and pid not in shown]
        shown.update(await self.core.summarizer.briefs(missing, language) if missing else {})
        entries = tuple(DigestEntry(papers_by_id[pid], shown[pid], tuple(code_links(papers_by_id[pid])))
                        for pid in plan.paper_ids if pid in shown)
        reply = Digest(topic, plan.day, language, entries, more=plan.more)
        skip = max(plan.sent_parts) + 1 if plan.sent_parts else 0
        sent = len(plan.sent_parts)

        async def record(index: int, message_id: str) -> None:
            nonlocal sent
            await self.core.store.deliveries.record_part(plan.id, index, [message_id])
            sent += 1

        async with self._chat_locks.setdefault(target.chat.key, asyncio.Lock()):  # keeps a chat's messages in order
            try:
                await adapter.send(target.chat, reply, skip=skip, on_sent=record)
            except ChatUnavailable as exc:
                paused = await pause_chat(self.core, target.chat, exc.reason)
                log.warning("chat unavailable, paused", extra={"chat": target.chat.key, "reason": exc.reason,
                                                                "paused": paused})
                return "unavailable"
        await self.core.store.deliveries.finish(plan.id, "sent", sent)
        log.info("digest sent", extra={"target": target.key, "day": str(plan.day), "papers": len(entries)})
        return "sent"

    async def notify_failure(self, chat: ChatRef, language: str, reason: str) -> None:
        adapter = self.core.adapters.get(chat.platform)
        if adapter is None:
            return
        text = (f"今天的论文速递未能发送：arXiv 一直无法访问（{reason}）。明天会照常推送。" if language == "zh" else
                f"Today's digest could not be sent: arXiv did not answer ({reason}). It will resume tomorrow.")
        try:
            await adapter.send(chat, Text(text))
        except ChatUnavailable as exc:
            await pause_chat(self.core, chat, exc.reason)


async def pause_chat(core: Core, chat: ChatRef, reason: str) -> int:
    """Pause a chat we lost access to, and tell each person who subscribed it, by DM, once.

    ``/subscriptions`` shows the pause, but only to someone who asks in that chat, which
    may be impossible now. Only subscriptions that were running are reported, so a
    second failure (or a second "kicked" update) sends nothing.
    """
    running = [s for s in await core.store.subscriptions.for_chat(chat) if s.paused_reason is None]
    paused = await core.store.chats.pause(chat.platform, chat.chat_id, reason)
    if paused:
        await _tell_subscribers(core, chat, running, reason)
    return paused


async def _tell_subscribers(core: Core, chat: ChatRef, subs: list[Subscription], reason: str) -> None:
    adapter = core.adapters.get(chat.platform)
    dm_chat = getattr(adapter, "dm_chat", None)  # adapters that can write to a person directly
    if adapter is None or dm_chat is None:
        return
    topics: dict[str, list[str]] = {}
    for sub in subs:
        platform, _, user_id = (sub.created_by or "").partition(":")
        if platform == chat.platform and user_id and user_id != chat.chat_id:
            topics.setdefault(user_id, []).append(sub.topic)
    if not topics:
        return
    language = await core.language_for(chat)
    name = (await core.store.chats.settings(chat)).title or chat.chat_id
    for user_id, names in topics.items():
        target = dm_chat(user_id)
        if target is None:
            continue
        text = t(language, "subscription_paused_dm", chat=name, reason=reason, topics=", ".join(names))
        try:
            await adapter.send(target, Text(text))
        except ChatUnavailable:  # they never opened a chat with the bot: nothing more to do
            log.info("could not tell the subscriber about a pause", extra={"chat": chat.key, "user": user_id})
        except Exception:
            log.warning("could not tell the subscriber about a pause", extra={"chat": chat.key}, exc_info=True)

