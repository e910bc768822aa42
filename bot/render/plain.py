"""Plain-text rendering, for the CLI's piped output, logs and tests."""

from __future__ import annotations

from bot.render.document import Block, Line, leaf_document
from bot.replies import Reply, flatten


def document(reply: Reply) -> list[Block]:
    return [block for leaf in flatten(reply) for block in leaf_document(leaf)]


def render_line(line: Line) -> str:
    out = []
    for span in line:
        if span.url and span.url != span.text:
            out.append(f"{span.text} <{span.url}>")
        else:
            out.append(span.text)
    return "".join(out)


def render_block(block: Block) -> str:
    lines = [render_line(line) for line in block.lines]
    if block.kind == "heading":
        text = lines[0] if lines else ""
        return f"{text}\n{'=' * min(len(text) * 2, 60)}"
    if block.kind == "error":
        return "⚠ " + "\n".join(lines)
    if block.kind == "bullets":
        body = "\n".join(f"  • {line}" for line in lines)
        return f"{block.title}:\n{body}" if block.title else body
    if block.kind == "section":
        return f"{block.title}\n" + "\n".join(f"  {line}" for line in lines)
    return "\n".join(lines)


def render(reply: Reply) -> str:
    return "\n\n".join(render_block(b) for b in document(reply))
