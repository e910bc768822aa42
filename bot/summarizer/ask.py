"""Answers to questions about one paper, grounded in its full text: the domain side of ``/ask``.

Why it looks like this:

* It shares the summarizer's PDF download, parse, limits, budget, rate window and
  call records (:class:`bot.summarizer.service.Summarizer`), so a question and a
  summary of the same paper download it once and spend from the same daily budget.
* Gemini reads the PDF itself, attached as a document part as for ``/summarize``. An
  OpenAI-compatible model gets the passages most relevant to the question, within
  ``PAPERBOT_ASK_CONTEXT_TOKENS`` (:mod:`bot.summarizer.passages`).
* Answers are checked like summaries (:mod:`bot.summarizer.ask_check`). A rejected
  answer gets one stricter retry naming its problems, then :class:`AskFailed`: the
  user is told the question could not be answered, never shown the rejected text.
* Answers are cached by paper version, normalised question, language, model and
  prompt version, and for follow-ups by the conversation they continue
  (:mod:`bot.store.answers`): a repeated question costs no model call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Literal

from bot.config import Settings
from bot.models import Paper
from bot.store.answers import QUESTION_CHARS, AnswerKey, AnswerStore, StoredAnswer, Turn, TurnCost
from bot.summarizer.ask_check import AskVerdict, check_answer
from bot.summarizer.backends import GEMINI_INLINE_PDF_MAX, BackendError, Blocked, ModelCall, ModelReply
from bot.summarizer.passages import passages, select, tfidf_scores, vector_scores
from bot.summarizer.pdf import PaperSource
from bot.summarizer.prompts import SourceKind, describe_source, retry_prompt
from bot.summarizer.service import ATTACH_MAX_PAGES, BudgetExhausted, Summarizer
from bot.summary_schema import AskReply
from bot.topics.embedders import Embedder

log = logging.getLogger(__name__)

ASK_PROMPT_VERSION = "ask-2026-11-1"  # bump with any change to bot/prompts/ask.*.txt or _HISTORY
KIND = "ask"  # llm_calls.kind of every /ask request
MIN_PASSAGE_CHARS = 1500  # a window too small for the prompt still gets the best passage
_DIR = Path(__file__).resolve().parent.parent / "prompts"
_HISTORY = {
    "en": ("The conversation so far, oldest first (the answers were written from this paper):", "Q", "A"),
    "zh": ("此前的对话（按时间先后，回答均依据这篇论文）：", "问", "答"),
}


class NoModel(Exception):
    """No model is configured: ``/ask`` has no honest fallback."""


class AskFailed(Exception):
    """No acceptable answer: every attempt was rejected, blocked, or the model did not answer."""

    def __init__(self, reason: Literal["rejected", "unavailable"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Asked:
    text: str
    sources: tuple[str, ...]
    says: bool
    model: str
    calls: int  # model requests this answer cost; 0 when it was cached


def new_thread_key() -> str:
    """A fresh conversation key: short, unguessable, and the same on every platform."""
    return secrets.token_hex(6)


def normalize_question(question: str) -> str:
    """The cache's form of a question: NFKC, case-folded, single spaces, no trailing ``?`` or ``。``."""
    text = " ".join(unicodedata.normalize("NFKC", question).casefold().split())
    return re.sub(r"[\s?!.。？！…]+$", "", text)


