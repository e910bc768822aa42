"""Scheduled fan-out: one job per distinct schedule, and a bounded pool of deliveries in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import Core
from bot.models import ChatRef
from bot.ports import OnSent
from bot.replies import Reply
from tests.conftest import core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter

LISTING = date(2026, 11, 20)
AT_8_UTC = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass
class CountingAdapter(RecordingAdapter):
    """Counts digests being sent at once, and how many were already planned when the first one left."""

    core: Core | None = None
    in_flight: int = 0
    most_in_flight: int = 0
    planned_at_first_send: int | None = None

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        if self.planned_at_first_send is None and self.core is not None:
            row = await self.core.store.db.fetchone("SELECT COUNT(*) FROM digests")
            self.planned_at_first_send = int(row[0]) if row else 0
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(3):
                await asyncio.sleep(0)  # let the others run while this chat is "sending"
            return await super().send(chat, reply, skip=skip, on_sent=on_sent)
        finally:
            self.in_flight -= 1


async def _subscribe(core: Core, n: int, at: time, zone: str, first: int = 0) -> None:
    for i in range(first, first + n):
        await core.store.subscriptions.upsert(ChatRef("console", f"chat-{i}", "group"), "virtual-humans", at, zone)


async def test_start_up_adds_one_job_however_many_subscriptions_and_schedules(arxiv: FakeArxiv,
                                                                               tmp_path: Path) -> None:
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    try:
        for i in range(30):
            await _subscribe(core, 1, time(i % 24, i), "Europe/Berlin" if i % 2 else "UTC", first=i)
        scheduler = scheduler_at(core, AT_8_UTC)
        await scheduler.start(catch_up=False)
        assert len(scheduler.scheduler.get_jobs()) == 1
        assert all(scheduler.has_job(f"sub:{i}") for i in range(1, 31))
        await scheduler.stop()
    finally:
        await core.close()


async def test_the_tick_posts_to_every_chat_due_this_minute_and_to_no_other(arxiv: FakeArxiv,
                                                                            tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _subscribe(core, 12, time(8, 0), "UTC")
        await _subscribe(core, 8, time(9, 30), "Asia/Tokyo", first=12)
        await _subscribe(core, 3, time(9, 0), "Europe/Berlin", first=20)  # 08:00 UTC too
        scheduler = scheduler_at(core, AT_8_UTC - timedelta(seconds=30))
        await scheduler.start(catch_up=False)
        scheduler_at(core, AT_8_UTC + timedelta(seconds=1))
        outcomes = await scheduler.tick()
        assert outcomes == {f"sub:{i}": "sent" for i in [*range(1, 13), 21, 22, 23]}
        assert {chat for chat, _, _ in adapter.sent} == {f"chat-{i}" for i in [*range(12), 20, 21, 22]}
        assert await scheduler.tick() == {}  # the same minute is not run twice
        await scheduler.stop()
    finally:
        await core.close()


async def test_a_late_tick_runs_the_minutes_it_missed(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    try:
        await _subscribe(core, 2, time(8, 0), "UTC")
        await _subscribe(core, 2, time(8, 3), "UTC", first=2)
        scheduler = scheduler_at(core, AT_8_UTC - timedelta(minutes=1))
        await scheduler.start(catch_up=False)
        scheduler_at(core, AT_8_UTC + timedelta(minutes=5))
        assert set(await scheduler.tick()) == {"sub:1", "sub:2", "sub:3", "sub:4"}
        await scheduler.stop()
    finally:
        await core.close()


async def test_the_last_subscription_leaving_a_schedule_leaves_nothing_scheduled(arxiv: FakeArxiv,
                                                                                  tmp_path: Path) -> None:
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    try:
        scheduler = scheduler_at(core, AT_8_UTC)
        await scheduler.start(catch_up=False)
        a, b = ChatRef("console", "a", "group"), ChatRef("console", "b", "group")
        for chat in (a, b):
            await core.dispatcher.dispatch_line("/subscribe llm 06:45 Asia/Tokyo", user_id="u", chat=chat,
                                                can_admin=True)
        await core.dispatcher.dispatch_line("/unsubscribe llm", user_id="u", chat=a, can_admin=True)
        assert not scheduler.has_job("sub:1") and scheduler.has_job("sub:2")
        await core.dispatcher.dispatch_line("/subscribe llm 07:00 Asia/Tokyo", user_id="u", chat=b, can_admin=True)
        nxt = scheduler.next_run_time("sub:2")
        assert nxt is not None and nxt.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") == "07:00"
        await core.dispatcher.dispatch_line("/unsubscribe llm", user_id="u", chat=b, can_admin=True)
        assert scheduler.next_run_time("sub:2") is None
        assert [job.id for job in scheduler.scheduler.get_jobs()] == ["tick"]
        await scheduler.stop()
    finally:
        await core.close()


async def test_catch_up_keeps_only_the_configured_number_of_digests_in_flight(arxiv: FakeArxiv,
                                                                              tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = CountingAdapter()
    core = await core_with(adapter, arxiv, tmp_path, delivery_concurrency=3)
    adapter.core = core
    try:
        await _subscribe(core, 12, time(8, 0), "UTC")
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(hours=1))
        outcomes = await scheduler.catch_up()
        assert set(outcomes.values()) == {"sent"} and len(outcomes) == 12
        assert adapter.most_in_flight <= 3
        # The first chat's message left before every other chat had been planned.
        assert adapter.planned_at_first_send is not None and adapter.planned_at_first_send <= 3
    finally:
        await core.close()


def test_a_time_skipped_by_dst_fires_at_the_jump_and_a_repeated_hour_fires_once() -> None:
    from bot.fanout import ScheduleIndex

    index = ScheduleIndex()
    every_day = "mon,tue,wed,thu,fri,sat,sun"
    spring = index.intern("02:30", "Europe/Berlin", every_day)
    autumn = index.intern("02:30", "Europe/Berlin", every_day)
    assert spring is not None and spring is autumn  # equal schedules are one object
    index.put("sub:1", spring)
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    assert index.due(jump - timedelta(minutes=1), jump) == [spring]
    fired = 0
    moment = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 03:00 CEST becomes 02:00 CET at 01:00 UTC
    while moment < datetime(2026, 10, 25, 3, 0, tzinfo=UTC):
        fired += len(index.due(moment, moment + timedelta(minutes=1)))
        moment += timedelta(minutes=1)
    assert fired == 1
    assert index.intern("02:30", "Mars/Olympus", every_day) is None
