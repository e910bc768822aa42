"""The group reading list through the console, against the fake arXiv: /save, /reading, /read and the cap."""

from __future__ import annotations

from bot.core import Core
from bot.models import ChatRef, Paper
from bot.replies import Error, Text
from tests.conftest import ConsoleBot

GROUP = ChatRef("console", "journal-club", "group")


async def test_saved_papers_are_listed_with_who_saved_them_and_read_ones_move_aside(bot: ConsoleBot) -> None:
    saved = await bot.say("/save 2407.02165", chat=GROUP, user="alice")
    assert isinstance(saved.reply, Text) and "2407.02165" in saved.text
    await bot.say("/save https://arxiv.org/abs/2407.21002v1", chat=GROUP, user="bob")
    await bot.say("/save 2407.02165", chat=GROUP, user="carol")  # a second member: joins, one entry
    listed = (await bot.say("/reading", chat=GROUP)).text
    assert "2 unread" in listed and listed.count("2407.02165") == 1
    assert "saved by alice, carol on 2026-11-20" in listed and "saved by bob" in listed

    assert "Marked 2407.02165 as read" in (await bot.say("/read 2407.02165", chat=GROUP, user="bob")).text
    unread = (await bot.say("/reading", chat=GROUP)).text
    assert "2407.02165" not in unread and "2407.21002" in unread
    done = (await bot.say("/reading done", chat=GROUP)).text
    assert "2407.02165" in done and "read on 2026-11-20" in done
    assert "already marked read" in (await bot.say("/read 2407.02165", chat=GROUP)).text
    assert "Removed 1 read" in (await bot.say("/reading clear", chat=GROUP)).text
    assert "No paper" in (await bot.say("/reading done", chat=GROUP)).text


async def test_saving_twice_changes_nothing(bot: ConsoleBot, core: Core) -> None:
    await bot.say("/save 2407.02165", chat=GROUP, user="alice")
    again = await bot.say("/save 2407.02165", chat=GROUP, user="alice")
    assert "already saved" in again.text
    entries = await core.store.reading.entries(GROUP.key)
    assert [(e.paper_id, e.savers) for e in entries] == [("2407.02165", ("alice",))]


async def test_an_unknown_or_malformed_id_is_refused_and_stores_nothing(bot: ConsoleBot, core: Core) -> None:
    unknown = await bot.say("/save 2407.99999", chat=GROUP)
    assert "arXiv has no paper 2407.99999" in unknown.text
    malformed = await bot.say("/save not-an-id", chat=GROUP)
    assert isinstance(malformed.reply, Error)
    assert isinstance((await bot.say("/save", chat=GROUP)).reply, Error)
    assert await core.store.reading.entries(GROUP.key, None) == []
    assert "not on this chat's reading list" in (await bot.say("/read 2407.02165", chat=GROUP)).text
    assert "empty" in (await bot.say("/reading", chat=GROUP)).text


async def test_a_full_reading_list_refuses_the_next_paper_with_a_clear_message(bot: ConsoleBot, core: Core) -> None:
    core.reading.cap = 2
    await bot.say("/save 2407.02165", chat=GROUP)
    await bot.say("/save 2407.21002", chat=GROUP)
    full = await bot.say("/save 2407.03204", chat=GROUP)
    assert isinstance(full.reply, Error) and "full (2 papers)" in full.text and "/reading clear" in full.text
    assert [e.paper_id for e in await core.store.reading.entries(GROUP.key)] == ["2407.02165", "2407.21002"]
    assert "already saved" in (await bot.say("/save 2407.02165", chat=GROUP)).text, "a saved paper is not refused"
    await bot.say("/read 2407.02165", chat=GROUP)
    await bot.say("/reading clear", chat=GROUP)
    assert "Saved" in (await bot.say("/save 2407.03204", chat=GROUP)).text


async def test_a_long_reading_list_is_paged(bot: ConsoleBot, core: Core) -> None:
    papers = [Paper(f"2408.{n:05d}", 1, f"Paper number {n}", ("A. Author",), "abstract") for n in range(1, 13)]
    await core.store.papers.upsert(papers)
    for paper in papers:
        await core.store.reading.save(GROUP.key, paper.id, "console:alice", None, None)
    first = (await bot.say("/reading", chat=GROUP)).text
    assert "Page 1 of 2" in first and "/reading 2" in first and "2408.00011" not in first
    second = (await bot.say("/reading 2", chat=GROUP)).text
    assert "2408.00011" in second and "2408.00001" not in second
