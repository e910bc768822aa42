"""A person's own filters and personal digest; every change refreshes matching or the schedule."""

from __future__ import annotations

from datetime import time

from bot.arxiv.calendar import default_weekdays
from bot.personal import PersonalMatcher
from bot.services.changes import ScheduleChanges
from bot.store.filters import FilterStore, UserDigest, UserFilter

FilterKind = str  # "include" or "mute"


class Filters:
    def __init__(self, filters: FilterStore, personal: PersonalMatcher, changes: ScheduleChanges,
                 limit: int) -> None:
        self._filters = filters
        self._personal = personal
        self._changes = changes
        self._limit = limit

    async def of_user(self, platform: str, user_id: str) -> list[UserFilter]:
        return await self._filters.of_user(platform, user_id)

    async def add(self, platform: str, user_id: str, kind: FilterKind, value: str) -> bool:
        """False if it exists; past the cap the store raises ``LimitReached`` in the insert's own transaction."""
        added = await self._filters.add(platform, user_id, kind, value, limit=self._limit)
        if added:
            self._personal.forget()
        return added

    async def remove(self, platform: str, user_id: str, value: str) -> bool:
        removed = await self._filters.remove(platform, user_id, value)
        if removed:
            self._personal.forget()
        return removed

    async def digest(self, platform: str, user_id: str) -> UserDigest | None:
        return await self._filters.get_digest(platform, user_id)

    async def set_digest(self, platform: str, user_id: str, dm_chat_id: str, on: bool, at: time, zone: str,
                         language: str) -> None:
        await self._filters.set_digest(platform, user_id, dm_chat_id, on, at, zone, language=language,
                                       weekdays=default_weekdays(at, zone))
        await self._changes.changed(user=(platform, user_id))
