"""Conversations about a paper in Discord threads, end to end against the fake Discord and the fake Gemini.

The real adapter opens threads over REST (``POST /channels/{id}/messages/{id}/threads``)
and hears members through gateway MESSAGE_CREATE events, as on Discord.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Core
from bot.models import ChatRef
from bot.replies import Digest, DigestEntry
from tests.ask_support import PAPER, model_settings
from tests.conftest import NOW
from tests.e2e_discord import TOPIC, discord_settings, running_discord
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.clock import ManualClock
from tests.fakes.discord import BOT_ID, CHANNEL_ID, EPHEMERAL, THREAD_ID, USER_ID, FakeDiscord, Posted
from tests.fakes.gemini import FakeGemini
from tests.summarizer_support import make_pdf, papers

CHANNEL = ChatRef("discord", str(CHANNEL_ID), "group")
QUESTION = "what does the Zanzibar calibration trick align?"


def settings_for(discord: FakeDiscord, arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> Settings:
    base = discord_settings(discord, arxiv, tmp_path).model_dump()
    return Settings(_env_file=None, **{**base, **model_settings(gemini)})  # type: ignore[call-arg]


@pytest.fixture
def fake(discord_fake: FakeDiscord) -> FakeDiscord:
    return discord_fake


@pytest.fixture
async def core(fake: FakeDiscord, arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> AsyncIterator[Core]:
    arxiv.pdfs[PAPER.id] = make_pdf(PAPER, body_pages=1)
    async with await Core.create(settings_for(fake, arxiv, gemini, tmp_path), ManualClock(NOW)) as c:
        yield c


async def ask_in_a_thread(fake: FakeDiscord) -> str:
    """``/ask`` in the channel; returns the thread the answer went to."""
    asked = await fake.slash("ask", {"paper": PAPER.id, "question": QUESTION})
    await fake.wait_until(lambda: len(fake.threads) == 1 and len(fake.posts_to(next(iter(fake.threads)))) == 1,
                          timeout=40)
    [thread_id] = fake.threads
    assert fake.callback_types(asked.token) == [5], "thinking… first"
    [note] = fake.seen(asked.token)
    assert PAPER.title[:30] in note and "the answer is in the thread" in note
    return thread_id


async def answered(fake: FakeDiscord, thread_id: str, n: int) -> list[Posted]:  # noqa: F811
    await fake.wait_until(lambda: len(fake.posts_to(thread_id)) >= n, timeout=40)
    return fake.posts_to(thread_id)


async def test_ask_opens_a_thread_where_two_follow_ups_continue_the_conversation(
    core: Core, fake: FakeDiscord, gemini: FakeGemini,  # noqa: F811
) -> None:
    async with running_discord(core):
        thread_id = await ask_in_a_thread(fake)
        first = await fake.member_says(thread_id, "Which datasets do they evaluate on?")
        posts = await answered(fake, thread_id, 2)
        await fake.member_says(thread_id, "And how long does training take?")
        posts = await answered(fake, thread_id, 3)
    thread = fake.threads[thread_id]
    assert thread["parent_id"] == str(CHANNEL_ID) and len(thread["name"]) <= 100
    assert QUESTION in posts[0].content and "Answered by gemini-2.5-flash" in posts[0].content
    assert str(posts[1].payload["message_reference"]["message_id"]) == first, "the answer replies to the question"
    assert posts[1].payload["allowed_mentions"]["parse"] == []
    assert "Which datasets" in posts[1].content and "how long does training take" in posts[2].content
    last = gemini.requests[-1]
    assert last.kind == "ask" and "Which datasets do they evaluate on?" in last.prompt, "the first turn is context"
    assert [r.kind for r in gemini.requests].count("ask") == 3
    assert fake.rejected == []


async def test_only_members_writing_in_the_bots_threads_are_answered(
    core: Core, fake: FakeDiscord, gemini: FakeGemini,  # noqa: F811
) -> None:
    async with running_discord(core):
        thread_id = await ask_in_a_thread(fake)
        await fake.member_says(thread_id, "I am another bot", bot=True, user_id=USER_ID + 5)
        await fake.member_says(thread_id, "an echo of myself", bot=True, user_id=BOT_ID)
        await fake.member_says(CHANNEL_ID, "what about the channel itself?")
        await fake.member_says(THREAD_ID, "a thread someone else started")
        await fake.member_says(thread_id, "Which datasets do they evaluate on?")  # then one that counts
        posts = await answered(fake, thread_id, 2)
    assert len(posts) == 2 and "Which datasets" in posts[1].content
    assert fake.posts_to(CHANNEL_ID) == [] and fake.posts_to(THREAD_ID) == []
    assert [r.kind for r in gemini.requests].count("ask") == 2


async def test_a_follow_up_after_a_restart_reaches_the_same_conversation(
    fake: FakeDiscord, arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,  # noqa: F811
) -> None:
    arxiv.pdfs[PAPER.id] = make_pdf(PAPER, body_pages=1)
    settings = settings_for(fake, arxiv, gemini, tmp_path)
    async with await Core.create(settings, ManualClock(NOW)) as first_core, running_discord(first_core):
        thread_id = await ask_in_a_thread(fake)
    # A new process on the same database:
    async with await Core.create(settings, ManualClock(NOW)) as second_core, running_discord(second_core):
        await fake.member_says(thread_id, "Which datasets do they evaluate on?")
        posts = await answered(fake, thread_id, 2)
    assert "Which datasets" in posts[1].content
    assert QUESTION in gemini.requests[-1].prompt, "the turn from before the restart is context"


async def test_without_the_message_content_intent_a_mention_still_asks(
    core: Core, fake: FakeDiscord, gemini: FakeGemini,  # noqa: F811
) -> None:
    fake.message_content_allowed = False  # the Developer Portal switch is off
    async with running_discord(core):
        thread_id = await ask_in_a_thread(fake)
        await fake.member_says(thread_id, "Which datasets do they evaluate on?")  # Discord blanks the content
        await fake.member_says(thread_id, f"<@{BOT_ID}> which datasets do they evaluate on?")
        posts = await answered(fake, thread_id, 2)
    assert len(posts) == 2 and "which datasets" in posts[1].content.lower()
    assert not int(fake.identified[-1]["intents"]) & (1 << 15)


async def test_the_full_summary_button_opens_a_thread_on_the_digest_message(
    core: Core, fake: FakeDiscord, gemini: FakeGemini,  # noqa: F811
) -> None:
    result = await core.summarizer.summarize(PAPER, "brief", "en")
    sent = Digest(topic=TOPIC, day=date(2026, 11, 20), language="en", entries=(DigestEntry(PAPER, result),))
    async with running_discord(core) as bot:
        await bot.send(CHANNEL, sent)
        [post] = fake.posts_to(CHANNEL_ID)
        assert [b["label"] for b in post.buttons] == ["1. Full summary", "1 👍", "1 👎", "1 🔖"]
        pressed = await fake.press(post, f"/summarize {PAPER.id}")
        await fake.wait_until(lambda: bool(fake.posts_to(post.message_id or "") and fake.seen(pressed.token)),
                              timeout=40)
        again = await fake.press(post, f"/summarize {PAPER.id}", user_id=USER_ID + 1)
        await fake.wait_until(lambda: bool(fake.seen(again.token)), timeout=40)
        thread_id = post.message_id or ""
        await fake.member_says(thread_id, QUESTION)
        posts = await answered(fake, thread_id, 3)
    assert list(fake.threads) == [thread_id], "the thread is on the digest message, and the second press reuses it"
    assert PAPER.title in posts[0].text
    [note] = fake.seen(pressed.token)
    [deferred] = [c for c in fake.callbacks if c.token == pressed.token]
    assert f"<#{thread_id}>" in note and int(deferred.payload["data"]["flags"]) & EPHEMERAL, "for the presser alone"
    assert "Zanzibar" in posts[-1].content, "a message in the thread asks about the summarised paper"


async def test_pressing_full_summary_again_and_again_opens_one_thread_per_paper(
    core: Core, fake: FakeDiscord, arxiv: FakeArxiv,
) -> None:
    first, second = papers(2)
    arxiv.pdfs[second.id] = make_pdf(second, body_pages=1)
    entries = tuple([DigestEntry(p, await core.summarizer.summarize(p, "brief", "en")) for p in (first, second)])
    sent = Digest(topic=TOPIC, day=date(2026, 11, 20), language="en", entries=entries)
    async with running_discord(core) as bot:
        await bot.send(CHANNEL, sent)
        [post] = fake.posts_to(CHANNEL_ID)
        for n, paper in enumerate((first, second, second, second, first)):
            pressed = await fake.press(post, f"/summarize {paper.id}", user_id=USER_ID + n)
            await fake.wait_until(lambda: bool(fake.seen(pressed.token)), timeout=40)  # noqa: B023
    assert len(fake.threads) == 2, "one thread per paper of the digest message, however often it is pressed"
