"""A locked or full database: the user is told what happened, and nothing changes.

The lock is held the way another process would hold it (``BEGIN IMMEDIATE`` on its own
sqlite connection); "full" is SQLite's own ``max_page_count`` limit on the bot's database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import time

import pytest

from bot.models import ChatRef
from bot.replies import Error, Text
from bot.store.db import StorageFull
from tests.conftest import ConsoleBot

GROUP = ChatRef("console", "lab-group", "group")


@pytest.fixture
def other_writer(bot: ConsoleBot) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the write lock."""
    conn = sqlite3.connect(bot.core.store.db.path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.rollback()
        conn.close()


async def test_a_write_locked_by_another_connection_says_busy_and_changes_nothing(
    bot: ConsoleBot, other_writer: sqlite3.Connection,
) -> None:
    said = await bot.say("/subscribe virtual-humans 07:30", chat=GROUP)
    assert isinstance(said.reply, Error)
    assert "storage is busy" in said.text and "nothing was changed" in said.text
    assert "something went wrong" not in said.text
    other_writer.rollback()
    assert await bot.core.store.subscriptions.count() == 0


async def test_a_lock_released_soon_is_waited_for(bot: ConsoleBot, other_writer: sqlite3.Connection) -> None:
    asyncio.get_running_loop().call_later(0.5, other_writer.rollback)
    said = await bot.say("/subscribe virtual-humans 07:30", chat=GROUP)
    assert isinstance(said.reply, Text) and said.text.startswith("Subscribed to virtual-humans")
    assert await bot.core.store.subscriptions.count() == 1


async def test_a_full_database_says_full_and_changes_nothing(bot: ConsoleBot) -> None:
    db, subs = bot.core.store.db, bot.core.store.subscriptions
    async with db.write() as conn:
        pages = (await (await conn.execute("PRAGMA page_count")).fetchone())[0]
        await conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageFull):  # fill the tables a subscription is written to
        for n in range(10_000):
            await subs.upsert(ChatRef("console", f"{n:03d}", "group"), "virtual-humans", time(8), "UTC")
    before = await subs.count()

    said = await bot.say("/subscribe virtual-humans 07:30", chat=GROUP)
    assert isinstance(said.reply, Error)
    assert "storage is full" in said.text and "nothing was changed" in said.text
    assert await subs.count() == before
