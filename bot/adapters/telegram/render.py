"""Neutral replies as Telegram HTML messages: escaped, split, with buttons.

Why HTML and not MarkdownV2: HTML needs only ``<``, ``>`` and ``&`` escaped, so a
title full of LaTeX (``$\\mathcal{O}(n^2)$``, ``*``, ``_``) shows as written. Every
span is escaped here and nowhere else. Splitting happens on the plain blocks
(:func:`bot.render.split.pack`) so a tag is never cut in half, and the limit is
checked on the rendered HTML, which is longer than what Telegram counts (it counts
after entity parsing, in UTF-16 code units) — except for text full of astral-plane
characters, which :func:`render_messages` re-packs tighter.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.ports import parse_save_data, parse_vote_data
from bot.render.document import Action, Block, Line, Span, leaf_document
from bot.render.split import Message, pack
from bot.replies import Answer, Digest, Error, Summary, Text

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
BUTTONS_PER_ROW = 2
MAX_BUTTONS = 100

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: HTML text plus the follow-up commands offered as buttons."""

    html: str
    buttons: tuple[Action, ...] = ()


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def render_span(span: Span, *, bold: bool | None = None, italic: bool | None = None) -> str:
    text = escape(span.text)
    if not text:
        return ""
    if span.bold if bold is None else bold:
        text = f"<b>{text}</b>"
    if span.italic if italic is None else italic:
        text = f"<i>{text}</i>"
    if span.url and _linkable(span.url):
        text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
    return text


def render_line(line: Line, *, bold: bool | None = None, italic: bool | None = None) -> str:
    return "".join(render_span(span, bold=bold, italic=italic) for span in line)


def render_block(block: Block) -> str:
    """One block as HTML whose tags all open and close inside the block."""
    if block.kind == "heading":
        return "\n".join(_wrap("b", render_line(line, bold=False)) for line in block.lines)
    if block.kind == "note":
        return "\n".join(
            render_line(line) if all(s.italic for s in line) else _wrap("i", render_line(line, italic=False))
            for line in block.lines
        )
    if block.kind == "error":
        return "⚠️ " + "\n".join(render_line(line) for line in block.lines)
    if block.kind == "bullets":
        body = "\n".join(f"• {render_line(line)}" for line in block.lines)
    else:  # para, section
        body = "\n".join(render_line(line) for line in block.lines)
    if block.kind == "para" and not block.title:
        return body
    if block.expandable and body:
        body = f"<blockquote expandable>{body}</blockquote>"
    if block.title:
        title = f"<b>{escape(block.title)}</b>"
        return f"{title}\n{body}" if body else title
    return body


def render_messages(reply: Text | Error | Digest | Summary | Answer, max_len: int = MAX_TEXT) -> list[Outgoing]:
    """Render and split one leaf reply; every message fits Telegram's limit."""
    blocks = leaf_document(reply)
    limit = max_len
    while True:
        messages = pack(blocks, render_block, limit)
        worst = max((telegram_length(m.text) for m in messages), default=0)
        if worst <= max_len or limit <= 256:
            break
        # Astral characters count twice in UTF-16; shrink by the overshoot and pack again.
        limit = max(256, limit - (worst - max_len) - 16)
    return [_outgoing(m) for m in messages if m.text.strip()]


def _outgoing(message: Message) -> Outgoing:
    buttons = tuple(a for a in message.actions if len(a.command.encode()) <= MAX_CALLBACK_DATA)
    return Outgoing(message.text, buttons[:MAX_BUTTONS])


def button_rows(actions: tuple[Action, ...]) -> list[list[Action]]:
    """Commands two to a row; a paper's 👍/👎/🔖 share the row of its "Full summary" button."""
    if not any(_taps(a) for a in actions):
        return [list(actions[i : i + BUTTONS_PER_ROW]) for i in range(0, len(actions), BUTTONS_PER_ROW)]
    rows: list[list[Action]] = []
    for action in actions:
        if rows and _taps(action):
            rows[-1].append(action)
        else:
            rows.append([action])
    return rows


def _taps(action: Action) -> bool:
    """A button answered in place (a vote or a save), not a command run."""
    return parse_vote_data(action.command) is not None or parse_save_data(action.command) is not None


def caption_for(reply: Summary) -> str:
    """The figure caption: the paper title, cut to fit the 1024-character caption limit."""
    title = reply.result.paper.title
    if len(title) > MAX_CAPTION - 1:
        title = title[: MAX_CAPTION - 2] + "…"
    return f"<b>{escape(title)}</b>"


def plain_text(markup: str) -> str:
    """What Telegram shows for our HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def telegram_length(markup: str) -> int:
    """Length as Telegram counts it: after entity parsing, in UTF-16 code units."""
    return len(plain_text(markup).encode("utf-16-le")) // 2


def _wrap(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>" if inner else ""


def _linkable(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "tg") and bool(parts.netloc or parts.scheme == "tg")
