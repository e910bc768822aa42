"""/ask end to end against the fake arXiv and the fake models: grounded, checked, cached, budgeted."""

from __future__ import annotations

from pathlib import Path

from bot.replies import Answer, Error
from tests.ask_support import PAPER, ask_bot
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import FakeGemini


async def test_a_question_is_answered_from_the_attached_pdf_with_its_page(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        said = await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
    finally:
        await bot.core.close()
    assert isinstance(said.reply, Answer), said.text
    assert "Zanzibar calibration trick" in said.reply.text
    assert said.reply.sources and said.reply.thread
    assert said.reply.model == "gemini-2.5-flash"
    request = gemini.requests[-1]
    assert request.kind == "ask" and request.mime_types == ["application/pdf"]  # the PDF itself, as /summarize
    assert "Zanzibar" in said.text and "Answered by gemini-2.5-flash" in said.text


async def test_a_repeated_question_makes_no_model_call(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        first = await bot.say(f"/ask {PAPER.id} What does the Zanzibar calibration trick align?")
        calls = gemini.calls
        again = await bot.say(f"/ask {PAPER.id}   what does the zanzibar calibration trick align", user="bob")
    finally:
        await bot.core.close()
    assert calls == 1 and gemini.calls == 1  # one on the miss, none on the repeat (normalised question)
    assert isinstance(again.reply, Answer) and isinstance(first.reply, Answer)
    assert again.reply.text == first.reply.text and again.reply.thread != first.reply.thread


async def test_without_a_model_ask_says_it_needs_one(arxiv: FakeArxiv, tmp_path: Path) -> None:
    bot = await ask_bot(arxiv, tmp_path, None)
    try:
        said = await bot.say(f"/ask {PAPER.id} what data do they use?")
    finally:
        await bot.core.close()
    assert isinstance(said.reply, Error)
    assert "needs a language model" in said.text
    assert not [r for r in arxiv.requests if r.path.startswith("/pdf/")]
