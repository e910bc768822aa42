"""Digests and summaries as a neutral document: blocks of plain-text spans.

Every renderer (Telegram HTML, console, plain text) starts from these blocks, so the
content and order of a digest are decided once. Spans carry *plain* text; each
renderer escapes it for its own markup, which is why a title with ``<``, ``&``,
``*`` or LaTeX shows as written everywhere. Facts come from :class:`Paper`; model
text comes from the validated summary only. Every paper's metadata is clipped here
(:func:`bot.arxiv.feeds.clip_paper`) as well as when parsed, so a row stored before
the limits existed cannot turn into a thousand messages either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.arxiv.calendar import previous_listing
from bot.arxiv.feeds import clip_paper
from bot.i18n import t
from bot.links import is_code_host
from bot.models import Paper
from bot.ports import save_data, vote_data
from bot.replies import Answer, Digest, DigestEntry, Error, Summary, Text
from bot.summarizer.scripts import script_mix
from bot.summary_schema import SummaryResult

BlockKind = Literal["heading", "para", "bullets", "section", "note", "error"]


@dataclass(frozen=True)
class Span:
    text: str
    url: str | None = None
    bold: bool = False
    italic: bool = False


Line = tuple[Span, ...]


VOTE_LABELS = {1: "👍", 0: "👎"}


def vote_label(value: int, count: int) -> str:
    """A vote button's label: the emoji, then how many members of the chat chose it."""
    return f"{VOTE_LABELS[value]} {count}" if count else VOTE_LABELS[value]


def save_label(saved: bool) -> str:
    """The 🔖 button's label: ticked once the paper is on the chat's reading list."""
    return "🔖 ✓" if saved else "🔖"


@dataclass(frozen=True)
class Action:
    """A follow-up command offered as a button where the platform has buttons."""

    label: str
    command: str  # e.g. "/summarize 2407.03204", or a vote button's data (bot.ports.vote_data)


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    lines: tuple[Line, ...]
    title: str | None = None  # for "section": shown as its heading
    expandable: bool = False  # long section: collapsed where the platform can
    actions: tuple[Action, ...] = ()
    keep_with_next: bool = False  # a paper's blocks stay in one message when possible
    paper_id: str | None = field(default=None, compare=False)


def text_document(reply: Text | Error) -> list[Block]:
    kind: BlockKind = "error" if isinstance(reply, Error) else "para"
    return [Block(kind, tuple((Span(line),) for line in reply.text.split("\n")))]


def answer_document(reply: Answer) -> list[Block]:
    """An answer under its paper's title, with the question, where it rests, and who wrote it."""
    paper, lang = clip_paper(reply.paper), reply.language
    head = Block("para", ((Span(paper.title, url=paper.abs_url, bold=True),),
                          (Span(f"{t(lang, 'answer_question')}: ", italic=True), Span(reply.question))),
                 paper_id=paper.id, keep_with_next=True)
    blocks = [head, Block("para", tuple((Span(line),) for line in reply.text.split("\n") if line.strip()))]
    if reply.sources:
        blocks.append(Block("note", ((Span(f"{t(lang, 'answer_sources')}: ", italic=True),
                                      Span("; ".join(reply.sources))),)))
    blocks.append(Block("note", ((Span(t(lang, "answer_by", model=reply.model), italic=True),),)))
    return blocks


def leaf_document(reply: Text | Error | Digest | Summary | Answer) -> list[Block]:
    """The blocks of one leaf reply, whatever its kind."""
    if isinstance(reply, Digest):
        return digest_document(reply)
    if isinstance(reply, Summary):
        return summary_document(reply)
    if isinstance(reply, Answer):
        return answer_document(reply)
    return text_document(reply)


def digest_header(digest: Digest) -> str:
    if digest.days > 1:
        start = digest.day
        for _ in range(digest.days - 1):
            start = previous_listing(start)
        return t(digest.language, "digest_header_days", title=digest.topic.title, start=start, day=digest.day)
    return t(digest.language, "digest_header", title=digest.topic.title, day=digest.day.isoformat())


def digest_document(digest: Digest) -> list[Block]:
    lang = digest.language
    blocks = [Block("heading", ((Span(digest_header(digest), bold=True),),))]
    if digest.no_announcement:
        blocks.append(Block("note", ((Span(t(lang, "no_announcement")),),)))
        return blocks
    if not digest.entries:
        blocks.append(Block("note", ((Span(t(lang, "digest_empty")),),)))
        return blocks
    total = len(digest.entries) + digest.more
    blocks.append(Block("note", ((Span(t(lang, "digest_count", n=total)),),)))
    for number, entry in enumerate(digest.entries, 1):
        blocks.extend(paper_blocks(entry, number, lang))
    if digest.more:
        blocks.append(Block("note", ((Span(t(lang, "digest_more", n=digest.more, topic=digest.topic.name)),),)))
    labels = sorted({e.summary.label for e in digest.entries})
    blocks.append(Block("note", tuple((Span(label, italic=True),) for label in labels)))
    return blocks


