"""Quotas and caps: one member cannot drain the shared model budget, nor flood a chat or the store.

Issue 10 measured, before: one member's ``/digest llm all`` made 91 model calls, 500
concurrent ``/filter add`` stored 500 filters against a limit of 50, and ``/topics``
with 2,000 topics made 511 messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram.render import render_messages
from bot.core import Core
from bot.models import ChatRef, Paper, Topic
from bot.replies import Error, Summary
from tests.conftest import NOW, ConsoleBot, core_with, scheduler_at, today_listing
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.clock import ManualClock
from tests.fakes.gemini import FakeGemini
from tests.fakes.recording import RecordingAdapter
from tests.summarizer_support import paper_from, records

GROUP = ChatRef("console", "lab", "group")
LLM_PAPERS = 91  # what the listing had for the llm topic


def llm_papers(n: int) -> list[Paper]:
    """``n`` distinct cs.CL papers about language models, built from a real record."""
    base = records()[0]
    return [
        paper_from(base, id=f"2611.{10000 + i}", version=1, title=f"Large Language Model Study {i}",
                   categories=("cs.CL",), primary_category="cs.CL")
        for i in range(n)
    ]


async def _gemini_core(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path, clock: ManualClock | None = None,
                       **overrides: Any) -> tuple[Core, RecordingAdapter]:
    papers = llm_papers(LLM_PAPERS)
    for paper in papers:
        arxiv.add(paper)
    arxiv.announce(today_listing(), [(p.id, "new") for p in papers])
    adapter = RecordingAdapter()
    values: dict[str, Any] = {"llm_backend": "gemini", "gemini_api_key": "test-gemini-key",
                              "gemini_base_url": gemini.url, "llm_requests_per_minute": 1000,
                              "llm_concurrency": 8}
    values.update(overrides)
    core = await core_with(adapter, arxiv, tmp_path, clock, **values)
    return core, adapter


@pytest.fixture
async def quota_core(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> AsyncIterator[Core]:
    core, _ = await _gemini_core(arxiv, gemini, tmp_path)
    try:
        yield core
    finally:
        await core.close()


async def test_one_members_digest_all_spends_at_most_their_quota(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    said = await bot.say("/digest llm all", chat=GROUP, user="mallory", admin=False)
    quota = quota_core.settings.quota_user_model_calls
    print(f"model calls by one member's /digest llm all: {gemini.calls}")
    assert gemini.calls <= quota
    assert f"{LLM_PAPERS - quota} more" in said.text and "quota" in said.text
    # The next user's /summarize still works: the shared budget was not drained.
    summary = await bot.say(f"/summarize {llm_papers(LLM_PAPERS)[-1].id}", chat=GROUP, user="bob", admin=False)
    assert not isinstance(summary.reply, Error), summary.text


async def test_a_member_over_quota_is_refused_before_any_model_call(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    await bot.say("/digest llm all", chat=GROUP, user="mallory", admin=False)
    spent = gemini.calls
    again = await bot.say(f"/summarize {llm_papers(LLM_PAPERS)[-1].id}", chat=GROUP, user="mallory", admin=False)
    assert isinstance(again.reply, Error) and "quota" in again.text and "00:00 UTC" in again.text
    assert "Traceback" not in again.text
    assert gemini.calls == spent, "nothing is spent for a refused command"


async def test_quota_message_is_in_the_chats_language(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    await quota_core.store.chats.update(GROUP, language="zh")
    await bot.say("/digest llm all", chat=GROUP, user="mallory", admin=False)
    again = await bot.say(f"/summarize {llm_papers(LLM_PAPERS)[-1].id}", chat=GROUP, user="mallory", admin=False)
    assert isinstance(again.reply, Error) and "额度" in again.text


async def test_admins_get_a_larger_quota(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    await bot.say("/digest llm all", chat=GROUP, user="ada", admin=True)
    settings = quota_core.settings
    assert settings.quota_user_model_calls < gemini.calls <= settings.quota_admin_model_calls


async def test_cached_summaries_cost_no_quota(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    await bot.say("/digest llm", chat=GROUP, user="ada", admin=True)  # the morning digest, cached now
    spent = gemini.calls
    for user in ("u1", "u2", "u3"):
        said = await bot.say("/digest llm", chat=GROUP, user=user, admin=False)
        assert "quota" not in said.text, said.text
    assert gemini.calls == spent


async def test_concurrent_digests_by_one_member_share_one_quota(quota_core: Core, gemini: FakeGemini) -> None:
    bot = ConsoleBot(quota_core)
    await asyncio.gather(*(bot.say("/digest llm all", chat=GROUP, user="mallory", admin=False) for _ in range(5)))
    assert gemini.calls <= quota_core.settings.quota_user_model_calls


async def test_a_chat_quota_bounds_many_members_together(arxiv: FakeArxiv, gemini: FakeGemini,
                                                         tmp_path: Path) -> None:
    core, _ = await _gemini_core(arxiv, gemini, tmp_path, quota_user_model_calls=10, quota_chat_model_calls=25)
    try:
        bot = ConsoleBot(core)
        for user in ("a", "b", "c", "d"):
            await bot.say("/digest llm all", chat=GROUP, user=user, admin=False)
        assert gemini.calls == 25
        other = await bot.say("/digest llm all", chat=ChatRef("console", "other", "group"), user="e", admin=False)
        assert not isinstance(other.reply, Error) and gemini.calls == 35
    finally:
        await core.close()


async def test_the_quota_renews_at_midnight_utc(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    core, _ = await _gemini_core(arxiv, gemini, tmp_path, clock, quota_user_model_calls=5)
    try:
        bot = ConsoleBot(core)
        ids = [p.id for p in llm_papers(LLM_PAPERS)]
        await bot.say("/digest llm all", chat=GROUP, user="mallory", admin=False)
        refused = await bot.say(f"/summarize {ids[-1]}", chat=GROUP, user="mallory", admin=False)
        assert isinstance(refused.reply, Error)
        clock.set(NOW.replace(hour=0) + timedelta(days=1, minutes=1))
        later = await bot.say(f"/summarize {ids[-1]}", chat=GROUP, user="mallory", admin=False)
        assert not isinstance(later.reply, Error), later.text
    finally:
        await core.close()


async def test_digest_all_shows_at_most_the_cap_and_says_how_to_see_the_rest(
    arxiv: FakeArxiv, tmp_path: Path,
) -> None:
    papers = llm_papers(LLM_PAPERS)
    for paper in papers:
        arxiv.add(paper)
    arxiv.announce(today_listing(), [(p.id, "new") for p in papers])
    core = await core_with(RecordingAdapter(), arxiv, tmp_path, digest_all_max_papers=40)
    try:
        bot = ConsoleBot(core)
        first = await bot.say("/digest llm all", chat=GROUP, user="ada")
        assert first.text.count("Large Language Model Study") == 40
        assert "Papers 1–40 of 91" in first.text and "/digest llm all 2" in first.text
        second = await bot.say("/digest llm all 2", chat=GROUP, user="ada")
        assert second.text.count("Large Language Model Study") == 40 and "/digest llm all 3" in second.text
        third = await bot.say("/digest llm all 3", chat=GROUP, user="ada")
        assert third.text.count("Large Language Model Study") == 11 and "all 4" not in third.text
    finally:
        await core.close()


async def test_500_concurrent_filter_adds_store_exactly_the_limit(bot: ConsoleBot) -> None:
    limit = bot.core.settings.max_filters_per_user
    said = await asyncio.gather(*(bot.say(f"/filter add keyword{i}", user="mallory") for i in range(500)))
    stored = await bot.core.store.filters.of_user("console", "mallory")
    print(f"filters stored by 500 concurrent adds: {len(stored)}")
    assert len(stored) == limit
    refused = [s for s in said if isinstance(s.reply, Error)]
    assert len(refused) == 500 - limit
    assert all(f"{limit} filters" in s.text for s in refused)


async def test_topics_are_capped_per_chat(bot: ConsoleBot) -> None:
    limit = bot.core.settings.max_topics_per_chat
    said = await asyncio.gather(*(bot.say(f"/topic add t{i} cs.CL llm", chat=GROUP) for i in range(limit + 20)))
    own = [t for t in await bot.core.topics.visible(GROUP.key) if t.owner == GROUP.key]
    assert len(own) == limit
    assert sum(isinstance(s.reply, Error) for s in said) == 20
    redefine = await bot.say("/topic add t0 cs.CV avatar", chat=GROUP)
    assert not isinstance(redefine.reply, Error), "changing an existing topic is not a new one"


async def test_subscriptions_are_capped_per_chat(bot: ConsoleBot) -> None:
    limit = bot.core.settings.max_subscriptions_per_chat
    for i in range(limit + 3):
        await bot.say(f"/topic add s{i} cs.CL llm", chat=GROUP)
    said = await asyncio.gather(*(bot.say(f"/subscribe s{i} 08:00", chat=GROUP) for i in range(limit + 3)))
    assert len(await bot.core.store.subscriptions.for_chat(GROUP)) == limit
    refused = [s for s in said if isinstance(s.reply, Error)]
    assert len(refused) == 3 and all(f"{limit} subscriptions" in s.text for s in refused)


async def test_topics_with_2000_topics_is_a_bounded_number_of_messages(bot: ConsoleBot) -> None:
    # Written past the cap on purpose: a database from before the caps may hold this many.
    for i in range(2000):
        await bot.core.store.custom_topics.save(Topic(name=f"topic-{i:04d}", title=f"Topic {i}", categories=("cs.CL",),
                                               expression="llm OR \"language model\"", owner="console:me"))
    chat = ChatRef("console", "me", "private")
    adapter = RecordingAdapter()  # a text platform of 700-character messages: 260 messages before paging
    said = await bot.say("/topics", chat=chat)
    await adapter.send(chat, said.reply)
    print(f"messages for /topics with 2000 topics: {len(adapter.sent)} (700-character messages), "
          f"{len(render_messages(said.reply))} (Telegram)")
    assert len(adapter.sent) <= 4 and len(render_messages(said.reply)) == 1
    assert "/topics 2" in said.text
    pages = -(-(2000 + len(bot.core.topics.presets)) // 15)
    last = await bot.say(f"/topics {pages}", chat=chat)
    assert "topic-1999" in last.text and "/topics" not in last.text.split("\n")[-1]
    beyond = await bot.say(f"/topics {pages + 1}", chat=chat)
    assert isinstance(beyond.reply, Error) and f"1 to {pages}" in beyond.text


async def test_topics_are_capped_per_person_across_chats(arxiv: FakeArxiv, tmp_path: Path) -> None:
    core = await core_with(RecordingAdapter(), arxiv, tmp_path, max_topics_per_user=3)
    try:
        bot = ConsoleBot(core)
        for i in range(3):
            await bot.say(f"/topic add p{i} cs.CL llm", chat=ChatRef("console", f"room{i}", "group"), user="ada")
        said = await bot.say("/topic add p9 cs.CL llm", chat=ChatRef("console", "room9", "group"), user="ada")
        assert isinstance(said.reply, Error) and "3 topics" in said.text
        other = await bot.say("/topic add p9 cs.CL llm", chat=ChatRef("console", "room9", "group"), user="bo")
        assert not isinstance(other.reply, Error)
    finally:
        await core.close()


async def test_subscriptions_list_is_paged(bot: ConsoleBot) -> None:
    for i in range(45):  # past the cap on purpose: a database from before the caps
        await bot.core.store.subscriptions.upsert(GROUP, f"topic-{i:02d}", time(8, 0), "UTC")
    first = await bot.say("/subscriptions", chat=GROUP)
    assert first.text.count("• ") == 20 and "/subscriptions 2" in first.text
    last = await bot.say("/subscriptions 3", chat=GROUP)
    assert last.text.count("• ") == 5 and "topic-44" in last.text and "Page 3 of 3" in last.text
    bad = await bot.say("/subscriptions x", chat=GROUP)
    assert isinstance(bad.reply, Error) and "1 to 3" in bad.text


async def test_scheduled_digests_in_a_dm_spend_only_that_chats_quota(arxiv: FakeArxiv, gemini: FakeGemini,
                                                                     tmp_path: Path) -> None:
    # In a private chat everyone is "admin": a stranger can subscribe to a broad topic with 100
    # papers a day. Scheduled runs are charged to the chat, so the shared budget survives.
    core, adapter = await _gemini_core(arxiv, gemini, tmp_path, quota_chat_model_calls=5, llm_daily_budget=60)
    try:
        bot = ConsoleBot(core)
        dm = ChatRef("console", "dm-mallory", "private")
        await bot.say("/settings max 100", chat=dm, user="mallory", admin=True)
        await bot.say("/subscribe llm 11:00 UTC", chat=dm, user="mallory", admin=True)
        results = await scheduler_at(core, NOW).catch_up()
        assert list(results.values()) == ["sent"]
        print(f"model calls for a 100-paper DM digest with a chat quota of 5: {gemini.calls}")
        assert gemini.calls <= 5
        text = "\n".join(t for chat, _, t in adapter.sent if chat == "dm-mallory")
        assert "Large Language Model Study" in text and "quota" in text  # every paper shown, past 5 labelled
        summary = await bot.say(f"/summarize {llm_papers(LLM_PAPERS)[-1].id}", chat=GROUP, user="bob", admin=False)
        assert isinstance(summary.reply, Summary)
    finally:
        await core.close()
