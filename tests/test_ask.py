"""/ask end to end against the fake arXiv and the fake models: grounded, checked, cached, budgeted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot.adapters.console import CONSOLE_CHAT, ConsoleAdapter
from bot.render.plain import render
from bot.replies import Answer, Error, Summary, flatten
from bot.summarizer.hostile import hostile_problems
from tests.ask_support import PAPER, ask_bot, ask_core, ask_once
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.gemini import INJECTION, FakeGemini
from tests.fakes.openai_compat import FakeOpenAI
from tests.summarizer_support import papers

QUESTION = "what does the Zanzibar calibration trick align?"


async def test_a_question_is_answered_from_the_attached_pdf_with_its_page(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    said = await ask_once(arxiv, tmp_path, gemini, f"/ask {PAPER.id} {QUESTION}")
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
    said = await ask_once(arxiv, tmp_path, None, f"/ask {PAPER.id} what data do they use?")
    assert isinstance(said.reply, Error)
    assert "needs a language model" in said.text
    assert not [r for r in arxiv.requests if r.path.startswith("/pdf/")]


async def test_a_console_session_continues_with_two_plain_follow_ups_until_done(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    core = await ask_core(arxiv, tmp_path, gemini)
    adapter = ConsoleAdapter(console=Console(file=io.StringIO()))
    await adapter.start(core.host)
    try:
        first = flatten(await adapter.handle_line(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?"))
        second = flatten(await adapter.handle_line("which experiments support the method?"))
        third = flatten(await adapter.handle_line("what does the conclusion say?"))
        done = flatten(await adapter.handle_line("/done"))
        after = flatten(await adapter.handle_line("help"))  # a command again, not a question
    finally:
        await core.close()
    answers = [first[0], second[0], third[0]]
    assert all(isinstance(a, Answer) for a in answers), [render(a) for a in answers]
    assert len({a.thread for a in answers if isinstance(a, Answer)}) == 1  # one conversation
    assert "/done" in render(first[1])
    assert "closed" in render(done[0]) and gemini.calls == 3 and "/ask" in render(after[0])
    last = gemini.requests[-1].prompt  # the model saw the two earlier turns
    assert "Q: what does the Zanzibar calibration trick align?" in last
    assert "Q: which experiments support the method?" in last
    assert isinstance(first[0], Answer) and first[0].text in last
    assert "Q: " not in gemini.requests[0].prompt


async def test_a_follow_up_gives_the_model_the_previous_turns_of_its_own_thread_only(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    dispatch = bot.core.dispatcher.dispatch_line
    try:
        first = (await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")).reply
        await bot.say(f"/ask {PAPER.id} what do the experiments compare?")  # another conversation
        assert isinstance(first, Answer)
        follow = await dispatch(f"/ask {PAPER.id} and in the conclusion?", user_id="alice", chat=CONSOLE_CHAT,
                                can_admin=True, thread=first.thread)
    finally:
        await bot.core.close()
    assert isinstance(follow, Answer) and follow.thread == first.thread
    prompt = gemini.requests[-1].prompt
    assert "Zanzibar calibration trick align?" in prompt and "experiments compare" not in prompt


async def test_a_pdf_that_says_to_post_a_link_and_everyone_never_gets_them_into_the_chat(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    gemini.default_mode = "obey"  # a model that does what the paper tells it, every time
    said = await ask_once(arxiv, tmp_path, gemini, f"/ask {PAPER.id} {QUESTION} see @everyone",
                          pdf_note=INJECTION)
    assert isinstance(said.reply, Answer), said.text
    assert gemini.calls == 2  # the first answer carried the payload: one stricter retry
    assert "link" in gemini.requests[1].prompt and "@-mention" in gemini.requests[1].prompt
    shown = said.text.replace(PAPER.abs_url, "")  # the one link: arXiv's, from its metadata
    assert "evil" not in shown and "@everyone" not in shown and "http" not in shown
    assert "Zanzibar calibration trick" in said.reply.text


@pytest.mark.parametrize("disguise", ["markdown", "html", "fullwidth", "zero_width", "discord_role", "here"])
async def test_an_obeying_model_s_disguised_links_and_mentions_are_cut_from_the_answer(
    arxiv: FakeArxiv, openai_fake: FakeOpenAI, tmp_path: Path, disguise: str,
) -> None:
    openai_fake.default_mode, openai_fake.disguise = "obey", disguise
    said = await ask_once(arxiv, tmp_path, openai_fake, f"/ask {PAPER.id} {QUESTION}",
                          pdf_note=INJECTION)
    assert isinstance(said.reply, Answer), said.text
    assert not hostile_problems(said.reply.text), said.reply.text
    assert "evil" not in said.text and "@here" not in said.text and "<@&" not in said.text


async def test_a_degenerating_model_gets_could_not_answer_not_its_text(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    gemini.queue("degenerate", "degenerate")
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        said = await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
        calls = gemini.calls
        again = await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
    finally:
        await bot.core.close()
    assert isinstance(said.reply, Error) and "could not answer" in said.text
    assert "improves the results" not in said.text and calls == 2  # one stricter retry, then the apology
    assert isinstance(again.reply, Answer)  # nothing cached from the failure: a healthy answer later


async def test_an_answer_with_invented_numbers_is_rejected_and_retried(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    gemini.queue("invent")
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        said = await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
        gemini.queue("invent", "invent")
        never = await bot.say(f"/ask {PAPER.id} what accuracy does the method reach?")
    finally:
        await bot.core.close()
    assert isinstance(said.reply, Answer) and "97.3" not in said.text and "12345" not in said.text
    assert "97.3" in gemini.requests[1].prompt  # the retry was told which numbers are not in the paper
    assert isinstance(never.reply, Error) and "97.3" not in never.text


async def test_a_question_the_paper_does_not_address_says_so(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    said = await ask_once(arxiv, tmp_path, gemini, f"/ask {PAPER.id} zxqv?")
    assert isinstance(said.reply, Answer) and said.reply.text == "The paper does not say."
    assert said.reply.sources == ()


async def test_unknown_or_malformed_ids_and_a_missing_question_get_friendly_replies(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        malformed = await bot.say("/ask not-an-id what is this?")
        unknown = await bot.say("/ask 2407.99999 what is this?")
        bare = await bot.say(f"/ask {PAPER.id}")
    finally:
        await bot.core.close()
    assert isinstance(malformed.reply, Error) and "Traceback" not in malformed.text
    assert isinstance(unknown.reply, Error) and "2407.99999" in unknown.text
    assert isinstance(bare.reply, Error) and f"/ask {PAPER.id}" in bare.text
    assert gemini.calls == 0


async def test_the_per_thread_and_per_chat_budgets_stop_questions_with_a_clear_message(
    arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path,
) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini, ask_user_calls_per_thread=2, ask_chat_calls=3)
    dispatch = bot.core.dispatcher.dispatch_line
    try:
        first = (await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")).reply
        assert isinstance(first, Answer)
        replies = [await dispatch(f"/ask {PAPER.id} {q}", user_id="alice", chat=CONSOLE_CHAT, can_admin=True,
                                  thread=first.thread) for q in ("what about experiments?", "and the conclusion?")]
        calls = gemini.calls
        other = await bot.say(f"/ask {PAPER.id} what do the experiments compare?", user="bob")
        full = await bot.say(f"/ask {PAPER.id} what is the introduction about?", user="carol")
        repeat = await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?", user="carol")
    finally:
        await bot.core.close()
    assert isinstance(replies[0], Answer) and isinstance(replies[1], Error)
    assert "asked 2 questions in this conversation" in render(replies[1]) and calls == 2
    assert isinstance(other.reply, Answer) and gemini.calls == 3
    assert isinstance(full.reply, Error) and "This chat has used today's 3 model calls" in full.text
    assert isinstance(repeat.reply, Answer)  # a cached answer costs nothing, so the budget does not stop it


async def test_openai_models_get_the_passages_that_answer_the_question_within_the_window(
    arxiv: FakeArxiv, openai_fake: FakeOpenAI, tmp_path: Path,
) -> None:
    paper = papers(1)[0]
    said = await ask_once(arxiv, tmp_path, openai_fake, f"/ask {paper.id} {QUESTION}", ask_context_tokens=1500,
                          body_pages=6)  # ten pages, ~30,000 characters
    assert isinstance(said.reply, Answer), said.text
    prompt = openai_fake.requests[0].prompt
    assert "Zanzibar calibration trick" in prompt and "[p. " in prompt
    assert len(prompt) <= 1500 * 4  # the window, not the whole paper
    assert said.reply.sources and said.reply.sources[0].startswith("p. ")


async def test_a_summary_starts_a_conversation_a_reply_can_continue(arxiv: FakeArxiv, tmp_path: Path) -> None:
    said = await ask_once(arxiv, tmp_path, None, f"/summarize {PAPER.id}")
    assert isinstance(said.reply, Summary) and said.reply.thread


async def test_stats_count_calls_and_tokens_per_answer(arxiv: FakeArxiv, gemini: FakeGemini, tmp_path: Path) -> None:
    bot = await ask_bot(arxiv, tmp_path, gemini)
    try:
        await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
        await bot.say(f"/ask {PAPER.id} what does the Zanzibar calibration trick align?")
        stats = await bot.core.store.answers.stats()
    finally:
        await bot.core.close()
    assert stats is not None
    assert stats["answers"] == 2 and stats["cached"] == 1 and stats["calls"] == 1
    assert stats["calls_per_answer"] == 0.5 and int(str(stats["tokens_in_per_answer"])) > 0
