"""Pack rendered blocks into messages that fit a platform's length limit.

Splitting happens on the *plain* blocks, before markup is added: a block too long
for one message is cut into smaller blocks at paragraph, sentence or word
boundaries and each piece is rendered on its own. So a tag or an HTML entity is
never cut in half (Telegram answers that with "can't parse entities").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.render.document import Action, Block, Line, Span

Render = Callable[[Block], str]

_BOUNDARIES = ("\n\n", "\n", "。", ". ", "！", "? ", "；", "; ", "，", ", ", " ")


@dataclass(frozen=True)
class Message:
    text: str
    actions: tuple[Action, ...] = ()
    paper_ids: tuple[str, ...] = ()


def pack(blocks: list[Block], render: Render, max_len: int, separator: str = "\n\n") -> list[Message]:
    """Greedy packing; a paper's blocks (``keep_with_next``) stay together when they fit."""
    pieces: list[tuple[str, Block]] = []
    for block in blocks:
        for part in fit_block(block, render, max_len):
            pieces.append((render(part), part))

    messages: list[Message] = []
    texts: list[str] = []
    actions: list[Action] = []
    papers: list[str] = []
    length = 0

    def flush() -> None:
        nonlocal texts, actions, papers, length
        if texts:
            messages.append(Message(separator.join(texts), tuple(actions), tuple(dict.fromkeys(papers))))
        texts, actions, papers, length = [], [], [], 0

    i = 0
    while i < len(pieces):
        # A group is a run of keep_with_next pieces plus the piece that ends it.
        j = i
        while j < len(pieces) - 1 and pieces[j][1].keep_with_next:
            j += 1
        group = pieces[i : j + 1]
        group_len = sum(len(text) for text, _ in group) + len(separator) * (len(group) - 1)
        extra = group_len + (len(separator) if texts else 0)
        if texts and length + extra > max_len and group_len <= max_len:
            flush()
        for text, block in group:
            add = len(text) + (len(separator) if texts else 0)
            if texts and length + add > max_len:
                flush()
                add = len(text)
            texts.append(text)
            actions.extend(block.actions)
            if block.paper_id:
                papers.append(block.paper_id)
            length += add
        i = j + 1
    flush()
    return messages


def fit_block(block: Block, render: Render, max_len: int) -> list[Block]:
    """Cut one block into pieces whose rendering fits ``max_len``."""
    if len(render(block)) <= max_len:
        return [block]
    if len(block.lines) > 1:
        middle = len(block.lines) // 2
        first = replace(block, lines=block.lines[:middle], actions=(), keep_with_next=True)
        second = replace(block, lines=block.lines[middle:], title=None)
        return fit_block(first, render, max_len) + fit_block(second, render, max_len)
    line = block.lines[0] if block.lines else ()
    if sum(len(s.text) for s in line) <= 1:
        raise ValueError(f"max_len {max_len} is too small to hold one character of this block")
    head, tail = split_line(line)
    first = replace(block, lines=(head,), actions=(), keep_with_next=True)
    second = replace(block, lines=(tail,), title=None)
    return fit_block(first, render, max_len) + fit_block(second, render, max_len)


def split_line(line: Line) -> tuple[Line, Line]:
    """Cut a line near its middle at the best boundary, splitting the span that holds it."""
    text = "".join(s.text for s in line)
    cut = _cut_point(text)
    head: list[Span] = []
    tail: list[Span] = []
    offset = 0
    for span in line:
        end = offset + len(span.text)
        if end <= cut:
            head.append(span)
        elif offset >= cut:
            tail.append(span)
        else:
            local = cut - offset
            head.append(replace(span, text=span.text[:local].rstrip()))
            tail.append(replace(span, text=span.text[local:].lstrip()))
        offset = end
    return tuple(s for s in head if s.text), tuple(s for s in tail if s.text)


def _cut_point(text: str) -> int:
    middle = len(text) // 2
    window = max(1, len(text) // 4)
    for boundary in _BOUNDARIES:
        left = text.rfind(boundary, middle - window, middle + window)
        if left > 0:
            return left + len(boundary)
    return middle
