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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.arxiv.calendar import listing_day_for
from bot.arxiv.source import ArxivError, UnknownCategory
from bot.clock import Clock
from bot.delivery import Delivery, DeliveryStores, Outcome
from bot.listings import ListingPending
from bot.models import ChatRef
from bot.services.changes import ScheduleChanges
from bot.store.chats import WEEKDAY_NAMES, Subscription
from bot.store.filters import UserDigest

log = logging.getLogger(__name__)

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
    def __init__(self, delivery: Delivery, stores: DeliveryStores, changes: ScheduleChanges, clock: Clock,
                 grace_hours: float) -> None:
        self.delivery = delivery
        self._stores = stores
        self.clock = clock
        grace = int(grace_hours * 3600)
        self.grace = timedelta(seconds=grace)
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": max(grace, 1), "coalesce": True, "max_instances": 1},
        )
        self._rebuild_lock = asyncio.Lock()
        self._chat_jobs: dict[str, set[str]] = {}  # chat key -> its subscription job ids
        changes.listen(self.refresh)

    async def start(self, catch_up: bool = True) -> None:
        await self.rebuild()
        self.scheduler.start()
        if catch_up:
            await self.catch_up()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def rebuild(self) -> None:
        """Make the job list equal to the database: add, update and remove jobs.

        Paused subscriptions keep their jobs (a run returns at once), so resuming a chat
        needs no rebuild.
        """
        async with self._rebuild_lock:
            wanted: set[str] = set()
            self._chat_jobs.clear()
            for sub in await self._stores.subscriptions.all():
                if self._add_subscription_job(sub):
                    wanted.add(sub.target)
            for digest in await self._stores.filters.digests(enabled_only=True):
                if self._add_user_job(digest):
                    wanted.add(digest.target)
            for job in self.scheduler.get_jobs():
                if job.id not in wanted and not job.id.startswith("retry:"):
                    job.remove()

    async def refresh(self, chat: ChatRef | None = None, user: tuple[str, str] | None = None) -> None:
        """Apply one chat's or one user's change without rebuilding every job."""
        if chat is None and user is None:
            await self.rebuild()
            return
        async with self._rebuild_lock:
            if chat is not None:
                current = {sub.target for sub in await self._stores.subscriptions.for_chat(chat)
                           if self._add_subscription_job(sub)}
                for job_id in self._chat_jobs.get(chat.key, set()) - current:
                    self._remove_job(job_id)
                self._chat_jobs[chat.key] = current
            if user is not None:
                digest = await self._stores.filters.get_digest(*user)
                if digest is None or not digest.enabled or not self._add_user_job(digest):
                    self._remove_job(f"user:{user[0]}:{user[1]}")

    def _add_subscription_job(self, sub: Subscription) -> bool:
        try:
            trigger = Schedule(sub.at_time, sub.timezone, sub.weekdays).trigger()
        except (ValueError, KeyError):  # one bad row must not stop every other chat's digest
            log.error("subscription has an invalid schedule; skipped", extra={"sub": sub.id})
            return False
        self.scheduler.add_job(self.run_subscription, trigger, id=sub.target, args=[sub.id], replace_existing=True,
                               name=f"{sub.chat.key} {sub.topic}")
        self._chat_jobs.setdefault(sub.chat.key, set()).add(sub.target)
        return True

    def _add_user_job(self, digest: UserDigest) -> bool:
        try:
            trigger = Schedule(digest.at_time, digest.timezone, digest.weekdays).trigger()
        except (ValueError, KeyError):
            log.error("personal digest has an invalid schedule; skipped", extra={"target": digest.target})
            return False
        self.scheduler.add_job(self.run_user, trigger, id=digest.target, args=[digest.platform, digest.user_id],
                               replace_existing=True)
        return True

    def _remove_job(self, job_id: str) -> None:
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

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
        for sub in await self._stores.subscriptions.all(include_paused=False):
            due = self._due(Schedule(sub.at_time, sub.timezone, sub.weekdays), sub.last_sent_day, now, sub.target)
            if due is not None:
                tasks.append((sub.target, self.run_subscription(sub.id, scheduled=due)))
        for digest in await self._stores.filters.digests(enabled_only=True):
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
                     extra={"target": target, "scheduled": previous.isoformat(),
                            "grace_h": self.grace.total_seconds() / 3600})
            return None
        return previous

    async def run_subscription(self, sub_id: int, scheduled: datetime | None = None) -> Outcome | str:
        sub = await self._stores.subscriptions.get(sub_id)
        if sub is None or sub.paused_reason:
            return "paused"
        when = scheduled or self.clock()
        return await self._guarded(sub.target, when, self.delivery.deliver_subscription(sub, when), sub.chat,
                                   retry=(self.run_subscription, [sub_id]))

    async def run_user(self, platform: str, user_id: str, scheduled: datetime | None = None) -> Outcome | str:
        digest = await self._stores.filters.get_digest(platform, user_id)
        if digest is None or not digest.enabled or digest.paused_reason:
            return "paused"
        when = scheduled or self.clock()
        return await self._guarded(digest.target, when, self.delivery.deliver_user(digest, when), digest.chat,
                                   retry=(self.run_user, [platform, user_id]))

    async def _guarded(self, target: str, scheduled: datetime, run: Awaitable[Outcome], chat: ChatRef,
                       retry: tuple[Callable[..., Awaitable[Outcome | str]], list[object]]) -> Outcome | str:
        """Run one delivery; on a failure retry later within the grace period (the plan makes
        the retry resume, not repeat); an arXiv outage past it is told to the chat once."""
        try:
            outcome = await run
        except ListingPending as exc:
            # Not a failure: the listing is announced but not confirmed; run again once the feed is rebuilt.
            log.info("listing not confirmed yet", extra={"target": target, "ready_at": exc.ready_at.isoformat()})
            if exc.ready_at - scheduled <= self.grace:
                func, args = retry
                self.scheduler.add_job(func, DateTrigger(max(exc.ready_at, self.clock())), args=args,
                                       kwargs={"scheduled": scheduled}, id=f"retry:{target}", replace_existing=True)
                return "retry_scheduled"
            return "pending"
        except UnknownCategory as exc:
            # A topic naming a category arXiv does not know: retrying cannot help, and the digest
            # builder has logged it once already. Tell the chat, once, why nothing comes.
            await self._notify_once(target, scheduled, chat, str(exc))
            return "arxiv_failed"
        except Exception as exc:
            arxiv_down = isinstance(exc, ArxivError)
            if arxiv_down:
                log.warning("arXiv unavailable", extra={"target": target, "error": str(exc)})
            else:
                log.exception("digest delivery failed", extra={"target": target})
            now = self.clock()
            if now + RETRY_AFTER - scheduled <= self.grace:
                func, args = retry
                # A coroutine function, not a lambda: APScheduler runs plain callables in a thread.
                self.scheduler.add_job(func, DateTrigger(now + RETRY_AFTER), args=args,
                                       kwargs={"scheduled": scheduled}, id=f"retry:{target}", replace_existing=True)
                return "retry_scheduled"
            if arxiv_down:
                await self._notify_once(target, scheduled, chat, str(exc))
                return "arxiv_failed"
            return "error"
        log.info("digest run", extra={"target": target, "outcome": outcome})
        return outcome

    async def _notify_once(self, target: str, scheduled: datetime, chat: ChatRef, reason: str) -> None:
        day = listing_day_for(scheduled)
        store = self._stores.deliveries
        existing = await store.get(target, day)
        if existing is not None and existing.status == "failed":
            return
        plan = existing or await store.plan(target, day, chat.platform, chat.chat_id, [])
        await store.finish(plan.id, "failed", 0)
        await self.delivery.notify_failure(chat, reason)