def paper_blocks(entry: DigestEntry, number: int, lang: str) -> list[Block]:
    paper, summary = clip_paper(entry.paper), entry.summary
    lines: list[Line] = [
        (Span(f"{number}. "), Span(paper.title, url=paper.abs_url, bold=True)),
        (Span(f"{t(lang, 'authors')}: ", italic=True), Span(_authors(paper))),
        _link_line(paper, entry.code_links, lang),
    ]
    if entry.reason:
        lines.insert(1, (Span(entry.reason, italic=True),))
    if paper.comment:
        lines.append((Span(f"{t(lang, 'comment')}: ", italic=True), Span(paper.comment)))
    lines.append((Span(f"{t(lang, 'summary')}: ", bold=True), Span(summary.content.one_line)))
    head = Block("para", tuple(lines), keep_with_next=True, paper_id=paper.id)
    takeaways = Block(
        "bullets",
        tuple((Span(item),) for item in summary.content.takeaways),
        title=t(lang, "takeaways"),
        actions=(Action(f"{number}. {t(lang, 'full_summary_button')}", f"/summarize {paper.id}"),
                 Action(VOTE_LABELS[1], vote_data(paper.id, 1)), Action(VOTE_LABELS[0], vote_data(paper.id, 0)),
                 Action(save_label(False), save_data(paper.id))),
        paper_id=paper.id,
    )
    return [head, takeaways]


def summary_document(reply: Summary) -> list[Block]:
    result: SummaryResult = reply.result
    paper, lang = clip_paper(result.paper), reply.language
    full = result.full
    lines: list[Line] = [(Span(paper.title, url=paper.abs_url, bold=True),)]
    if full and is_translation(paper.title, full.title_translated, lang):
        lines.append((Span(f"{t(lang, 'title_translated')}: ", italic=True), Span(full.title_translated)))
    lines.append((Span(f"{t(lang, 'authors')}: ", italic=True), Span(_authors(paper, limit=30))))
    if full and full.affiliations:
        lines.append((Span(f"{t(lang, 'affiliations')}: ", italic=True), Span("; ".join(full.affiliations))))
    if full and full.keywords:
        lines.append((Span(f"{t(lang, 'keywords')}: ", italic=True), Span(", ".join(full.keywords))))
    lines.append(_link_line(paper, reply.code_links, lang))
    if paper.comment:
        lines.append((Span(f"{t(lang, 'comment')}: ", italic=True), Span(paper.comment)))
    blocks = [Block("para", tuple(lines), paper_id=paper.id)]
    blocks.append(Block("para", ((Span(f"{t(lang, 'summary')}: ", bold=True), Span(result.content.one_line)),)))
    blocks.append(Block("bullets", tuple((Span(i),) for i in result.content.takeaways), title=t(lang, "takeaways")))
    if full:
        for key, body in (
            ("background", full.background),
            ("past_methods", full.past_methods),
            ("proposed_method", full.proposed_method),
            ("task_and_performance", full.task_and_performance),
        ):
            blocks.append(Block("section", ((Span(body),),), title=t(lang, key), expandable=True))
        blocks.append(  # a section, not bullets: the steps are numbered, and "• 1." is both
            Block("section", tuple((Span(f"{i}. {s}"),) for i, s in enumerate(full.method_steps, 1)),
                  title=t(lang, "method_steps"), expandable=True)
        )
        c = full.conclusion
        conclusion_lines = tuple(
            (Span(f"{t(lang, key)}: ", bold=True), Span(value))
            for key, value in (("significance", c.significance), ("innovation", c.innovation),
                               ("performance", c.performance), ("workload", c.workload))
        )
        blocks.append(Block("section", conclusion_lines, title=t(lang, "conclusion"), expandable=True))
    notes = [result.label] + ([result.note] if result.note else [])
    blocks.append(Block("note", tuple((Span(n, italic=True),) for n in notes)))
    return blocks


def _authors(paper: Paper, limit: int = 12) -> str:
    if len(paper.authors) <= limit:
        return ", ".join(paper.authors)
    return ", ".join(paper.authors[:limit]) + f", … (+{len(paper.authors) - limit})"


def _link_line(paper: Paper, code: tuple[str, ...], lang: str) -> Line:
    spans: list[Span] = [Span("arXiv", url=paper.abs_url), Span(" · "), Span("PDF", url=paper.pdf_url)]
    for url in code[:3]:
        label = t(lang, "code") if is_code_host(url) else t(lang, "project_page")
        spans += [Span(" · "), Span(f"{label}: "), Span(url, url=url)]
    return tuple(spans)


def is_translation(original: str, translated: str, lang: str) -> bool:
    """Whether ``translated`` is really the title in ``lang``, worth a line under the original.

    Not when it is the original again (an English title "translated" into English), not
    when it is not in ``lang``, and not when it names something the title does not: a
    model that echoes the prompt's example ("PAV：基于…") or a stock phrase keeps Latin
    names that are not in this paper's title.
    """
    if not translated.strip() or _squash(translated) == _squash(original):
        return False
    mix = script_mix(translated)
    if lang == "zh":
        if mix.share("han") < 0.3 or mix.share("kana", "hangul") > 0.1:
            return False
    elif mix.share("latin") < 0.8 or script_mix(original).share("latin") >= 0.8:
        return False  # an English title needs no English "translation"
    names = {w.casefold() for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", translated) if len(w) > 1}
    known = set(re.findall(r"[a-z0-9-]+", original.casefold()))
    return lang != "zh" or names <= known


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())
