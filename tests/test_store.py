"""The SQLite store: migrations, single writer, idempotent delivery records."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, time
from pathlib import Path

import pytest

from bot.models import ChatRef, Paper
from bot.store import Store
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION

CHAT = ChatRef("telegram", "-100", "group")


async def test_empty_database_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "new.db") as store:
        assert await store.db.schema_version() == SCHEMA_VERSION
        mode = await store.db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"


async def test_database_from_an_older_version_upgrades_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO chats (platform, chat_id, kind, created_at) VALUES ('telegram', '-100', 'group', 'x')")
    conn.execute("""INSERT INTO subscriptions (platform, chat_id, topic, at_time, timezone, weekdays, created_at)
                    VALUES ('telegram', '-100', 'llm', '08:00', 'UTC', 'mon,tue', 'x')""")
    conn.commit()
    conn.close()
    async with await Store.open(path) as store:
        assert await store.db.schema_version() == SCHEMA_VERSION
        subs = await store.subscriptions.all()
        assert [s.topic for s in subs] == ["llm"]
        await store.filters.add("telegram", "1", "include", "llm")  # a table from migration 2 works


async def test_newer_database_is_refused_rather_than_damaged(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        await Store.open(path)


async def test_paper_keeps_the_latest_version_only(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "p.db") as store:
        await store.papers.upsert([Paper("2407.19593", 2, "v2 title", ("A",), "abs")])
        await store.papers.upsert([Paper("2407.19593", 1, "v1 title", ("A",), "abs")])
        paper = await store.papers.get("2407.19593")
        assert paper is not None and paper.version == 2 and paper.title == "v2 title"
        assert await store.papers.count() == 1


async def test_concurrent_writers_do_not_hit_database_locked(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "w.db") as store:
        async def subscribe(i: int) -> None:
            await store.subscriptions.upsert(ChatRef("telegram", str(i), "group"), "llm", time(8), "UTC")

        await asyncio.gather(*(subscribe(i) for i in range(200)))
        assert await store.subscriptions.count() == 200


async def test_planning_a_digest_twice_returns_the_first_plan(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        first = await store.deliveries.plan("sub:1", date(2024, 7, 5), "telegram", "-100", ["a", "b"])
        second = await store.deliveries.plan("sub:1", date(2024, 7, 5), "telegram", "-100", ["c"])
        assert second.id == first.id and second.paper_ids == ("a", "b")
        await store.deliveries.record_part(first.id, 0, ["m1"])
        again = await store.deliveries.get("sub:1", date(2024, 7, 5))
        assert again is not None and again.sent_parts == {0}


async def test_pausing_a_chat_keeps_its_subscriptions(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "c.db") as store:
        await store.subscriptions.upsert(CHAT, "llm", time(8), "UTC")
        assert await store.chats.pause("telegram", "-100", "bot was blocked") == 1
        subs = await store.subscriptions.all()
        assert len(subs) == 1 and subs[0].paused_reason == "bot was blocked"
        assert await store.subscriptions.all(include_paused=False) == []
        await store.chats.resume("telegram", "-100")
        assert (await store.subscriptions.all())[0].paused_reason is None


async def test_migrated_group_keeps_its_subscriptions(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "m.db") as store:
        await store.subscriptions.upsert(CHAT, "llm", time(8), "UTC")
        await store.chats.update(CHAT, language="zh")
        await store.chats.migrate("telegram", "-100", "-100200")
        subs = await store.subscriptions.all()
        assert [(s.chat.chat_id, s.topic) for s in subs] == [("-100200", "llm")]
        settings = await store.chats.settings(ChatRef("telegram", "-100200", "group"))
        assert settings.language == "zh"


async def test_migrated_group_keeps_its_own_topics(tmp_path: Path) -> None:
    from bot.models import Topic

    async with await Store.open(tmp_path / "t.db") as store:
        await store.custom_topics.save(Topic("heads", "heads", ("cs.CV",), "avatar", owner="telegram:-100"))
        await store.subscriptions.upsert(CHAT, "heads", time(8), "UTC")
        await store.chats.migrate("telegram", "-100", "-100200")
        assert [t.owner for t in await store.custom_topics.all()] == ["telegram:-100200"]


async def test_import_refuses_empty_weekdays_and_bad_topic_names(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from bot.transfer import import_all

    record = {"platform": "telegram", "chat_id": "1", "topic": "llm", "at_time": "08:00", "timezone": "UTC",
              "weekdays": ""}
    async with await Store.open(tmp_path / "i.db") as store:
        for bad in ({**record}, {**record, "weekdays": "mon", "topic": "Bad Name!"}):
            with pytest.raises(ValidationError):
                await import_all(store, {"subscriptions": [bad]})
        assert await store.subscriptions.count() == 0
