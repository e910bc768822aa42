"""Conversations about a paper on Telegram: a reply to the bot's answer or summary is a follow-up.

The real adapter runs against the fake Bot API; users' replies arrive as updates with
``reply_to_message`` (and, in forum topics, ``message_thread_id``), as Telegram sends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.ask_support import PAPER, model_settings
from tests.conftest import make_settings
from tests.e2e_telegram import InProcessBot, running_adapter
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini
from tests.fakes.telegram import Sent
from tests.summarizer_support import make_pdf

GROUP, MEMBER, OTHER = -1001234567890, 502, 503
QUESTION = "what does the Zanzibar calibration trick align?"


@pytest.fixture
async def tg(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> AsyncIterator[InProcessBot]:
    arxiv.pdfs[PAPER.id] = make_pdf(PAPER, body_pages=1)
    async with running_adapter(make_settings(arxiv, tmp_path, **model_settings(gemini)),
                               private_interval=0.05) as running:
        running.fake.group(GROUP, "Vision reading group")
        yield running


def asks(gemini: FakeGemini) -> int:
    return sum(1 for r in gemini.requests if r.kind == "ask")


async def next_sent(tg: InProcessBot, chat_id: int, before: int) -> Sent:
    sent = await tg.fake.wait_for_sent(before + 1, chat_id=chat_id, timeout=60)
    return sent[before]


async def bound(tg: InProcessBot, sent: Sent) -> Sent:
    """``sent`` once the adapter has bound it to its conversation.

    The fake sees a message before sendMessage returns its id to the adapter, which binds
    it only then; a person's reply takes seconds, a test's none, so the test waits for that.
    """
    query = "SELECT 1 FROM thread_links WHERE chat = ? AND key = ?"
    for _ in range(600):  # a guard against hanging, not a timing
        if await tg.core.store.db.fetchone(query, (f"telegram:{sent.chat_id}", str(sent.message_id))):
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {sent.message_id} was never bound to a conversation")


async def test_a_reply_chain_continues_the_conversation(tg: InProcessBot, gemini: FakeGemini) -> None:
    question = tg.fake.group_message(GROUP, MEMBER, f"/ask {PAPER.id} {QUESTION}")["message"]
    answer = await next_sent(tg, GROUP, 0)
    assert answer.reply_to == question["message_id"] and "Zanzibar" in answer.plain
    follow = tg.fake.reply_message(MEMBER, await bound(tg, answer), "Which datasets do they evaluate on?")["message"]
    second = await next_sent(tg, GROUP, 1)
    assert second.reply_to == follow["message_id"], "the answer replies to the follow-up"
    assert "Which datasets do they evaluate on?" in second.plain
    last = tg.fake.reply_message(OTHER, await bound(tg, second), "And how long does training take?")["message"]
    third = await next_sent(tg, GROUP, 2)
    assert third.reply_to == last["message_id"] and "how long does training take" in third.plain
    assert asks(gemini) == 3
    assert "Which datasets do they evaluate on?" in gemini.requests[-1].prompt, "earlier turns are context"
    assert QUESTION in gemini.requests[-1].prompt


async def test_a_reply_to_a_summary_asks_about_its_paper(tg: InProcessBot, gemini: FakeGemini) -> None:
    tg.fake.private_message(tg.fake.user(42, "Ada"), f"/summarize {PAPER.id}")
    summary = await next_sent(tg, 42, 0)
    tg.fake.reply_message(42, await bound(tg, summary), QUESTION)
    answer = await next_sent(tg, 42, len(tg.fake.messages_to(42)))
    assert "Zanzibar" in answer.plain and answer.reply_to is not None
    assert asks(gemini) == 1


async def test_in_a_forum_the_answer_stays_in_the_topic(tg: InProcessBot, gemini: FakeGemini) -> None:
    forum = tg.fake.group(-1009876543210, "Lab", forum=True)
    tg.fake.group_message(forum, MEMBER, f"/ask {PAPER.id} {QUESTION}", thread_id=77, forum=True)
    answer = await next_sent(tg, forum["id"], 0)
    assert answer.message_thread_id == 77
    follow = tg.fake.reply_message(MEMBER, await bound(tg, answer), "Which datasets do they evaluate on?")["message"]
    assert follow["message_thread_id"] == 77 and follow["is_topic_message"]
    second = await next_sent(tg, forum["id"], 1)
    assert second.message_thread_id == 77 and second.reply_to == follow["message_id"]
    assert "Which datasets" in second.plain


async def test_replies_to_people_or_to_unbound_bot_messages_are_ignored(
    tg: InProcessBot, gemini: FakeGemini,
) -> None:
    person = tg.fake.group_message(GROUP, OTHER, "I think the method is neat")["message"]
    tg.fake.group_message(GROUP, MEMBER, "/help")
    help_text = await next_sent(tg, GROUP, 0)
    tg.fake.reply_message(MEMBER, person, "what does the paper say about it?")
    tg.fake.reply_message(MEMBER, help_text, "what does the paper say about it?")
    tg.fake.group_message(GROUP, MEMBER, "a plain message, no reply")
    tg.fake.group_message(GROUP, MEMBER, "/help")  # a marker: answered after everything above was handled
    await next_sent(tg, GROUP, 1)
    await tg.adapter.stop()  # waits for any handler still running, so a wrong answer would be out by now
    assert len(tg.fake.messages_to(GROUP)) == 2 and asks(gemini) == 0, "only the two /help replies"
