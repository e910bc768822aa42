"""/summarize: the full structured summary of one paper, facts from arXiv, prose validated."""

from __future__ import annotations

from bot.arxiv_ids import ArxivIdError, parse_arxiv_ref
from bot.arxiv_source import ArxivError
from bot.commands import Command, Param, UsageError, command
from bot.core import Core
from bot.links import code_links
from bot.paper_lookup import lookup_paper
from bot.quotas import QuotaExceeded, QuotaGate
from bot.replies import Error, Reply, Summary
from bot.summarizer.service import BudgetExhausted
from handlers.common import arxiv_down, say


@command(
    "summarize",
    help_en="Structured summary of a paper: /summarize 2407.03204 or an arXiv URL",
    help_zh="解读一篇论文：/summarize 2407.03204 或 arXiv 链接",
    params=(Param("paper", "arXiv id or URL, e.g. 2407.03204", required=True),),
    slow=True,
)
async def summarize(core: Core, cmd: Command) -> Reply:
    language = await core.language_for(cmd.chat)
    if len(cmd.args) != 1:
        raise UsageError(say(language, "Give one arXiv id or URL.", "请给出一个 arXiv 编号或链接。"))
    try:
        ref = parse_arxiv_ref(cmd.args[0])
    except ArxivIdError as exc:
        raise UsageError(str(exc)) from None
    try:
        paper = await lookup_paper(core.store, core.source, ref)  # one arXiv request however many ask at once
    except ArxivError as exc:
        return Error(arxiv_down(language, exc))
    if paper is None:
        return Error(say(language, f"arXiv has no paper {ref.id}. Check the id.", f"arXiv 上没有论文 {ref.id}，请检查编号。"))
    figures = (await core.store.chats.settings(cmd.chat)).figures
    try:
        async with QuotaGate(core, cmd, language, "full") as gate:  # reserved before the model is asked
            await gate.afford([paper])
            result = await core.summarizer.summarize(paper, "full", language, figures=figures)
    except QuotaExceeded as exc:
        return Error(exc.message)
    except BudgetExhausted as exc:
        when = exc.resets_at.strftime("%H:%M UTC")
        return Error(say(language, f"Today's summary budget is used up. /summarize works again after {when}.",
                         f"今日解读额度已用完，{when} 之后可再次使用 /summarize。"))
    return Summary(result, language, tuple(code_links(paper)))
