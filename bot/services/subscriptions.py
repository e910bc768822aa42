"""Subscribing a chat to topics; every change reschedules in the same call."""

from __future__ import annotations

from datetime import time

from bot.arxiv.calendar import default_weekdays
from bot.models import ChatRef, Topic
from bot.services.changes import ScheduleChanges
from bot.services.chats import Chats
from bot.store.chats import Subscription, SubscriptionStore
from bot.store.quotas import Caps

DEFAULT_TIME = time(8, 0)


class Subscriptions:
    def __init__(self, subscriptions: SubscriptionStore, chats: Chats, changes: ScheduleChanges, caps: Caps) -> None:
        self._subscriptions = subscriptions
        self._chats = chats
        self._changes = changes
        self._caps = caps

    async def subscribe(self, chat: ChatRef, topic: Topic, at: time | None, zone: str | None,
                        created_by: str) -> Subscription:
        """Subscribe (or re-time) a topic; past the caps the store raises ``LimitReached`` and saves nothing."""
        at = at or DEFAULT_TIME
        zone = zone or (await self._chats.view(chat)).timezone
        sub = await self._subscriptions.upsert(chat, topic.name, at, zone, default_weekdays(at, zone),
                                               created_by=created_by, caps=self._caps)
        await self._changes.changed(chat=chat)
        return sub

    async def unsubscribe(self, chat: ChatRef, topic: str | None) -> int:
        """Remove one topic's subscription, or all of them (``None``); how many went."""
        removed = await self._subscriptions.remove(chat, topic)
        if removed:
            await self._changes.changed(chat=chat)
        return len(removed)

    async def of_chat(self, chat: ChatRef) -> list[Subscription]:
        return await self._subscriptions.for_chat(chat)

    async def move_chat_to_zone(self, chat: ChatRef, zone: str) -> int:
        """The chat's zone changes, and its subscriptions keep their local time in the new zone."""
        await self._chats.update(chat, timezone=zone)
        moved = await self._subscriptions.move_to_zone(chat, zone, lambda at: default_weekdays(at, zone))
        await self._changes.changed(chat=chat)
        return moved
