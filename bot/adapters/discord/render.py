"""Render neutral replies as Discord messages: content, embeds and attachments.

Discord enforces its limits only with a 400 (code 50035) after the fact, and
discord.py checks nothing but "at most 10 embeds", so every piece built here is cut
to its limit *after* escaping (the backslashes count too), and :func:`fit_embeds`
spreads embeds over as many messages as the 10-embed / 6000-character rules need.

Text is escaped for Discord markdown and mentions everywhere it is rendered as
markdown (content, titles, descriptions, fields); URLs are left intact because a
backslash inside a URL breaks the link. Footers do not render markdown, so they are
not escaped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import discord

from bot.i18n import t
from bot.models import Paper
from bot.render.document import Block, Span, digest_header, leaf_document
from bot.render.split import fit_block, pack
from bot.replies import Answer, Digest, DigestEntry, Error, Reply, Summary, Text, flatten

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_FILES = 10
PAPERS_PER_MESSAGE = 5  # one row of buttons per paper (Full summary, 👍, 👎, 🔖) and Discord allows 5 rows

COLOUR = discord.Colour(0xB31B1B)  # arXiv red
ELLIPSIS = "…"

# Discord's own URL pattern (discord.utils._URL_REGEX), so what we leave unescaped is what it links.
_URL = re.compile(r"(<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])")


@dataclass
class OutMessage:
    """One Discord message to send; files are PNG bytes because a ``discord.File`` is single-use."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    ephemeral: bool = False  # only meaningful as an interaction reply
    votes: list[tuple[int, str]] = field(default_factory=list)  # (number, paper id): 👍/👎 buttons to show
    language: str = "en"  # of the button labels

    def discord_files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(data), filename=name) for name, data in self.files]


# --- escaping and cutting -------------------------------------------------------------


_BRACKETS = str.maketrans({"[": "\\[", "]": "\\]", "<": "\\<"})


def escape(text: str) -> str:
    """Show ``text`` as written: no bold from ``*``, no pings from ``@everyone``, URLs untouched."""
    out: list[str] = []
    for i, part in enumerate(_URL.split(text)):
        if i % 2:  # a URL
            out.append(part)
        elif part:
            escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(part))
            # Masked links ([text](url)) and <@&role>/<#channel> forms are markup too.
            out.append(escaped.translate(_BRACKETS))
    return "".join(out)


def fit(text: str, limit: int, *, escaped: bool = True) -> str:
    """Escape (optionally) and cut ``text`` so the result is at most ``limit`` characters.

    Cutting the plain text and escaping again (rather than cutting the escaped text)
    never leaves half an escape sequence or half a URL behind.
    """
    render = escape if escaped else (lambda s: s)
    full = render(text)
    if len(full) <= limit:
        return full
    lo, hi = 0, len(text)
    while lo < hi:  # longest plain prefix whose rendering plus "…" fits
        mid = (lo + hi + 1) // 2
        if len(render(text[:mid].rstrip()) + ELLIPSIS) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return render(text[:lo].rstrip()) + ELLIPSIS


def _span(span: Span) -> str:
    body = escape(span.text)
    if not body.strip():
        return body
    if span.url and span.url != span.text:
        body = f"[{body.replace(']', '')}]({span.url.replace(')', '%29')})"
    if span.bold:
        body = f"**{body}**"
    if span.italic:
        body = f"*{body}*"
    return body


def render_lines(block: Block) -> str:
    """A block as Discord markdown, one line per line; the block title is shown by the caller."""
    prefix = "• " if block.kind == "bullets" else ""
    return "\n".join(prefix + "".join(_span(s) for s in line) for line in block.lines)


def _render_block(block: Block) -> str:
    body = render_lines(block)
    if block.kind == "heading":
        return body
    if block.title:
        return f"**{escape(block.title)}**\n{body}"
    return body


# --- packing ---------------------------------------------------------------------------


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6000 per-message total."""
    return len(embed)


def fit_embeds(embeds: Iterable[discord.Embed], max_embeds: int = MAX_EMBEDS) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most ``max_embeds`` (10) embeds and 6000 characters, keeping order."""
    groups: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    total = 0
    for embed in embeds:
        size = embed_size(embed)
        if size > MAX_TOTAL:
            raise ValueError(f"one embed holds {size} characters; the builder must keep it under {MAX_TOTAL}")
        if current and (len(current) >= max_embeds or total + size > MAX_TOTAL):
            groups.append(current)
            current, total = [], 0
        current.append(embed)
        total += size
    if current:
        groups.append(current)
    return groups


