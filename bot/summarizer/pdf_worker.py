"""Parse an untrusted PDF in a child process that can be killed and cannot eat the bot's memory.

Why a process: pdfium and pypdf run long native or pure-Python loops that no thread
can interrupt. In review a 27 KB crafted PDF kept a parsing thread busy for 22 s, and a
262 KB one grew the bot to 1.3 GB, because a flate stream can expand a thousandfold.
A child process gets a wall-clock timeout (killed when it is over), an address-space
cap (``RLIMIT_AS``: a runaway allocation fails inside the child) and a CPU-time cap
(in case the parent dies and cannot kill it). The worst a PDF can do is fail its own
parse, and the caller then falls back to the abstract. ``ProcessPoolExecutor`` is
not used: its workers cannot be killed one at a time, and a dead worker breaks the pool.

Protocol: ``python -m bot.summarizer.pdf_worker MODE OPTIONS_JSON`` with the PDF on
stdin and one JSON document on stdout. MODE ``text`` answers the fields of
:class:`bot.summarizer.pdf.PdfText` (or null), ``figures`` a list of base64 PNGs.
A child costs ~0.2 s to start, next to a summary's several seconds of model time.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]  # holds the ``bot`` package, for ``-m``
# At most two parses at once (the machines have two cores; each child may take 1 GiB).
_PARALLEL = asyncio.Semaphore(2)


@dataclass(frozen=True)
class WorkerLimits:
    """What one parse may cost. Real arXiv papers parse in a second or two within ~100 MB."""

    timeout: float = 20.0  # seconds of wall-clock time, start-up included
    memory_bytes: int = 1 << 30  # address space of the child
    max_pages: int = 60  # pages read for text; the page count itself is still reported
    page_chars: int = 20_000  # characters kept per page (a dense page has ~6,000)


class WorkerFailed(Exception):
    """The child timed out, crashed, ran out of memory or answered nonsense."""


async def run_worker(mode: str, pdf: bytes, limits: WorkerLimits, **options: Any) -> Any:
    """The child's JSON answer for ``mode``; raises :class:`WorkerFailed` instead of waiting or crashing."""
    settings = {"memory_bytes": limits.memory_bytes, "cpu_seconds": math.ceil(limits.timeout) + 1,
                "max_pages": limits.max_pages, "page_chars": limits.page_chars, **options}
    async with _PARALLEL:
        return await _run(mode, pdf, limits, settings)


async def _run(mode: str, pdf: bytes, limits: WorkerLimits, settings: dict[str, Any]) -> Any:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.summarizer.pdf_worker", mode, json.dumps(settings),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=_ROOT,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(pdf), limits.timeout)
    except TimeoutError:
        raise WorkerFailed(f"parsing took longer than {limits.timeout:g} s") from None
    finally:
        if proc.returncode is None:  # timed out or cancelled: never leave the child running
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise WorkerFailed(f"the parser exited with status {proc.returncode} ({tail[0][:200]})")
    try:
        return json.loads(out)
    except ValueError:
        raise WorkerFailed("the parser's answer was unreadable") from None


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: the wall-clock timeout still applies
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def main(argv: list[str]) -> int:
    """The child: limits first, then read the PDF, parse it and print JSON."""
    mode, settings = argv[0], json.loads(argv[1])
    _limit(int(settings["memory_bytes"]), int(settings["cpu_seconds"]))
    pdf = sys.stdin.buffer.read()
    result: Any
    if mode == "text":
        from bot.summarizer.pdf import extract_text

        text = extract_text(pdf, int(settings["budget_chars"]), max_pages=int(settings["max_pages"]),
                            page_chars=int(settings["page_chars"]))
        result = dataclasses.asdict(text) if text is not None else None
    elif mode == "figures":
        from bot.summarizer.figures import extract_figures

        figures = extract_figures(pdf, max_pages=int(settings["max_pages"]))
        result = [base64.b64encode(png).decode("ascii") for png in figures]
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
