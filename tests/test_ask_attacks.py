"""Hostile input against /ask: concurrency, budgets, what reaches a chat."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.replies import Answer
from bot.summarizer.ask import QUESTION_CHARS
from bot.summarizer.ask_check import check_answer
from bot.summarizer.hostile import hostile_problems
from tests.ask_support import PAPER, ask_bot, ask_once
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import INJECTION, FakeGemini
from tests.fakes.openai_compat import FakeOpenAI

QUESTION = "what does the Zanzibar calibration trick align?"


async def test_twenty_identical_questions_at_once_cost_one_model_call(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        said = await asyncio.gather(*(bot.say(f"/ask {PAPER.id} {QUESTION}", user=f"u{n}") for n in range(20)))
    finally:
        await bot.core.close()
    assert all(isinstance(s.reply, Answer) for s in said), [s.text for s in said if not isinstance(s.reply, Answer)]
    assert gemini.calls == 1


@pytest.mark.parametrize("disguise", ["as_printed", "bare_ip", "markdown"])
async def test_an_obeying_model_s_links_in_the_sources_never_reach_the_chat(
    arxiv: FakeArxiv, openai_fake: FakeOpenAI, tmp_path: Path, disguise: str,
) -> None:
    openai_fake.default_mode, openai_fake.disguise, openai_fake.ask_obey_fields = "obey", disguise, ("sources",)
    said = await ask_once(arxiv, tmp_path, openai_fake, f"/ask {PAPER.id} {QUESTION}", pdf_note=INJECTION)
    assert isinstance(said.reply, Answer), said.text
    assert said.reply.sources and not any(hostile_problems(s) for s in said.reply.sources), said.reply.sources
    assert "evil" not in said.text and "203.0.113.7" not in said.text


def test_a_source_cut_to_its_length_does_not_become_a_link() -> None:
    """80 characters of "… evil.comm" end in "evil.com": the cut must come before the check."""
    source = "§3 " + "x" * 68 + " evil.comm and more"
    verdict = check_answer(json.dumps({"answer": "The trick aligns bodies.", "sources": [source],
                                       "paper_says": True}), language="en", given="The trick aligns bodies.")
    assert verdict.reply is not None and verdict.reply.sources
    assert not any(hostile_problems(s) for s in verdict.reply.sources), verdict.reply.sources


async def test_a_long_question_is_echoed_only_as_far_as_the_model_read_it(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    padding = " ".join(f"word{n}" for n in range(200))  # ~1,400 characters: the model reads the first 500
    said = await ask_once(arxiv, tmp_path, gemini, f"/ask {PAPER.id} {QUESTION} {padding}")
    assert isinstance(said.reply, Answer), said.text
    assert len(said.reply.question) <= QUESTION_CHARS + 1 and said.reply.question.startswith(QUESTION)
    assert "word199" not in said.text and "word199" not in gemini.requests[-1].prompt
