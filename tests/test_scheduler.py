"""Scheduled digests: time zones with DST, catch-up once, stale runs skipped, crash-safe fan-out."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.models import ChatRef
from bot.scheduler import Schedule
from tests.conftest import core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import Killed, RecordingAdapter

LISTING = date(2026, 11, 20)  # a Friday: Thursday evening's announcement
AT_8_UTC = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_schedule_follows_dst_in_new_york() -> None:
    schedule = Schedule(time(8, 0), "America/New_York", (0, 1, 2, 3, 4, 5, 6))
    before = schedule.next_run(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    after = schedule.next_run(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    assert before is not None and after is not None
    assert before.astimezone(UTC).hour == 13  # EST, UTC-5
    assert after.astimezone(UTC).hour == 12  # EDT, UTC-4
    assert after.astimezone(ZoneInfo("America/New_York")).hour == 8


def test_previous_run_agrees_with_the_cron_trigger_across_dst() -> None:
    schedule = Schedule(time(2, 30), "Europe/Berlin", (0, 1, 2, 3, 4, 5, 6))
    moment = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
    for _ in range(20):  # across the 29 March change, where 02:30 does not exist
        nxt = schedule.next_run(moment)
        assert nxt is not None
        previous = schedule.previous_run(nxt + timedelta(seconds=1))
        assert previous is not None and previous.astimezone(UTC) == nxt.astimezone(UTC)
        moment = nxt + timedelta(minutes=1)


def test_weekdays_are_respected() -> None:
    schedule = Schedule(time(9, 0), "Asia/Shanghai", (0, 1, 2, 3, 4))
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    nxt = schedule.next_run(saturday)
    assert nxt is not None and nxt.astimezone(ZoneInfo("Asia/Shanghai")).weekday() == 0


async def _subscribe(core: Core, n: int, at: time = time(8, 0)) -> list[ChatRef]:
    chats = [ChatRef("console", f"chat-{i}", "group") for i in range(n)]
    for chat in chats:
        await core.store.subscriptions.upsert(chat, "virtual-humans", at, "UTC")
    return chats


async def test_missed_run_is_caught_up_once(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        [chat] = await _subscribe(core, 1)
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(hours=3))
        await scheduler.rebuild()
        assert await scheduler.catch_up() == {"sub:1": "sent"}
        first = len(adapter.sent)
        assert first >= 1
        assert await scheduler.catch_up() == {}  # last_sent_day now covers the listing
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "already_sent"
        assert len(adapter.sent) == first
        sub = await core.store.subscriptions.get(1)
        assert sub is not None and sub.last_sent_day == LISTING
    finally:
        await core.close()


async def test_stale_run_is_skipped_with_a_log_line(arxiv: FakeArxiv, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _subscribe(core, 1)
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(hours=13))
        with caplog.at_level(logging.INFO):
            assert await scheduler.catch_up() == {}
        assert adapter.sent == []
        assert any("older than the grace period" in r.getMessage() for r in caplog.records)
    finally:
        await core.close()


async def test_restart_mid_fanout_finishes_without_duplicates(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter(crash_after=7)
    core = await core_with(adapter, arxiv, tmp_path)
    chats = await _subscribe(core, 6)
    scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
    with pytest.raises(Killed):
        for sub in await core.store.subscriptions.all():
            await scheduler.run_subscription(sub.id, scheduled=AT_8_UTC)
    await core.close()
    crashed_at = len(adapter.sent)

    adapter.crash_after = None
    restarted = await core_with(adapter, arxiv, tmp_path)
    try:
        results = await scheduler_at(restarted, AT_8_UTC + timedelta(minutes=5)).catch_up()
        assert set(results.values()) <= {"sent"}
        per_chat = {c.chat_id: adapter.messages_for(c.chat_id) for c in chats}
        expected = max(len(v) for v in per_chat.values())
        for chat_id, indices in per_chat.items():
            assert sorted(set(indices)) == list(range(expected)), chat_id  # nothing skipped
        duplicates = sum(len(v) - len(set(v)) for v in per_chat.values())
        assert duplicates == 0  # recorded parts are never re-sent; the killed one was never sent
        assert len(adapter.sent) > crashed_at
    finally:
        await restarted.close()


async def test_blocked_chat_is_paused_and_not_retried(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter(unavailable={"chat-0": "bot was blocked by the user"})
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _subscribe(core, 2)
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        results = await scheduler.catch_up()
        assert results == {"sub:1": "unavailable", "sub:2": "sent"}
        sub = await core.store.subscriptions.get(1)
        assert sub is not None and sub.paused_reason == "bot was blocked by the user"
        assert await scheduler.run_subscription(1) == "paused"
        assert await scheduler.catch_up() == {}
        assert adapter.attempts.count("chat-0") == 1
    finally:
        await core.close()


async def test_many_chats_cost_one_rss_request(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _subscribe(core, 40)
        await scheduler_at(core, AT_8_UTC + timedelta(minutes=1)).catch_up()
        assert len([r for r in arxiv.requests if r.path.startswith("/rss")]) == 1
        assert len({cid for cid, _, _ in adapter.sent}) == 40
    finally:
        await core.close()


async def test_arxiv_outage_posts_no_empty_digest_and_warns_once_past_grace(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path, arxiv_retries=0)
    try:
        await _subscribe(core, 1)
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        clock = core.clock
        arxiv.faults.extend(["503"] * 5)
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "retry_scheduled"
        assert adapter.sent == []
        clock.now = AT_8_UTC + timedelta(hours=12, minutes=1)
        arxiv.faults.extend(["503"] * 5)
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "arxiv_failed"
        arxiv.faults.extend(["503"] * 5)
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "arxiv_failed"
        assert len(adapter.sent) == 1 and "arXiv did not answer" in adapter.sent[0][2]
    finally:
        await core.close()


async def test_subscription_changes_rebuild_jobs_without_restart(arxiv: FakeArxiv, tmp_path: Path) -> None:
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        scheduler = scheduler_at(core, AT_8_UTC)
        await scheduler.start(catch_up=False)
        chat = ChatRef("console", "g", "group")
        reply = await core.dispatcher.dispatch_line("/subscribe llm 06:45 Asia/Tokyo", user_id="u", chat=chat,
                                                    can_admin=True)
        assert scheduler.has_job("sub:1"), reply
        nxt = scheduler.next_run_time("sub:1")
        assert nxt is not None and nxt.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") == "06:45"
        await core.dispatcher.dispatch_line("/unsubscribe llm", user_id="u", chat=chat, can_admin=True)
        assert not scheduler.has_job("sub:1")
        await scheduler.stop()
    finally:
        await core.close()


@pytest.mark.parametrize(("zone", "at", "days"), [
    ("Europe/Berlin", time(8, 0), (0, 1, 2, 3, 4)),
    ("Asia/Shanghai", time(8, 0), (0, 1, 2, 3, 4, 5)),  # 08:00 CST is 19:00/20:00 ET the evening before
    ("America/New_York", time(21, 0), (0, 1, 2, 3, 6)),  # after the 20:00 announcement: same evening
])
def test_default_days_are_the_runs_after_an_announcement(zone: str, at: time, days: tuple[int, ...]) -> None:
    from bot.arxiv.calendar import default_weekdays

    assert default_weekdays(at, zone) == days


async def test_changing_the_chat_time_zone_moves_its_jobs_without_restart(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    try:
        scheduler = scheduler_at(core, AT_8_UTC)
        await scheduler.start(catch_up=False)
        chat = ChatRef("console", "g", "group")
        await core.dispatcher.dispatch_line("/subscribe llm 07:30 UTC", user_id="u", chat=chat, can_admin=True)
        await core.dispatcher.dispatch_line("/settings timezone Asia/Tokyo", user_id="u", chat=chat, can_admin=True)
        nxt = scheduler.next_run_time("sub:1")
        assert nxt is not None and nxt.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") == "07:30"
        await scheduler.stop()
    finally:
        await core.close()
