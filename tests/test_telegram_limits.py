"""Telegram's flood limits, kept by our limiter and checked by the fake Bot API's own enforcement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.adapters.telegram.lifecycle import bot_api_root
from bot.adapters.telegram.limiter import FloodLimiter
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _bot(fake: FakeTelegram, limiter: FloodLimiter) -> ExtBot[int]:
    api = bot_api_root(fake.api_url)
    bot: ExtBot[int] = ExtBot(fake.token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot",
                               rate_limiter=limiter)
    await bot.initialize()
    return bot


async def test_a_busy_group_and_many_others_at_once_get_no_429(fake: FakeTelegram) -> None:
    fake.group_rate, fake.group_period = 3, 1.0  # a short window, so the test fills it quickly
    busy, others = -100900, [-100901 - i for i in range(40)]
    for chat in (busy, *others):
        fake.group(chat)
    bot = await _bot(fake, FloodLimiter(group_max=3, group_period=1.1))
    try:
        async def to_busy() -> None:
            for n in range(8):
                await bot.send_message(busy, f"part {n}")

        await asyncio.gather(to_busy(), *(bot.send_message(chat, "digest") for chat in others))
    finally:
        await bot.shutdown()
    assert fake.rate_limited == []
    assert [m.plain for m in fake.messages_to(busy)] == [f"part {n}" for n in range(8)]
    assert len(fake.sent) == 48


async def test_the_group_table_forgets_groups_whose_window_is_over() -> None:
    """No scan of every group per request: quiet groups leave the table as new ones arrive."""
    now = [0.0]
    limiter = FloodLimiter(clock=lambda: now[0])

    async def send() -> bool:
        now[0] += 0.5  # one message every half second, each to a new group
        return True

    for i in range(1_000):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": -100 - i}, None)
    assert limiter.tracked_groups <= 61 / 0.5 + 1


async def test_telegram_flood_control_pauses_every_request_then_retries(fake: FakeTelegram) -> None:
    fake.global_rate = 5  # far below what the limiter aims for: the fake answers 429, retry after 1 s
    chats = [-100800 - i for i in range(12)]
    for chat in chats:
        fake.channel(chat)
    bot = await _bot(fake, FloodLimiter())
    try:
        await asyncio.gather(*(bot.send_message(chat, "digest") for chat in chats))
    finally:
        await bot.shutdown()
    assert fake.rate_limited, "the fake really refused some"
    assert sorted(m.chat_id for m in fake.sent) == sorted(chats)


async def test_sends_held_on_the_way_and_arriving_together_get_no_429(fake: FakeTelegram) -> None:
    """A stall lets a backlog reach Telegram together with the next second's sends.

    Pacing by when requests leave put 32 into one second at the fake; counting what is
    still in flight keeps any second at 30, however long the held ones take.
    """
    chats = [-100700 - i for i in range(60)]
    for chat in chats:
        fake.channel(chat)
    fake.hold_next(20, until=12)  # the first 20 arrive only with the 12 sends that follow them
    bot = await _bot(fake, FloodLimiter())
    try:
        await asyncio.gather(*(bot.send_message(chat, "digest") for chat in chats))
    finally:
        await bot.shutdown()
    assert fake.rate_limited == []
    assert fake.busiest_second <= 30
    assert sorted(m.chat_id for m in fake.sent) == sorted(chats)


async def test_concurrent_sends_to_one_group_held_on_the_way_stay_within_its_window(fake: FakeTelegram) -> None:
    """A digest and replies to one group at once: each takes its place in the group's window first."""
    fake.group_rate, fake.group_period = 3, 1.0  # a short window, so the test fills it quickly
    busy = -100600
    fake.group(busy)
    fake.hold_next(2, until=1)
    bot = await _bot(fake, FloodLimiter(group_max=3, group_period=1.0))
    try:
        await asyncio.gather(*(bot.send_message(busy, f"part {n}") for n in range(7)))
    finally:
        await bot.shutdown()
    assert fake.rate_limited == []
    assert sorted(m.plain for m in fake.messages_to(busy)) == [f"part {n}" for n in range(7)]


async def test_sends_cancelled_timed_out_or_refused_give_their_places_back(fake: FakeTelegram) -> None:
    """A send that fails, times out or is cancelled (a shutdown) still frees its place in the windows.

    Were one place leaked per such send, the overall window (30) would be full of ghosts
    after these 90, and the sends that follow would wait forever.
    """
    held, gone, good = ([-100500 - i for i in range(30)], [-100540 - i for i in range(30)],
                        [-100580 - i for i in range(40)])
    for chat in (*held, *good):
        fake.channel(chat)
    fake.missing.update(gone)  # "chat not found": ChatUnavailable higher up
    bot = await _bot(fake, FloodLimiter())
    try:
        async with asyncio.timeout(60):  # a leak shows as a wait that never ends
            fake.hold_next(30, until=10_000, timeout=4.0)  # all 30 leave within a second; none is answered
            timed_out = await asyncio.gather(
                *(asyncio.wait_for(bot.send_message(chat, "late"), 2.0) for chat in held), return_exceptions=True)
            assert all(isinstance(r, TimeoutError) for r in timed_out), timed_out
            cancelled = [asyncio.ensure_future(bot.send_message(chat, "shutdown")) for chat in good[:30]]
            await asyncio.sleep(0)
            for task in cancelled:
                task.cancel()
            refused = await asyncio.gather(*(bot.send_message(chat, "nobody") for chat in gone),
                                           return_exceptions=True)
            assert all(isinstance(r, BadRequest) for r in refused), refused
            await asyncio.gather(*cancelled, return_exceptions=True)
            await asyncio.gather(*(bot.send_message(chat, "digest") for chat in good))
    finally:
        await bot.shutdown()
    assert sorted(m.chat_id for m in fake.sent if m.plain == "digest") == sorted(good)
