"""Delivery keeps its promises when things go wrong: retries, resumes, concurrent runs, early feeds."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.models import ChatRef
from bot.ports import OnSent
from bot.replies import Digest, Reply
from tests.conftest import ConsoleBot, core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import Killed, RecordingAdapter

LISTING = date(2026, 11, 20)
AT_8_UTC = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class FlakyAdapter(RecordingAdapter):
    """Loses the network once after ``fail_after`` messages, like a dropped connection mid-digest."""

    fail_after: int | None = None

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        async def counting(index: int, message_id: str) -> None:
            if on_sent is not None:
                await on_sent(index, message_id)
            if self.fail_after is not None and len(self.sent) >= self.fail_after:
                self.fail_after = None
                raise ConnectionError("network down")

        return await super().send(chat, reply, skip=skip, on_sent=counting)


async def test_network_error_mid_digest_is_retried_and_resumes_where_it_stopped(arxiv: FakeArxiv,
                                                                                 tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = FlakyAdapter()
    adapter.fail_after = 2
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await core.store.subscriptions.upsert(ChatRef("console", "g", "group"), "virtual-humans", time(8), "UTC")
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "retry_scheduled"
        job = scheduler.scheduler.get_job("retry:sub:1")
        assert job is not None and asyncio.iscoroutinefunction(job.func)  # APScheduler awaits it
        assert await job.func(*job.args, **job.kwargs) == "sent"
        indices = adapter.messages_for("g")
        assert indices == list(range(len(indices))) and len(indices) > 2  # resumed, nothing twice
    finally:
        await core.close()


async def test_two_runs_of_the_same_digest_at_once_send_it_once(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await core.store.subscriptions.upsert(ChatRef("console", "g", "group"), "virtual-humans", time(8), "UTC")
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        outcomes = await asyncio.gather(scheduler.run_subscription(1, scheduled=AT_8_UTC),
                                        scheduler.run_subscription(1, scheduled=AT_8_UTC))
        assert sorted(outcomes) == ["already_sent", "sent"]
        indices = adapter.messages_for("g")
        assert len(indices) == len(set(indices))
    finally:
        await core.close()


async def test_a_new_subscription_never_inherits_a_removed_ones_digest(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        a = await core.store.subscriptions.upsert(ChatRef("console", "a", "group"), "virtual-humans", time(8), "UTC")
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        assert await scheduler.run_subscription(a.id, scheduled=AT_8_UTC) == "sent"
        await core.store.subscriptions.remove(ChatRef("console", "a", "group"), None)
        b = await core.store.subscriptions.upsert(ChatRef("console", "b", "group"), "virtual-humans", time(8), "UTC")
        assert b.id != a.id
        assert await scheduler.run_subscription(b.id, scheduled=AT_8_UTC) == "sent"
        assert adapter.messages_for("b")
    finally:
        await core.close()


async def test_reading_before_arxiv_rebuilt_its_feed_asks_the_api_instead_of_declaring_a_holiday(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    # 21:00 ET on Thursday: the announcement happened at 20:00, but the RSS still shows Thursday's listing.
    arxiv.day = LISTING - timedelta(days=1)
    moment = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    core.clock.set(moment)  # type: ignore[attr-defined]
    try:
        day = await core.listings.latest_day(["cs.CV"])
        assert day.day == LISTING and not day.no_announcement
        assert any(r.path.startswith("/api/") and "submittedDate" in r.query.get("search_query", "")
                   for r in arxiv.requests)
        assert not any(r.path.startswith("/rss/") for r in arxiv.requests)  # it cannot show the listing yet
    finally:
        await core.close()


async def test_a_rebuilt_feed_without_the_expected_listing_means_a_holiday(arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING - timedelta(days=1)  # the feed, rebuilt on the 20th, still shows the 19th
    moment = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    core.clock.set(moment)  # type: ignore[attr-defined]
    try:
        day = await core.listings.latest_day(["cs.CV"])
        assert day.day == LISTING and day.no_announcement
        assert not any("submittedDate" in r.query.get("search_query", "") for r in arxiv.requests)
        assert arxiv.api_requests() == []  # the stale feed is not enriched: one RSS request in all
    finally:
        await core.close()


async def test_a_scheduled_digest_gives_each_paper_the_reason_digest_gives_even_when_resumed(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    arxiv.day = LISTING
    chat = ChatRef("console", "g", "group")
    dying = RecordingAdapter(crash_after=1)
    core = await core_with(dying, arxiv, tmp_path)
    try:
        await core.store.subscriptions.upsert(chat, "virtual-humans", time(8), "UTC")
        with pytest.raises(Killed):  # planned, one message out, then the process dies
            await scheduler_at(core, AT_8_UTC + timedelta(minutes=1)).run_subscription(1, scheduled=AT_8_UTC)
    finally:
        await core.close()
    resumed = RecordingAdapter()
    core = await core_with(resumed, arxiv, tmp_path)
    try:
        scheduler = scheduler_at(core, AT_8_UTC + timedelta(minutes=1))
        assert await scheduler.run_subscription(1, scheduled=AT_8_UTC) == "sent"
        plan = await core.store.deliveries.get("sub:1", LISTING)
        assert plan is not None and plan.reasons and all(r and r.startswith("matched: ") for r in plan.reasons)
        said = await ConsoleBot(core).say("/digest virtual-humans all", chat=chat)
        assert isinstance(said.reply, Digest)
        by_digest = {e.paper.id: e.reason for e in said.reply.entries}
        posted = "\n".join(text for _, _, text in [*dying.sent, *resumed.sent])
        assert [by_digest[pid] for pid in plan.paper_ids] == list(plan.reasons)
        assert all(reason in posted for reason in plan.reasons)
    finally:
        await core.close()
