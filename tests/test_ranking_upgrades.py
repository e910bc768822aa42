"""Votes made before the ranking models existed (a database upgraded through migration 14) still
invalidate the running bot's cached profile when they are taken back, reset or moved."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core import Core
from bot.models import ChatRef
from bot.store import Store
from bot.store.migrations import MIGRATIONS
from bot.topics.profiles import chat_audience
from tests.conftest import ConsoleBot
from tests.test_feedback_commands import _order

AUDIENCE = "chat:telegram:-100"


def _database_at_13_with_a_vote_and_a_follow(path: Path) -> None:
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:13], start=1):
        conn.executescript(f"{script}\nPRAGMA user_version = {number};")
    conn.execute("INSERT INTO feedback (audience, paper_id, user, value, at) "
                 f"VALUES ('{AUDIENCE}', '2407.03204', 'telegram:7', 1, '2026-11-01T08:00:00+00:00')")
    conn.execute("INSERT INTO followed_authors (audience, name, key, created_by, at) "
                 f"VALUES ('{AUDIENCE}', 'Ada Lovelace', 'ada lovelace', 'telegram:7', '2026-11-01T08:00:00+00:00')")
    conn.commit()
    conn.close()


async def test_taking_back_a_vote_from_before_the_upgrade_changes_the_revision(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _database_at_13_with_a_vote_and_a_follow(path)
    async with await Store.open(path) as store:
        before = await store.feedback.revision(AUDIENCE)
        await store.feedback.unvote([AUDIENCE], "telegram:7", "2407.03204")
        assert await store.feedback.votes(AUDIENCE) == {}
        assert await store.feedback.revision(AUDIENCE) != before  # else the cached profile keeps the vote


async def test_unfollowing_an_author_followed_before_the_upgrade_changes_the_revision(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _database_at_13_with_a_vote_and_a_follow(path)
    async with await Store.open(path) as store:
        before = await store.feedback.revision(AUDIENCE)
        assert await store.feedback.unfollow(AUDIENCE, "ada lovelace")
        assert await store.feedback.revision(AUDIENCE) != before


async def test_a_reset_of_votes_from_before_the_upgrade_changes_the_revision(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _database_at_13_with_a_vote_and_a_follow(path)
    async with await Store.open(path) as store:
        before = await store.feedback.revision(AUDIENCE)
        assert await store.feedback.reset(AUDIENCE) == 1
        assert await store.feedback.revision(AUDIENCE) != before


async def test_a_group_that_becomes_a_supergroup_keeps_its_votes_follows_and_model(bot: ConsoleBot, core: Core) -> None:
    core.profiles.train_delay = 3600.0
    group, supergroup = ChatRef("console", "lab-group", "group"), ChatRef("console", "lab-supergroup", "group")
    before = await _order(bot, group)
    await bot.say(f"/like {before[-1]}", chat=group)
    await bot.say("/follow add Ada Lovelace", chat=group)
    liked = await _order(bot, group)
    assert liked != before
    trained = core.profiles.trained
    await core.host.chat_migrated(group, supergroup.chat_id)
    new, old = chat_audience("console", supergroup.chat_id), chat_audience("console", group.chat_id)
    assert list(await core.store.feedback.votes(new)) == [before[-1]]
    assert await core.store.feedback.followed(new) == ["Ada Lovelace"]
    assert await core.store.feedback.votes(old) == {}
    assert await _order(bot, supergroup) == liked
    assert core.profiles.trained == trained  # the stored model moved with the votes
