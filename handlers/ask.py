"""/ask: a question about one paper, answered from its full text; follow-ups continue the conversation.

A new ``/ask`` starts a conversation and returns its key in :attr:`Answer.thread`;
adapters bind their messages to it, and a follow-up comes back as ``/ask <id> <question>``
with :attr:`Command.thread` set, so the model sees the last few turns.
"""

from __future__ import annotations

from bot.arxiv.ids import ArxivIdError, parse_arxiv_ref
from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.quotas import Quotas
from bot.replies import Answer, Error, Reply
from bot.services.catalog import PaperCatalog
from bot.summarizer.ask import QUESTION_CHARS, Asker, AskFailed, NoModel, new_thread_key
from bot.summarizer.hostile import strip_hostile


class AskHandlers:
    def __init__(self, catalog: PaperCatalog, asker: Asker, quotas: Quotas) -> None:
        self._catalog = catalog
        self._asker = asker
        self._quotas = quotas

    @command("ask", slow=True, params=(Param("paper", "param_paper", required=True),
                                       Param("question", "param_question", kind="rest")))
    async def ask(self, ctx: Context, paper: str, question: str | None = None) -> Reply:
        language = ctx.language
        try:
            ref = parse_arxiv_ref(paper)
        except ArxivIdError as exc:
            raise UsageError(t(language, exc.key, **exc.values)) from None
        if not (question or "").strip():
            raise UsageError(t(language, "ask_no_question", id=ref.id))
        if self._asker.model is None:  # before arXiv is asked: nothing to do without a model
            return Error(t(language, "ask_needs_model"))
        found = await self._catalog.get_or_fetch(ref)
        if found is None:
            return Error(t(language, "no_such_paper", id=ref.id))
        cmd = ctx.cmd
        thread = cmd.thread or new_thread_key()
        try:
            async with self._quotas.ask_gate(cmd, language, thread) as gate:
                asked = await self._asker.ask(
                    found, question or "", language, thread=thread, follow_up=cmd.thread is not None,
                    chat=cmd.chat.key, user=cmd.user_key, afford=lambda: gate.afford_calls(found))
        except NoModel:
            return Error(t(language, "ask_needs_model"))
        except AskFailed as exc:
            key = "ask_model_unavailable" if exc.reason == "unavailable" else "ask_could_not_answer"
            return Error(t(language, key, id=found.id))
        text = asked.text if asked.says or asked.text else t(language, "ask_not_in_paper")
        return Answer(paper=found, question=_echo(question or ""), text=text,
                      sources=asked.sources, model=asked.model, language=language, thread=thread)


def _echo(question: str) -> str:
    """The question as shown above its answer: what the model read (cut, then stripped of links)."""
    words = " ".join(question.split())
    cut = words if len(words) <= QUESTION_CHARS else words[:QUESTION_CHARS].rstrip() + "…"
    return strip_hostile(cut)
