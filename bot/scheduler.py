"""When digests go out: a once-a-minute tick over an index of schedules rebuilt from the database.

The database is the single source of truth: the index (bot/fanout.py) is rebuilt on
start and updated whenever subscriptions change; nothing is pickled. Each minute, the
one APScheduler job asks the index which schedules are due and fans out to the
subscriptions and personal digests on them, so start-up builds no trigger per chat
or per schedule. Retries are one-off APScheduler jobs, as before. On
start, a run missed while the bot was down is caught up once if it is within the grace
period; older ones are skipped with a log line. The digest record keyed by (target, day) makes every run
idempotent, so a catch-up and a regular run can never both post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING

from bot.arxiv.calendar import listing_day_for
from bot.arxiv.source import ArxivError, UnknownCategory
from bot.clock import Clock
from bot.delivery import Delivery, DeliveryStores, Outcome
from bot.fanout import DeliveryPool, Schedule, ScheduleIndex
from bot.listings import ListingPending
from bot.models import ChatRef
from bot.services.changes import ScheduleChanges
from bot.services.picks import GroupPicks
from bot.store.chats import format_weekdays

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = ["DigestScheduler", "Schedule"]

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=15)
TICK_JOB = "tick"


class DigestScheduler:
    def __init__(self, delivery: Delivery, stores: DeliveryStores, changes: ScheduleChanges, clock: Clock,
                 grace_hours: float, concurrency: int = 64, picks: GroupPicks | None = None) -> None:
        self.delivery = delivery
        self._picks = picks  # the weekly "group picks" messages ride the same tick (target picks:<chat>)
        self._stores = stores
        self.clock = clock
        grace = int(grace_hours * 3600)
        self.grace = timedelta(seconds=grace)
        self._aps: AsyncIOScheduler | None = None
        self._rebuild_lock = asyncio.Lock()
        self._index = ScheduleIndex()
        self.pool = DeliveryPool(concurrency)
        self._last_tick = clock()
        self._runs: set[asyncio.Task[dict[str, Outcome | str]]] = set()
        changes.listen(self.refresh)
        if picks is not None:
            changes.listen(self._refresh_picks)

    @property
    def scheduler(self) -> AsyncIOScheduler:
        """APScheduler, imported when first needed: one-shot CLI commands build a core but never schedule."""
        if self._aps is None:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            grace = int(self.grace.total_seconds())
            self._aps = AsyncIOScheduler(
                timezone=UTC,
                job_defaults={"misfire_grace_time": max(grace, 1), "coalesce": True, "max_instances": 1},
            )
        return self._aps

    async def start(self, catch_up: bool = True) -> None:
        from apscheduler.triggers.cron import CronTrigger

        await self.rebuild()
        self._last_tick = self.clock()  # earlier runs are catch-up's business
        self.scheduler.add_job(self._on_tick, CronTrigger(second=0, timezone=UTC), id=TICK_JOB,
                               replace_existing=True)
        self.scheduler.start()
        if catch_up:
            await self.catch_up()

    async def stop(self) -> None:
        aps, self._aps = self._aps, None  # AsyncIOScheduler shuts down on the loop's next turn, so
        if aps is not None and aps.running:  # `running` stays true meanwhile: stop exactly once
            aps.shutdown(wait=False)
        for run in list(self._runs):
            run.cancel()

    async def rebuild(self) -> None:
        """Make the job list equal to the database: add, update and remove jobs.

        Paused subscriptions keep their place (a run returns at once), so resuming a chat
        needs no rebuild.
        """
        async with self._rebuild_lock:
            index = ScheduleIndex()
            for target, chat_key, at_time, zone, weekdays in await self._stores.subscriptions.schedules():
                schedule = index.intern(at_time, zone, weekdays)
                if schedule is None:  # one bad row must not stop every other chat's digest
                    log.error("digest has an invalid schedule; skipped", extra={"target": target})
                    continue
                index.put(target, schedule, chat_key)
            for picks in await self._picks.schedules() if self._picks is not None else ():
                weekly = index.intern(picks.at_time, picks.timezone, format_weekdays((picks.weekday,)))
                if weekly is not None:  # not with the chat's targets: refresh(chat) is about subscriptions
                    index.put(picks.target, weekly)
            self._index = index

    async def _refresh_picks(self, chat: ChatRef | None, user: tuple[str, str] | None) -> None:
        """Place, move or drop one chat's weekly picks after /picks."""
        if chat is None or self._picks is None:
            return
        async with self._rebuild_lock:
            picks = await self._picks.of_chat(chat.key)
            if picks is None or not self._place(picks.target, picks.at_time, picks.timezone, (picks.weekday,), None):
                self._unplace(f"picks:{chat.key}")

    async def refresh(self, chat: ChatRef | None = None, user: tuple[str, str] | None = None) -> None:
        """Apply one chat's or one user's change without rebuilding every job."""
        if chat is None and user is None:
            await self.rebuild()
            return
        async with self._rebuild_lock:
            if chat is not None:
                current = {sub.target for sub in await self._stores.subscriptions.for_chat(chat)
                           if self._place(sub.target, sub.at_time.strftime("%H:%M"), sub.timezone,
                                          sub.weekdays, chat.key)}
                for target in self._index.chat_targets(chat.key) - current:
                    self._unplace(target)
                self._index.set_chat(chat.key, current)
            if user is not None:
                digest = await self._stores.filters.get_digest(*user)
                target = f"user:{user[0]}:{user[1]}"
                if digest is None or not digest.enabled or not self._place(
                        target, digest.at_time.strftime("%H:%M"), digest.timezone, digest.weekdays, None):
                    self._unplace(target)

    def _place(self, target: str, at_time: str, zone: str, weekdays: tuple[int, ...], chat_key: str | None) -> bool:
        schedule = self._index.intern(at_time, zone, format_weekdays(weekdays))
        if schedule is None:
            log.error("digest has an invalid schedule; skipped", extra={"target": target})
            return False
        self._index.put(target, schedule, chat_key)
        return True

    def _unplace(self, target: str) -> None:
        self._index.drop(target)

    def has_job(self, target: str) -> bool:
        """Whether ``target`` (``sub:<id>``, ``user:<platform>:<id>``) is scheduled."""
        return self._index.schedule_of(target) is not None

    def next_run_time(self, target: str) -> datetime | None:
        schedule = self._index.schedule_of(target)
        return schedule.next_run(self.clock()) if schedule is not None else None

    async def _on_tick(self) -> None:
        """The APScheduler job: start the due fan-outs and return, so a long one delays no later minute."""
        run = asyncio.create_task(self.tick())
        self._runs.add(run)
        run.add_done_callback(self._runs.discard)

    async def tick(self) -> dict[str, Outcome | str]:
        """Run every digest whose schedule came due since the last tick, through the pool."""
        now = self.clock()
        due, self._last_tick = self._index.due(self._last_tick, now), now
        targets = sorted({t for schedule in due for t in self._index.members.get(schedule, ())})
        if not targets:
            return {}
        results = await self.pool.run(((t, partial(self._run_target, t, now)) for t in targets), failed="error")
        log.info("scheduled digests run", extra={"schedules": len(due), "digests": len(targets)})
        return results

    def _run_target(self, target: str, scheduled: datetime) -> Awaitable[Outcome | str]:
        kind, _, rest = target.partition(":")
        if kind == "picks" and self._picks is not None:
            return self._picks.run(rest, scheduled)
        if kind == "sub":
            return self.run_subscription(int(rest), scheduled=scheduled)
        platform, _, user_id = rest.partition(":")
        return self.run_user(platform, user_id, scheduled=scheduled)

    async def catch_up(self) -> dict[str, Outcome | str]:
        """Send each digest missed while the bot was down, once, if within the grace period.

        Which digests are due is worked out as the pool asks for the next one, and each
        distinct schedule's last run (and its listing day) is computed once, so the first
        chat's message does not wait for the 10,000th chat's arithmetic.
        """
        now = self.clock()
        subs = await self._stores.subscriptions.all(include_paused=False)
        digests = [d for d in await self._stores.filters.digests(enabled_only=True) if not d.paused_reason]
        previous: dict[Schedule, tuple[datetime, date] | None] = {}
        weekly = await self._picks.schedules() if self._picks is not None else []

        def last_run(schedule: Schedule) -> tuple[datetime, date] | None:
            if schedule not in previous:
                moment = schedule.previous_run(now)
                previous[schedule] = (moment, listing_day_for(moment)) if moment is not None else None
            return previous[schedule]

        def jobs() -> Iterator[tuple[str, Callable[[], Awaitable[Outcome | str]]]]:
            for sub in subs:
                due = self._due(last_run(Schedule(sub.at_time, sub.timezone, sub.weekdays)), sub.last_sent_day, now,
                                sub.target)
                if due is not None:
                    yield sub.target, partial(self.run_subscription, sub.id, scheduled=due)
            for digest in digests:
                due = self._due(last_run(Schedule(digest.at_time, digest.timezone, digest.weekdays)),
                                digest.last_sent_day, now, digest.target)
                if due is not None:
                    yield digest.target, partial(self.run_user, digest.platform, digest.user_id, scheduled=due)
            for picks in weekly:  # a run is recorded per week, so one already posted answers "already_sent"
                moment = Schedule(time.fromisoformat(picks.at_time), picks.timezone, (picks.weekday,)).previous_run(now)
                if moment is not None and now - moment <= self.grace and self._picks is not None:
                    yield picks.target, partial(self._picks.run, picks.chat.key, moment)

        return await self.pool.run(jobs(), failed="error")

    def _due(self, last: tuple[datetime, date] | None, last_sent: date | None, now: datetime,
             target: str) -> datetime | None:
        if last is None:
            return None
        previous, day = last
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
                from apscheduler.triggers.date import DateTrigger

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
                from apscheduler.triggers.date import DateTrigger

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
