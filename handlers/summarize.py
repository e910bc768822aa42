"""/summarize: the full structured summary of one paper, facts from arXiv, prose validated."""

from __future__ import annotations

from bot.arxiv.ids import ArxivIdError, parse_arxiv_ref
from bot.commands import Context, Param, UsageError, command
from bot.i18n import t
from bot.links import code_links
from bot.quotas import Quotas
from bot.replies import Error, Reply, Summary
from bot.services.catalog import PaperCatalog
from bot.summarizer.ask import new_thread_key
from bot.summarizer.service import Summarizer


class SummarizeHandlers:
    def __init__(self, catalog: PaperCatalog, summarizer: Summarizer, quotas: Quotas) -> None:
        self._catalog = catalog
        self._summarizer = summarizer
        self._quotas = quotas

    @command("summarize", slow=True, params=(Param("paper", "param_paper", required=True),))
    async def summarize(self, ctx: Context, paper: str) -> Reply:
        language = ctx.language
        try:
            ref = parse_arxiv_ref(paper)
        except ArxivIdError as exc:
            raise UsageError(t(language, exc.key, **exc.values)) from None
        found = await self._catalog.get_or_fetch(ref)  # one arXiv request however many ask at once
        if found is None:
            return Error(t(language, "no_such_paper", id=ref.id))
        async with self._quotas.gate(ctx.cmd, language, "full") as gate:  # reserved before the model is asked
            await gate.afford([found])
            result = await self._summarizer.summarize(found, "full", language, figures=ctx.chat.figures)
        # A reply to the summary starts a conversation about the paper (/ask with this thread).
        return Summary(result, language, tuple(code_links(found)), thread=new_thread_key())