class Asker:
    def __init__(self, settings: Settings, summarizer: Summarizer, answers: AnswerStore,
                 embedder: Embedder | None = None) -> None:
        self._settings = settings
        self._summarizer = summarizer
        self._answers = answers
        self._embedder = embedder
        self._flights: dict[AnswerKey, tuple[asyncio.Lock, int]] = {}

    @property
    def model(self) -> str | None:
        backend = self._summarizer.backend
        return backend.model if backend is not None else None

    async def ask(
        self, paper: Paper, question: str, language: str, *, thread: str, follow_up: bool, chat: str, user: str,
        afford: Callable[[], Awaitable[object]],
    ) -> Asked:
        """The answer, cached or new; ``afford`` is awaited before the first model call and may refuse it."""
        backend = self._summarizer.backend
        if backend is None:
            raise NoModel()
        language = "zh" if language.lower().startswith("zh") else "en"
        question = " ".join(question.split())[:QUESTION_CHARS]
        history = (await self._answers.turns(thread, paper.id, self._settings.ask_history_turns)
                   if follow_up else [])
        key = AnswerKey(paper.id, paper.version, normalize_question(question), _context(history), language,
                        backend.model, ASK_PROMPT_VERSION)
        turn_of = dict(thread=thread, paper_id=paper.id, chat=chat, user=user)
        async with self._flight(key):  # the same question at once from many: one model call, then the cache
            if (stored := await self._answers.get(key)) is not None:
                await self._answers.add_turn(**turn_of, turn=Turn(question, stored.text), cost=TurnCost(0))
                return Asked(stored.text, stored.sources, stored.says, backend.model, 0)
            await afford()
            source = await self._summarizer.paper_source(paper)
            prompt, pdf, given = await self._prompt(paper, question, language, source, history)
            answer, cost = await self._attempts(paper, language, prompt, pdf, given)
            stored = StoredAnswer(answer.answer, tuple(answer.sources) if answer.paper_says else (),
                                  answer.paper_says)
            await self._answers.put(key, stored)
        await self._answers.add_turn(**turn_of, turn=Turn(question, stored.text), cost=cost)
        return Asked(stored.text, stored.sources, stored.says, backend.model, cost.calls)

    @asynccontextmanager
    async def _flight(self, key: AnswerKey) -> AsyncIterator[None]:
        """One asker at a time per answer key; the lock is forgotten when nobody holds or waits for it."""
        lock, users = self._flights.get(key, (asyncio.Lock(), 0))
        self._flights[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._flights[key]
            if users <= 1:
                del self._flights[key]
            else:
                self._flights[key] = (lock, users - 1)

    async def _attempts(self, paper: Paper, language: str, prompt: str, pdf: bytes | None,
                        given: str) -> tuple[AskReply, TurnCost]:
        """At most two calls: the prompt, then the prompt plus what was wrong with the first answer."""
        calls, tokens_in, tokens_out = 0, 0, 0
        problems: list[str] = []
        usable: AskReply | None = None
        failure: Literal["rejected", "unavailable"] = "rejected"
        for attempt in (1, 2):
            text = prompt if attempt == 1 else retry_prompt(prompt, problems, language)
            try:
                reply, latency_ms = await self._summarizer.call_model(
                    paper, KIND, language, ModelCall(text, AskReply, pdf=pdf, max_output_tokens=4096), attempt)
            except BudgetExhausted:
                if attempt == 1:
                    raise
                break
            except Blocked as exc:
                calls += 1
                problems = [f"the provider returned no answer ({exc}); answer factually from the paper only"]
                continue
            except BackendError:
                failure = "unavailable"
                break
            calls += 1
            tokens_in += reply.tokens_in or 0
            tokens_out += reply.tokens_out or 0
            verdict = await self._judge(paper, language, reply, latency_ms, attempt, given)
            cost = TurnCost(calls, tokens_in, tokens_out)
            if verdict.reply is not None and (verdict.ok or (attempt == 2 and verdict.usable)):
                return verdict.reply, cost
            if verdict.reply is not None and verdict.usable:
                usable = verdict.reply
            log.info("answer rejected", extra={"paper": paper.versioned_id, "attempt": attempt,
                                               "problems": verdict.problems[:5]})
            problems = verdict.problems
        if usable is not None:  # only links or mentions, now cut out: better than no answer
            return usable, TurnCost(calls, tokens_in, tokens_out)
        raise AskFailed(failure)

    async def _judge(self, paper: Paper, language: str, reply: ModelReply, latency_ms: int, attempt: int,
                     given: str) -> AskVerdict:
        """Check one reply and record the call whatever happens (the record returns its budget reservation)."""
        verdict = AskVerdict(None, ["the answer could not be checked; answer with one plain JSON object"])
        try:
            verdict = check_answer(reply.text, language=language, given=given, truncated=reply.truncated)
        except Exception:
            log.exception("checking an answer crashed", extra={"paper": paper.versioned_id})
        finally:
            outcome = "ok" if verdict.ok else "retried" if attempt == 1 else "fallback"
            await self._summarizer.record(paper, KIND, language, reply, latency_ms, outcome,
                                          "; ".join(verdict.problems))
        return verdict

    async def _prompt(self, paper: Paper, question: str, language: str, source: PaperSource,
                      history: Sequence[Turn]) -> tuple[str, bytes | None, str]:
        """The prompt, the PDF to attach (if the model reads PDFs), and every text the model is given."""
        backend = self._summarizer.backend
        text = source.text if source.kind == "pdf" else None
        pages = (text.page_texts or [text.excerpt]) if text is not None else []
        kind: SourceKind = "abstract"
        pdf: bytes | None = None
        excerpt: str | None = None
        if text is not None and source.pdf is not None:
            if (backend is not None and backend.reads_pdf and len(source.pdf) <= GEMINI_INLINE_PDF_MAX
                    and text.pages <= ATTACH_MAX_PAGES):
                kind, pdf = "pdf_attached", source.pdf
            else:
                kind = "pdf_text"
        lang = language if language in _HISTORY else "en"

        def fill(source: str) -> str:
            return _template(lang).substitute(
                title=" ".join(paper.title.split()), authors=", ".join(paper.authors) or "-",
                comment=" ".join((paper.comment or "-").split()), abstract=" ".join(paper.abstract.split()),
                source=source, history=_history(lang, history), question=question,
            )

        if kind == "pdf_text":  # the passages get what the window leaves (~4 characters a token)
            room = self._settings.ask_context_tokens * 4 - len(fill(describe_source(lang, kind, "")))
            excerpt = await self._passages(question, pages, max(MIN_PASSAGE_CHARS, room))
        prompt = fill(describe_source(lang, kind, excerpt))
        given = "\n".join([paper.title, paper.abstract, paper.comment or "", question, *pages,
                           *(f"{t.question}\n{t.answer}" for t in history)])
        return prompt, pdf, given

    async def _passages(self, question: str, pages: Sequence[str], budget_chars: int) -> str:
        chosen = passages(pages)
        scores: list[float] | None = None
        if self._embedder is not None and len(chosen) > 1:
            try:
                vectors = await self._embedder.embed([question, *(p.text for p in chosen)])
                scores = vector_scores(vectors[0], vectors[1:])
            except Exception as exc:  # noqa: BLE001 - TF-IDF needs no network
                log.info("embedding passages failed; using TF-IDF", extra={"error": repr(exc)})
        return select(chosen, scores or tfidf_scores(question, chosen), budget_chars)


def _context(history: Sequence[Turn]) -> str:
    if not history:
        return ""
    data = json.dumps([[t.question, t.answer] for t in history], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def _history(language: str, history: Sequence[Turn]) -> str:
    if not history:
        return ""
    head, q, a = _HISTORY[language]
    lines = [head, *(f"{q}: {t.question}\n{a}: {t.answer}" for t in history)]
    return "\n".join(lines) + "\n"


@cache
def _template(language: str) -> Template:
    return Template((_DIR / f"ask.{language}.txt").read_text(encoding="utf-8"))
