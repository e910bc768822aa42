"""Closing the core stops the ranking worker cleanly: nothing of it is left running on the loop.

A shutdown can come in the middle of a fan-out's training, or seconds after a tap. A
training left pending when the loop closes is "Task was destroyed but it is pending"; one
that finishes later writes to a closed database.
"""

from __future__ import annotations

import asyncio
import threading

from bot.config import Settings
from bot.core import Core
from bot.models import ChatRef
from tests.conftest import ConsoleBot, ManualClock
from tests.test_feedback_commands import _order

GROUP = ChatRef("console", "lab-group", "group")


def _ranking_work() -> list[asyncio.Task[object]]:
    """Tasks of the ranking code still pending on this loop."""
    return [t for t in asyncio.all_tasks() if not t.done() and "Profiles." in t.get_coro().__qualname__]


async def test_closing_the_core_during_a_training_leaves_no_ranking_task_behind(
        settings: Settings, clock: ManualClock) -> None:
    async with await Core.create(settings, clock) as first:
        bot = ConsoleBot(first)
        before = await _order(bot)
        await bot.say(f"/like {before[-1]}", chat=GROUP)
    core = await Core.create(settings, clock)  # no model in memory: the digest trains one
    digest = asyncio.ensure_future(ConsoleBot(core).say("/digest virtual-humans all", chat=GROUP))
    async with asyncio.timeout(30):
        while not any("_load_or_train" in t.get_coro().__qualname__ for t in _ranking_work()):
            await asyncio.sleep(0.001)
    await core.close()
    assert _ranking_work() == []
    digest.cancel()  # the adapter that asked is stopped before the core in a real shutdown
    await asyncio.gather(digest, return_exceptions=True)


async def test_closing_the_core_right_after_a_vote_cancels_the_retraining_and_ignores_later_taps(
        settings: Settings, clock: ManualClock) -> None:
    core = await Core.create(settings, clock)
    bot = ConsoleBot(core)
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    assert core.profiles.pending
    await core.close()
    assert not core.profiles.pending and _ranking_work() == []
    core.profiles.changed(["chat:console:late"])  # a tap that raced the shutdown
    assert not core.profiles.pending


async def test_closing_the_core_during_a_background_retraining_leaves_no_task_and_no_thread(
        settings: Settings, clock: ManualClock) -> None:
    core = await Core.create(settings, clock)
    core.profiles.train_delay = 0  # the retraining starts at once instead of after a quiet spell
    bot = ConsoleBot(core)
    before = await _order(bot)
    await bot.say(f"/like {before[-1]}", chat=GROUP)
    await _order(bot)  # trains the chat's model in the topic's day: a later vote has something to retrain
    await bot.say(f"/like {before[-2]}", chat=GROUP)
    async with asyncio.timeout(30):
        while not any("retrain" in t.get_coro().__qualname__ for t in _ranking_work()):
            await asyncio.sleep(0.001)
    await core.close()
    assert _ranking_work() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ranking")], "the worker thread ended"
