"""kill -9 in the middle of a fan-out: the restart finishes the rest and re-sends nothing done.

Real processes, real Telegram wire protocol: ``paperbot run`` against the fake Bot API,
killed with SIGKILL while the morning's digests are going out, then started again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.arxiv.calendar import listing_day_for
from bot.models import ChatRef
from bot.store import Store
from tests.conftest import NOW
from tests.e2e_telegram import TOKEN, start_paperbot
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.base import ThreadedFake
from tests.fakes.telegram import FakeTelegram

CHATS = [-1002000000000 - i for i in range(20)]


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeArxiv]]:
    with ThreadedFake(FakeTelegram(token=TOKEN)) as telegram, ThreadedFake(FakeArxiv()) as arxiv:
        yield telegram, arxiv


async def _subscribe(db: Path, at: datetime) -> None:
    async with await Store.open(db) as store:
        for chat_id in CHATS:
            await store.subscriptions.upsert(ChatRef("telegram", str(chat_id), "channel"), "virtual-humans",
                                             at.time().replace(second=0, microsecond=0), "UTC",
                                             weekdays=(0, 1, 2, 3, 4, 5, 6))


def _texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in telegram.messages_to(chat_id)]


def test_restart_after_kill_9_finishes_the_fanout_without_duplicates(
        fakes: tuple[FakeTelegram, FakeArxiv], tmp_path: Path) -> None:
    telegram, arxiv = fakes
    due = NOW - timedelta(minutes=30)  # the bot's clock starts at NOW
    arxiv.day = listing_day_for(due)
    for chat_id in CHATS:
        telegram.channel(chat_id)
    asyncio.run(_subscribe(tmp_path / "paperbot.db", due))

    first = start_paperbot(telegram, arxiv.url, tmp_path)
    telegram.wait_sent(12, timeout=60)
    first.proc.kill()  # SIGKILL: no shutdown code runs
    first.proc.wait(10)
    at_kill = {chat_id: Counter(_texts(telegram, chat_id)) for chat_id in CHATS}
    sent_at_kill = sum(sum(c.values()) for c in at_kill.values())

    second = start_paperbot(telegram, arxiv.url, tmp_path)
    try:
        deadline = time.monotonic() + 90
        expected, total, quiet_since = 0, -1, time.monotonic()
        while time.monotonic() < deadline:
            distinct = [len(set(_texts(telegram, c))) for c in CHATS]
            expected = max(distinct)
            if sum(distinct) != total:  # still sending: every chat can be equal halfway through a round
                total, quiet_since = sum(distinct), time.monotonic()
            elif min(distinct) == expected > 0 and time.monotonic() - quiet_since > 2.0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the restarted bot did not finish the fan-out")
    finally:
        assert second.stop() == 0
    assert sent_at_kill < expected * len(CHATS), "the kill came too late to test anything"
    assert any(0 < len(c) < expected for c in at_kill.values()) or any(not c for c in at_kill.values())
    for chat_id in CHATS:
        final = Counter(_texts(telegram, chat_id))
        assert len(final) == expected, chat_id  # nothing skipped
        repeated = sum(n - 1 for n in final.values())
        assert repeated <= 1, (chat_id, final)  # at most the one message in flight at the kill
        if len(at_kill[chat_id]) == expected:
            # Finished before the kill: the restart adds nothing, except that its last message may have
            # reached Telegram without being recorded (in flight at the kill) and be resent once.
            added = final - at_kill[chat_id]
            assert set(final) == set(at_kill[chat_id]) and sum(added.values()) <= 1, (chat_id, final)