def embed_problems(embed: discord.Embed) -> list[str]:
    """Every Discord limit this embed breaks (empty when it is valid); used by tests and asserts."""
    problems = []
    if len(embed.title or "") > MAX_TITLE:
        problems.append("title > 256")
    if len(embed.description or "") > MAX_DESCRIPTION:
        problems.append("description > 4096")
    if len(embed.fields) > MAX_FIELDS:
        problems.append("more than 25 fields")
    for f in embed.fields:
        if not f.name or len(f.name) > MAX_FIELD_NAME:
            problems.append("field name empty or > 256")
        if not f.value or len(f.value) > MAX_FIELD_VALUE:
            problems.append("field value empty or > 1024")
    if len(embed.footer.text or "") > MAX_FOOTER:
        problems.append("footer > 2048")
    if embed_size(embed) > MAX_TOTAL:
        problems.append("embed > 6000")
    return problems


def _messages_from_embeds(
    embeds: list[discord.Embed], first_content: str | None, last_note: str | None, files: list[tuple[str, bytes]],
    max_embeds: int = MAX_EMBEDS,
) -> list[OutMessage]:
    groups = fit_embeds(embeds, max_embeds) or [[]]
    messages = [OutMessage(embeds=group) for group in groups]
    messages[0].content = first_content
    messages[0].files = files[:MAX_FILES]
    if last_note:
        last = messages[-1]
        last.content = fit(f"{last.content}\n{last_note}" if last.content else last_note, MAX_CONTENT, escaped=False)
    return messages


# --- replies ---------------------------------------------------------------------------


def render(reply: Reply) -> list[OutMessage]:
    """Every message for one reply, in order."""
    out: list[OutMessage] = []
    for leaf in flatten(reply):
        if isinstance(leaf, Digest):
            out.extend(render_digest(leaf))
        elif isinstance(leaf, Summary):
            out.extend(render_summary(leaf))
        else:
            out.extend(render_text(leaf))
    return out


def render_text(reply: Text | Error | Answer) -> list[OutMessage]:
    """Plain replies, and answers about a paper, as message content (an error only to its asker)."""
    messages = pack(leaf_document(reply), _render_block, MAX_CONTENT, separator="\n")
    return [OutMessage(content=m.text, ephemeral=isinstance(reply, Error)) for m in messages if m.text.strip()] or [
        OutMessage(content="\u200b", ephemeral=isinstance(reply, Error))
    ]


def render_digest(digest: Digest) -> list[OutMessage]:
    lang = digest.language
    header = f"**{fit(digest_header(digest), MAX_CONTENT - 200)}**"
    if digest.no_announcement or not digest.entries:
        note = t(lang, "no_announcement") if digest.no_announcement else t(lang, "digest_empty")
        return [OutMessage(content=f"{header}\n{escape(note)}")]
    count = escape(t(lang, "digest_count", n=len(digest.entries) + digest.more))
    embeds = [paper_embed(entry, n, lang) for n, entry in enumerate(digest.entries, 1)]
    more = fit(t(lang, "digest_more", n=digest.more, topic=digest.topic.name), 1000) if digest.more else None
    messages = _messages_from_embeds(embeds, f"{header}\n{count}", more, [], max_embeds=PAPERS_PER_MESSAGE)
    papers = iter(enumerate((e.paper.id for e in digest.entries), 1))
    for message in messages:  # each message's embeds are the next papers, in order
        message.votes = [next(papers) for _ in message.embeds]
        message.language = lang
    return messages


def paper_embed(entry: DigestEntry, number: int, lang: str) -> discord.Embed:
    """One paper of a digest; per-piece budgets keep any paper well inside one message."""
    paper, summary = entry.paper, entry.summary
    lines = [
        f"*{escape(t(lang, 'authors'))}:* {fit(_authors(paper), 700)}",
        _links(paper, entry.code_links, lang),
    ]
    if entry.reason:
        lines.insert(0, f"*{fit(entry.reason, 300)}*")
    if paper.comment:
        lines.append(f"*{escape(t(lang, 'comment'))}:* {fit(paper.comment, 400)}")
    lines.append(f"**{escape(t(lang, 'summary'))}:** {fit(summary.content.one_line, 600)}")
    if summary.content.takeaways:
        lines.append(f"**{escape(t(lang, 'takeaways'))}**")
        lines.extend(f"• {fit(item, 300)}" for item in summary.content.takeaways[:8])
    embed = discord.Embed(
        title=fit(f"{number}. {paper.title}", MAX_TITLE),
        url=paper.abs_url,
        description=_cut_lines(lines, MAX_DESCRIPTION),
        colour=COLOUR,
    )
    embed.set_footer(text=fit(f"{summary.label} · /summarize {paper.id}", 300, escaped=False))
    return embed


