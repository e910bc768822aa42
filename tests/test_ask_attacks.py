"""Hostile input against /ask: concurrency, budgets, what reaches a chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.replies import Answer
from tests.ask_support import PAPER, ask_bot
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini

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
