"""When digests go out: one cron job per subscription, rebuilt from the database.

The database is the single source of truth: jobs live in APScheduler's in-memory
store and are rebuilt on start and whenever subscriptions change (stable ids,
``replace_existing``). Nothing is pickled. On start, a run missed while the bot was
down is caught up once if it is within the grace period; older ones are skipped
with a log line. The digest record keyed by (target, day) makes every run
idempotent, so a catch-up and a regular run can never both post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.arxiv_calendar import listing_day_for
from bot.arxiv_source import ArxivError
from bot.delivery import Delivery, Outcome
from bot.models import ChatRef
from bot.store.chats import WEEKDAY_NAMES

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RETRY_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Schedule:
    at_time: time
    timezone: str
    weekdays: tuple[int, ...]  # 0 = Monday

    def trigger(self) -> CronTrigger:
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


class DigestScheduler:
    def __init__(self, core: Core, clock: Clock | None = None) -> None:
        self.core = core
        self.clock = clock or (lambda: datetime.now(UTC))
        self.delivery = core.delivery or Delivery(core)
        core.delivery = self.delivery
        grace = int(core.settings.catchup_grace_hours * 3600)
        self.grace = timedelta(seconds=grace)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": max(grace, 1), "coalesce": True, "max_instances": 1},
        )
        self._rebuild_lock = asyncio.Lock()
        core.on_subscriptions_changed(self.rebuild)

    async def start(self, catch_up: bool = True) -> None:
        await self.rebuild()
        self.scheduler.start()
        if catch_up:
            await self.catch_up()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def rebuild(self) -> None:
        """Make the job list equal to the database: add, update and remove jobs."""
        async with self._rebuild_lock:
            wanted: set[str] = set()
            for sub in await self.core.store.subscriptions.all(include_paused=False):
                job_id = sub.target
                wanted.add(job_id)
                self.scheduler.add_job(self.run_subscription, Schedule(sub.at_time, sub.timezone, sub.weekdays).trigger(),
                                       id=job_id, args=[sub.id], replace_existing=True, name=f"{sub.chat.key} {sub.topic}")
            for digest in await self.core.store.filters.digests(enabled_only=True):
                if digest.paused_reason:
                    continue
                wanted.add(digest.target)
                self.scheduler.add_job(self.run_user, Schedule(digest.at_time, digest.timezone, digest.weekdays).trigger(),
                                       id=digest.target, args=[digest.platform, digest.user_id], replace_existing=True)
            for job in self.scheduler.get_jobs():
                if job.id not in wanted and not job.id.startswith("retry:"):
                    job.remove()

    def next_run_time(self, job_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id)
        if job is None:
            return None
        return job.next_run_time or job.trigger.get_next_fire_time(None, self.clock())

    async def catch_up(self) -> dict[str, Outcome | str]:
        """Send each digest missed while the bot was down, once, if within the grace period."""
        now = self.clock()
        results: dict[str, Outcome | str] = {}
        tasks = []
        for sub in await self.core.store.subscriptions.all(include_paused=False):
            due = self._due(Schedule(sub.at_time, sub.timezone, sub.weekdays), sub.last_sent_day, now, sub.target)
            if due is not None:
                tasks.append((sub.target, self.run_subscription(sub.id, scheduled=due)))
        for digest in await self.core.store.filters.digests(enabled_only=True):
            if digest.paused_reason:
                continue
            due = self._due(Schedule(digest.at_time, digest.timezone, digest.weekdays), digest.last_sent_day, now,
                            digest.target)
            if due is not None:
                tasks.append((digest.target, self.run_user(digest.platform, digest.user_id, scheduled=due)))
        outcomes = await asyncio.gather(*(t for _, t in tasks))
        for (key, _), outcome in zip(tasks, outcomes, strict=True):
            results[key] = outcome
        return results

    def _due(self, schedule: Schedule, last_sent: date | None, now: datetime, target: str) -> datetime | None:
        previous = schedule.previous_run(now)
        if previous is None:
            return None
        day = listing_day_for(previous)
        if last_sent is not None and last_sent >= day:
            return None
        if now - previous > self.grace:
            log.info("missed digest skipped: older than the grace period",
                     extra={"target": target, "scheduled": previous.isoformat(), "grace_h": self.grace.total_seconds() / 3600})
            return None
        return previous

    async def run_subscription(self, sub_id: int, scheduled: datetime | None = None) -> Outcome | str:
        sub = await self.core.store.subscriptions.get(sub_id)
        if sub is None or sub.paused_reason:
            return "paused"
        when = scheduled or self.clock()
        return await self._guarded(sub.target, when, lambda: self.delivery.deliver_subscription(sub, when),
                                   retry=lambda: self.run_subscription(sub_id, scheduled=when), chat=sub.chat)

    async def run_user(self, platform: str, user_id: str, scheduled: datetime | None = None) -> Outcome | str:
        digest = await self.core.store.filters.get_digest(platform, user_id)
        if digest is None or not digest.enabled or digest.paused_reason:
            return "paused"
        when = scheduled or self.clock()
        return await self._guarded(digest.target, when, lambda: self.delivery.deliver_user(digest, when),
                                   retry=lambda: self.run_user(platform, user_id, scheduled=when), chat=digest.chat)

    async def _guarded(self, target: str, scheduled: datetime, run: Callable, retry: Callable, chat: ChatRef) -> Outcome | str:
        """Run one delivery; on an arXiv outage retry later, and past the grace period tell the chat once."""
        try:
            outcome = await run()
        except ArxivError as exc:
            now = self.clock()
            if now + RETRY_AFTER - scheduled <= self.grace:
                log.warning("arXiv unavailable, will retry", extra={"target": target, "error": str(exc)})
                self.scheduler.add_job(retry, DateTrigger(now + RETRY_AFTER), id=f"retry:{target}",
                                       replace_existing=True)
                return "retry_scheduled"
            log.error("arXiv unavailable past the grace period", extra={"target": target, "error": str(exc)})
            await self._notify_once(target, scheduled, chat, str(exc))
            return "arxiv_failed"
        except Exception:
            log.exception("digest delivery failed", extra={"target": target})
            return "error"
        log.info("digest run", extra={"target": target, "outcome": outcome})
        return outcome

    async def _notify_once(self, target: str, scheduled: datetime, chat: ChatRef, reason: str) -> None:
        day = listing_day_for(scheduled)
        store = self.core.store.deliveries
        existing = await store.get(target, day)
        if existing is not None and existing.status == "failed":
            return
        plan = existing or await store.plan(target, day, chat.platform, chat.chat_id, [])
        await store.finish(plan.id, "failed", 0)
        await self.delivery.notify_failure(chat, await self.core.language_for(chat), reason)
