"""The console adapter: the whole bot in a terminal, one local user in one chat.

It is the default when no platform token is set, and what the handler tests drive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text as RichText

from bot.i18n import t
from bot.models import ChatRef
from bot.ports import Host, OnSent
from bot.render.document import Block, Line
from bot.render.plain import document
from bot.replies import Answer, Replies, Reply, Text, flatten

CONSOLE_CHAT = ChatRef("console", "local", "private")
CONSOLE_USER = "local"


class RichProgress:
    """Adapts the core's Progress protocol to a rich progress bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: int | None = None

    def start(self, total: int, label: str) -> None:
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=self.console, transient=True)
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)  # type: ignore[arg-type]

    def done(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def rich_line(line: Line) -> RichText:
    text = RichText()
    for span in line:
        style = ""
        if span.bold:
            style += " bold"
        if span.italic:
            style += " italic"
        if span.url:
            style += f" link {span.url}"
            if span.text != span.url and span.text in ("arXiv", "PDF"):
                text.append(span.text, style=style.strip() + " underline")
                text.append(f" {span.url}", style="dim")
                continue
        text.append(span.text, style=style.strip() or None)
    return text


def rich_block(block: Block) -> RichText:
    out = RichText()
    if block.kind == "heading":
        out.append_text(rich_line(block.lines[0]))
        out.stylize("bold cyan")
        return out
    if block.title:
        out.append(f"{block.title}\n", style="bold")
    for i, line in enumerate(block.lines):
        if i:
            out.append("\n")
        if block.kind == "bullets":
            out.append("  • ")
        elif block.kind == "section":
            out.append("  ")
        elif block.kind == "error":
            out.append("⚠ ", style="bold red")
        out.append_text(rich_line(line))
    if block.kind == "note":
        out.stylize("dim")
    if block.kind == "error":
        out.stylize("red")
    return out


class ConsoleAdapter:
    name = "console"

    def __init__(self, console: Console | None = None, read_line: Callable[[], str] | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=False)
        self._read_line = read_line or (lambda: self.console.input("[bold green]paperbot>[/] "))
        self.host: Host | None = None
        self._conversation: tuple[str, str] | None = None  # (paper id, thread) that plain lines continue

    async def start(self, host: Host) -> None:
        self.host = host

    async def stop(self) -> None:
        self.host = None

    async def send(self, chat: ChatRef, reply: Reply, *, skip: int = 0, on_sent: OnSent | None = None) -> list[str]:
        ids: list[str] = []
        for index, block in enumerate(document(reply)):
            if index < skip:
                continue
            self.console.print(rich_block(block))
            self.console.print()
            ids.append(f"console-{index}")
            if on_sent is not None:
                await on_sent(index, ids[-1])
        return ids

    async def handle_line(self, line: str) -> Reply | None:
        """One typed line. After an ``/ask``, plain lines are follow-ups about its paper until ``/done``."""
        assert self.host is not None, "start() first"
        line = line.strip()
        if not line:
            return None
        thread: str | None = None
        if self._conversation is not None and line in ("/done", "done"):
            paper_id, _ = self._conversation
            self._conversation = None
            return Text(t(await self.host.language(CONSOLE_CHAT), "ask_done", id=paper_id))
        if self._conversation is not None and not line.startswith("/"):
            paper_id, thread = self._conversation
            line = f"/ask {paper_id} {line}"
        elif not line.startswith("/"):
            line = "/" + line
        reply = await self.host.dispatch_line(
            line, user_id=CONSOLE_USER, chat=CONSOLE_CHAT, can_admin=True, dm_chat_id=CONSOLE_CHAT.chat_id,
            progress=RichProgress(self.console), thread=thread,
        )
        answers = [leaf for leaf in flatten(reply) if isinstance(leaf, Answer)]
        if answers and thread is None:  # a new conversation: say how to continue it
            self._conversation = (answers[-1].paper.id, answers[-1].thread)
            hint = t(answers[-1].language, "ask_follow_up_hint", id=answers[-1].paper.id)
            return Replies((reply, Text(hint)))
        return reply

    async def repl(self) -> None:
        """Read commands until EOF, /quit or Ctrl-C."""
        self.console.print("[bold]paperbot console[/] — type /help, /quit to leave.")
        while True:
            try:
                line = await asyncio.to_thread(self._read_line)
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip() in ("/quit", "/exit", "quit", "exit"):
                break
            reply = await self.handle_line(line)
            if reply is not None:
                await self.send(CONSOLE_CHAT, reply)
