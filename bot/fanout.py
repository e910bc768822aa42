"""Digests grouped by schedule, found by a once-a-minute tick, sent through a bounded pool.

A public instance serves 100,000 chats. APScheduler pays per job: a ``CronTrigger``,
a next fire time and a check of the callable's signature, about 0.2 ms and 5 KB each,
and even one job per distinct schedule is thousands of jobs when chats pick their
own minute (7 x 1,440 x the zones in use). So targets (``sub:<id>``,
``user:<platform>:<id>``) are grouped by :class:`Schedule`, the groups are indexed by
(zone, local hour, minute), and one job ticks every minute and asks the index which
schedules are due: start-up reads rows into dictionaries and builds no trigger.

When a schedule fires, its digests go through one :class:`DeliveryPool`. Starting
every due chat at once made each wait for every other's planning (about 15 database
round trips each through the one reader) before anything was sent, and held all of
them in memory; with a few dozen at a time the first message leaves at once and a
chat's parts arrive together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.store.chats import WEEKDAY_NAMES

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

K = TypeVar("K")
T = TypeVar("T")


@dataclass(frozen=True)
class Schedule:
    at_time: time
    timezone: str
    weekdays: tuple[int, ...]  # 0 = Monday

    def trigger(self) -> CronTrigger:
        from apscheduler.triggers.cron import CronTrigger  # only for next_run: the tick needs no trigger

        days = ",".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        return CronTrigger(day_of_week=days, hour=self.at_time.hour, minute=self.at_time.minute,
                           timezone=ZoneInfo(self.timezone))

    def next_run(self, after: datetime) -> datetime | None:
        return self.trigger().get_next_fire_time(None, after)

    def previous_run(self, now: datetime) -> datetime | None:
        """The latest scheduled moment at or before ``now`` (within the last 8 days)."""
        zone = ZoneInfo(self.timezone)
        # Compare instants in UTC: aware datetimes sharing a tzinfo compare by wall time.
        now_utc = now.astimezone(UTC)
        local_today = now_utc.astimezone(zone).date()
        for back in range(0, 8):
            day = local_today - timedelta(days=back)
            if day.weekday() not in self.weekdays:
                continue
            # A wall time skipped by a DST jump maps to the instant cron uses for it.
            moment = datetime.combine(day, self.at_time, zone).astimezone(UTC)
            if moment <= now_utc:
                return moment
        return None


class ScheduleIndex:
    """Which targets share which schedule, and which targets belong to which chat.

    Equal schedules are interned, so 100,000 targets on 500 schedules hold 500 objects.
    """

    def __init__(self) -> None:
        self.members: dict[Schedule, set[str]] = {}
        self._of: dict[str, Schedule] = {}
        self._by_chat: dict[str, set[str]] = {}
        self._interned: dict[tuple[str, str, str], Schedule | None] = {}
        self._by_wall: dict[tuple[str, int, int], set[Schedule]] = {}  # (zone, hour, minute) -> schedules
        self._zones: dict[str, int] = {}  # zone -> schedules on it
        self._walked: dict[str, datetime] = {}  # zone -> the last local wall minute looked at

    def __len__(self) -> int:
        return len(self._of)

    def schedule_of(self, target: str) -> Schedule | None:
        return self._of.get(target)

    def chat_targets(self, chat_key: str) -> set[str]:
        return set(self._by_chat.get(chat_key, ()))

    def intern(self, at_time: str, zone: str, weekdays: str) -> Schedule | None:
        """The shared :class:`Schedule` for stored columns, or None when they are not a valid schedule."""
        raw = (at_time, zone, weekdays)
        if raw not in self._interned:
            try:
                hh, mm = at_time.split(":")
                schedule = Schedule(time(int(hh), int(mm)), zone,
                                    tuple(sorted({WEEKDAY_NAMES.index(d) for d in weekdays.split(",") if d})))
                ZoneInfo(zone)  # an unknown zone is refused here, once
                if not schedule.weekdays:
                    raise ValueError("no weekdays")
                self._interned[raw] = schedule
            except (ValueError, KeyError, ZoneInfoNotFoundError):
                self._interned[raw] = None
        return self._interned[raw]

    def due(self, after: datetime, until: datetime) -> list[Schedule]:
        """Schedules whose local wall time falls in (``after``, ``until``], zone by zone.

        Walking wall minutes rather than instants makes a late tick catch up on the minutes
        it missed, fires a time skipped by a DST jump at the jump, and never fires a repeated
        hour twice. At most a day is walked.
        """
        found: list[Schedule] = []
        for zone_name in self._zones:
            zone = ZoneInfo(zone_name)
            start = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
            start = max(start, self._walked.get(zone_name, start))  # the hour repeated in autumn is walked once
            end = until.astimezone(zone).replace(tzinfo=None)
            minute = max(start, end - timedelta(days=1)) + timedelta(minutes=1)
            while minute <= end:
                for schedule in self._by_wall.get((zone_name, minute.hour, minute.minute), ()):
                    if minute.weekday() in schedule.weekdays:
                        found.append(schedule)
                self._walked[zone_name] = minute
                minute += timedelta(minutes=1)
        return found

    def put(self, target: str, schedule: Schedule, chat_key: str | None = None) -> bool:
        """Place ``target`` on ``schedule``; True when the schedule is new and needs a job."""
        self.drop(target)
        self._of[target] = schedule
        if chat_key is not None:
            self._by_chat.setdefault(chat_key, set()).add(target)
        members = self.members.get(schedule)
        if members is None:
            self.members[schedule] = {target}
            self._by_wall.setdefault(_wall(schedule), set()).add(schedule)
            self._zones[schedule.timezone] = self._zones.get(schedule.timezone, 0) + 1
            return True
        members.add(target)
        return False

    def drop(self, target: str) -> Schedule | None:
        """Take ``target`` off its schedule; returns the schedule if nobody is left on it."""
        schedule = self._of.pop(target, None)
        if schedule is None:
            return None
        members = self.members[schedule]
        members.discard(target)
        if members:
            return None
        del self.members[schedule]
        wall = self._by_wall[_wall(schedule)]
        wall.discard(schedule)
        if not wall:
            del self._by_wall[_wall(schedule)]
        self._zones[schedule.timezone] -= 1
        if not self._zones[schedule.timezone]:
            del self._zones[schedule.timezone]
        return schedule

    def set_chat(self, chat_key: str, targets: set[str]) -> None:
        if targets:
            self._by_chat[chat_key] = targets
        else:
            self._by_chat.pop(chat_key, None)


def _wall(schedule: Schedule) -> tuple[str, int, int]:
    return schedule.timezone, schedule.at_time.hour, schedule.at_time.minute


class DeliveryPool:
    """At most ``size`` digests in flight across every run, cron and catch-up alike.

    Each run feeds the pool lazily, so a chat is planned only when a slot is free and its
    first message leaves without waiting for the others' planning; memory holds ``size``
    chats in flight, not all of them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = asyncio.Semaphore(size)

    async def run(self, jobs: Iterable[tuple[K, Callable[[], Awaitable[T]]]], failed: T) -> dict[K, T]:
        """Run every job, ``size`` at a time; a job that raises is logged and counts as ``failed``."""
        results: dict[K, T] = {}
        queue = iter(jobs)

        async def worker() -> None:
            for key, job in queue:  # next() is synchronous: workers never take the same job
                async with self._slots:
                    try:
                        results[key] = await job()
                    except Exception:
                        log.exception("digest run failed", extra={"target": str(key)})
                        results[key] = failed

        await asyncio.gather(*(worker() for _ in range(self.size)))
        return results