def render_summary(reply: Summary) -> list[OutMessage]:
    result, lang = reply.result, reply.language
    paper, full = result.paper, result.full
    lines: list[str] = []
    if full and full.title_translated.strip() and full.title_translated.strip() != paper.title.strip():
        lines.append(f"*{escape(t(lang, 'title_translated'))}:* {fit(full.title_translated, 400)}")
    lines.append(f"*{escape(t(lang, 'authors'))}:* {fit(_authors(paper, 30), 1200)}")
    if full and full.affiliations:
        lines.append(f"*{escape(t(lang, 'affiliations'))}:* {fit('; '.join(full.affiliations), 600)}")
    if full and full.keywords:
        lines.append(f"*{escape(t(lang, 'keywords'))}:* {fit(', '.join(full.keywords), 300)}")
    lines.append(_links(paper, reply.code_links, lang))
    if paper.comment:
        lines.append(f"*{escape(t(lang, 'comment'))}:* {fit(paper.comment, 400)}")
    lines.append(f"**{escape(t(lang, 'summary'))}:** {fit(result.content.one_line, 800)}")

    sections: list[tuple[str, Block]] = []
    if result.content.takeaways:
        sections.append((t(lang, "takeaways"), _bullets(result.content.takeaways)))
    if full:
        for key, body in (
            ("background", full.background), ("past_methods", full.past_methods),
            ("proposed_method", full.proposed_method), ("task_and_performance", full.task_and_performance),
        ):
            if body.strip():
                sections.append((t(lang, key), Block("section", ((Span(body),),))))
        if full.method_steps:
            steps = tuple((Span(f"{i}. {s}"),) for i, s in enumerate(full.method_steps, 1))
            sections.append((t(lang, "method_steps"), Block("section", steps)))
        c = full.conclusion
        rows = tuple(
            (Span(f"{t(lang, key)}: ", bold=True), Span(value))
            for key, value in (("significance", c.significance), ("innovation", c.innovation),
                               ("performance", c.performance), ("workload", c.workload))
            if value.strip()
        )
        if rows:
            sections.append((t(lang, "conclusion"), Block("section", rows)))

    fields = [pair for title, block in sections for pair in _fields(title, block)]
    footer = fit(" · ".join([result.label] + ([result.note] if result.note else [])), 500, escaped=False)
    first = discord.Embed(
        title=fit(paper.title, MAX_TITLE), url=paper.abs_url,
        description=_cut_lines(lines, MAX_DESCRIPTION), colour=COLOUR,
    )
    embeds = _fill_fields(first, fields, footer)
    files = [(f"figure-{i}.png", png) for i, png in enumerate(result.figures[:MAX_FILES], 1)]
    return _messages_from_embeds(embeds, None, None, files)


# --- pieces ----------------------------------------------------------------------------


def _bullets(items: Iterable[str]) -> Block:
    return Block("bullets", tuple((Span(item),) for item in items))


def _fields(title: str, block: Block) -> list[tuple[str, str]]:
    """One section as fields of at most 1024 characters, cut at sentence boundaries."""
    name = fit(title, MAX_FIELD_NAME - 6)
    pieces = [render_lines(piece) for piece in fit_block(block, render_lines, MAX_FIELD_VALUE)]
    pieces = [p for p in pieces if p.strip()]
    return [(name if i == 0 else f"{name} ({i + 1})", piece) for i, piece in enumerate(pieces)]


def _fill_fields(first: discord.Embed, fields: list[tuple[str, str]], footer: str) -> list[discord.Embed]:
    """Put fields on embeds, opening a continuation embed at 25 fields or near 6000 characters."""
    embeds = [first]
    budget = MAX_TOTAL - len(footer)  # the footer goes on the last embed
    for name, value in fields:
        current = embeds[-1]
        if len(current.fields) >= MAX_FIELDS or embed_size(current) + len(name) + len(value) > budget:
            current = discord.Embed(colour=COLOUR)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    embeds[-1].set_footer(text=footer)
    return embeds


def _cut_lines(lines: list[str], limit: int) -> str:
    """Join lines, dropping whole trailing lines (then cutting the last) to respect ``limit``."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (1 if kept else 0)
        if used + extra > limit - 1:
            break
        kept.append(line)
        used += extra
    return "\n".join(kept) + ("\n" if kept else "") + ELLIPSIS


def _authors(paper: Paper, limit: int = 12) -> str:
    if len(paper.authors) <= limit:
        return ", ".join(paper.authors)
    return ", ".join(paper.authors[:limit]) + f", … (+{len(paper.authors) - limit})"


def _links(paper: Paper, code: tuple[str, ...], lang: str) -> str:
    parts = [f"[arXiv]({paper.abs_url})", f"[PDF]({paper.pdf_url})"]
    parts += [f"{escape(t(lang, 'code'))}: {url}" for url in code[:3] if len(url) <= 300]
    return " · ".join(parts)
