"""The weekly "group picks" message: the week's most-liked and most-saved papers, per chat, opt-in.

A chat turns it on with a weekday, a time and a zone (``/picks on fri 17:00
Europe/Berlin``); the scheduler's minute tick runs it (target ``picks:<chat>``). Each
run is recorded in the digests table under (target, local date) before anything is
sent and each message as it goes out, exactly like a digest, so a restart neither
re-posts a week's picks nor skips them (catch-up runs a missed one within the grace
period). The week is the seven days before the scheduled moment, read from the
injected clock's schedule, never the wall clock. A week with no likes and no saves
posts nothing: a journal club does not need a message saying so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.models import ChatRef
from bot.ports import Adapter, ChatUnavailable
from bot.replies import Text
from bot.services.changes import ScheduleChanges
from bot.services.chats import ChatLifecycle, Chats
from bot.store.chats import WEEKDAY_NAMES
from bot.store.deliveries import DeliveryStore
from bot.store.papers import PaperStore
from bot.store.reading import PicksSchedule, ReadingStore
from bot.topics.profiles import chat_audience

log = logging.getLogger(__name__)

__all__ = ["WEEKDAY_NAMES", "GroupPicks"]

PICKS_PER_LIST = 5
WEEK = timedelta(days=7)
TITLE_CHARS = 150


class GroupPicks:
    def __init__(self, store: ReadingStore, papers: PaperStore, deliveries: DeliveryStore,
                 adapters: Mapping[str, Adapter], chats: Chats, lifecycle: ChatLifecycle,
                 changes: ScheduleChanges) -> None:
        self._store = store
        self._papers = papers
        self._deliveries = deliveries
        self._adapters = adapters
        self._chats = chats
        self._lifecycle = lifecycle
        self._changes = changes
        self._locks: dict[str, asyncio.Lock] = {}

    async def turn_on(self, chat: ChatRef, weekday: int, at: time, zone: str) -> PicksSchedule:
        schedule = PicksSchedule(chat, weekday, at.strftime("%H:%M"), zone)
        await self._store.set_picks(chat, weekday, schedule.at_time, zone)
        await self._changes.changed(chat)  # the scheduler places (or moves) the picks target
        return schedule

    async def turn_off(self, chat: ChatRef) -> bool:
        dropped = await self._store.drop_picks(chat)
        await self._changes.changed(chat)
        return dropped

    async def of_chat(self, chat_key: str) -> PicksSchedule | None:
        found = await self._store.picks(chat_key)
        return found[0] if found else None

    async def schedules(self) -> list[PicksSchedule]:
        return await self._store.picks()

    async def compose(self, chat: ChatRef, scheduled: datetime, day: date, language: str) -> tuple[str, list[str]]:
        """The message for the week before ``scheduled``, and the papers it names ("" when none)."""
        until = scheduled.astimezone(UTC).isoformat(timespec="seconds")
        since = (scheduled - WEEK).astimezone(UTC).isoformat(timespec="seconds")
        liked = await self._store.most_liked(chat_audience(chat.platform, chat.chat_id), since, until,
                                             PICKS_PER_LIST)
        saved = await self._store.most_saved(chat.key, since, until, PICKS_PER_LIST)
        if not liked and not saved:
            return "", []
        papers = await self._papers.get_many(list(dict.fromkeys([p for p, _ in liked + saved])))
        lines = [t(language, "picks_header", day=day.isoformat())]
        for key, mark, rows in (("picks_liked", "👍", liked), ("picks_saved", "🔖", saved)):
            if not rows:
                continue
            lines.append(t(language, key))
            for n, (paper_id, count) in enumerate(rows, 1):
                paper = papers.get(paper_id)
                title = paper.title if paper is not None else paper_id
                title = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
                lines.append(f"{n}. {title} — {paper_id} · {mark} {count}")
        return "\n".join(lines), list(dict.fromkeys([p for p, _ in liked + saved]))

    async def run(self, chat_key: str, scheduled: datetime) -> str:
        """Post one week's picks once: "sent", "already_sent", "empty", "off", "no_adapter" or "unavailable"."""
        schedule = await self.of_chat(chat_key)
        if schedule is None:
            return "off"
        chat = schedule.chat
        adapter = self._adapters.get(chat.platform)
        if adapter is None:
            return "no_adapter"
        day = scheduled.astimezone(ZoneInfo(schedule.timezone)).date()
        async with self._locks.setdefault(schedule.target, asyncio.Lock()):  # a catch-up and a tick never both post
            plan = await self._deliveries.get(schedule.target, day)
            if plan is not None and plan.status != "planned":
                return "already_sent"
            language = plan.language if plan is not None and plan.language else await self._chats.language(chat)
            text, paper_ids = await self.compose(chat, scheduled, day, language)
            if plan is None:
                plan = await self._deliveries.plan(schedule.target, day, chat.platform, chat.chat_id, paper_ids,
                                                   language=language)
            if not text:
                await self._deliveries.finish(plan.id, "empty", 0)
                return "empty"
            skip = max(plan.sent_parts) + 1 if plan.sent_parts else 0
            sent = len(plan.sent_parts)

            async def record(index: int, message_id: str) -> None:
                nonlocal sent
                await self._deliveries.record_part(plan.id, index, [message_id])
                sent += 1

            try:
                await adapter.send(chat, Text(text), skip=skip, on_sent=record)
            except ChatUnavailable as exc:
                await self._lifecycle.gone(chat, exc.reason)
                return "unavailable"
            await self._deliveries.finish(plan.id, "sent", sent)
        log.info("group picks sent", extra={"chat": chat_key, "day": str(day), "papers": len(paper_ids)})
        return "sent"
