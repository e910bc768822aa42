"""The weekly group picks: posted once at its time from the scheduler tick, never again after a restart,
caught up when the bot was down at that minute, and nothing at all when a chat has not turned it on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.core import Core
from bot.models import ChatRef
from tests.conftest import core_with, scheduler_at
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.recording import RecordingAdapter

CLUB = ChatRef("console", "club", "group")
TARGET = "picks:console:club"
FRIDAY_17_BERLIN = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # NOW is Friday 2026-11-20, 12:00 UTC


async def _week_of_taste(core: Core, picks: str | None = "/picks on fri 17:00 Europe/Berlin") -> None:
    say = core.dispatcher.dispatch_line
    if picks:
        await say(picks, user_id="admin", chat=CLUB, can_admin=True)
    for user in ("alice", "bob"):
        await say("/like 2407.02165", user_id=user, chat=CLUB, can_admin=False)
        await say("/save 2407.21002", user_id=user, chat=CLUB, can_admin=False)
    await say("/like 2407.21002", user_id="carol", chat=CLUB, can_admin=False)


async def test_weekly_picks_are_posted_once_at_their_time_and_not_again_after_a_restart(
        arxiv: FakeArxiv, tmp_path: Path) -> None:
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _week_of_taste(core)
        scheduler = scheduler_at(core, datetime(2026, 11, 20, 15, 59, 30, tzinfo=UTC))
        assert await scheduler.tick() == {}, "not before its minute"
        scheduler_at(core, datetime(2026, 11, 20, 16, 0, 30, tzinfo=UTC))
        assert await scheduler.tick() == {TARGET: "sent"}
        assert await scheduler.tick() == {}
    finally:
        await core.close()
    [(chat_id, _, text)] = adapter.sent
    assert chat_id == "club" and "Group picks, the week to 2026-11-20" in text
    liked, saved = text.split("Most saved:")
    assert liked.index("2407.02165 · 👍 2") < liked.index("2407.21002 · 👍 1")
    assert "2407.21002 · 🔖 2" in saved

    restarted = await core_with(adapter, arxiv, tmp_path)  # the same database, a new process
    try:
        scheduler = scheduler_at(restarted, datetime(2026, 11, 20, 16, 5, tzinfo=UTC))
        await scheduler.rebuild()
        assert await scheduler.catch_up() == {TARGET: "already_sent"}
    finally:
        await restarted.close()
    assert len(adapter.sent) == 1


async def test_picks_missed_while_the_bot_was_down_are_caught_up_once(arxiv: FakeArxiv, tmp_path: Path) -> None:
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _week_of_taste(core)
    finally:
        await core.close()
    back = await core_with(adapter, arxiv, tmp_path)  # down at 17:00 Berlin, back half an hour later
    try:
        scheduler = scheduler_at(back, datetime(2026, 11, 20, 16, 30, tzinfo=UTC))
        await scheduler.rebuild()
        assert await scheduler.catch_up() == {TARGET: "sent"}
        assert await scheduler.catch_up() == {TARGET: "already_sent"}
    finally:
        await back.close()
    assert len(adapter.sent) == 1


async def test_no_picks_are_posted_when_off(arxiv: FakeArxiv, tmp_path: Path) -> None:
    adapter = RecordingAdapter()
    core = await core_with(adapter, arxiv, tmp_path)
    try:
        await _week_of_taste(core, picks=None)  # never turned on
        scheduler = scheduler_at(core, datetime(2026, 11, 20, 16, 0, 30, tzinfo=UTC))
        assert await scheduler.tick() == {}
        await _week_of_taste(core)
        off = await core.dispatcher.dispatch_line("/picks off", user_id="admin", chat=CLUB, can_admin=True)
        assert "off" in getattr(off, "text", "")
        scheduler_at(core, datetime(2026, 11, 27, 16, 0, 30, tzinfo=UTC))
        assert await scheduler.tick() == {} and await scheduler.catch_up() == {}
    finally:
        await core.close()
    assert adapter.sent == []


async def test_picks_need_an_admin_in_a_group(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core = await core_with(RecordingAdapter(), arxiv, tmp_path)
    try:
        said = await core.dispatcher.dispatch_line("/picks on", user_id="m", chat=CLUB, can_admin=False)
        assert "admins" in getattr(said, "text", "")
        assert await core.picks.schedules() == []
    finally:
        await core.close()
