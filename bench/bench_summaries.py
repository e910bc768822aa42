"""Model calls, tokens and cache latency per paper, against the loopback fakes.

The reference pipeline (the two digests in ../shared/reference) made four model calls
per paper, for every digest it wrote. Here a paper should cost one call per language
and kind, nothing for later chats, and nothing for a brief once its full summary
exists. Real google-genai client, fake Gemini and fake arXiv serving generated PDFs.

    .venv/bin/python bench/bench_summaries.py [N]
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for _name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GEMINI_BASE_URL"):
    os.environ.pop(_name, None)

from bot.arxiv.source import ArxivSource  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.summaries import percentile  # noqa: E402
from bot.summarizer.service import Summarizer  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.gemini import FakeGemini  # noqa: E402
from tests.summarizer_support import gemini_settings, make_pdf, papers  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "summaries.json"
REFERENCE_CALLS_PER_PAPER = 4
CACHE_HITS = 200
CHATS = 10


async def run(n: int) -> dict[str, object]:
    gemini, arxiv = FakeGemini(), FakeArxiv()
    await gemini.start()
    await arxiv.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = gemini_settings(Path(tmp), gemini, arxiv, llm_timeout_seconds=30.0, arxiv_timeout_seconds=30.0)
        store = await Store.open(Path(tmp) / "bench.db")
        source = ArxivSource(settings)
        summarizer = Summarizer(settings, store, source)
        batch = papers(n)
        for p in batch:
            arxiv.pdfs[p.id] = make_pdf(p)
        try:
            phases: dict[str, dict[str, float]] = {}

            async def phase(name: str, work: object) -> None:
                calls, started = gemini.calls, time.perf_counter()
                rows_before = await store.db.fetchone("SELECT COUNT(*), COALESCE(SUM(tokens_in),0), "
                                                      "COALESCE(SUM(tokens_out),0) FROM llm_calls")
                await work  # type: ignore[misc]
                rows = await store.db.fetchone("SELECT COUNT(*), COALESCE(SUM(tokens_in),0), "
                                               "COALESCE(SUM(tokens_out),0) FROM llm_calls")
                phases[name] = {
                    "calls_per_paper": (gemini.calls - calls) / n,
                    "tokens_in_per_paper": (rows[1] - rows_before[1]) / n,
                    "tokens_out_per_paper": (rows[2] - rows_before[2]) / n,
                    "seconds": round(time.perf_counter() - started, 3),
                }

            async def fulls(language: str) -> None:
                await asyncio.gather(*(summarizer.summarize(p, "full", language) for p in batch))

            async def chats(language: str) -> None:
                for _ in range(CHATS):
                    await summarizer.briefs(batch, language)

            await phase("brief (zh digest, first chat)", summarizer.briefs(batch, "zh"))
            await phase(f"brief again ({CHATS} more chats)", chats("zh"))
            await phase("full (zh /summarize, PDF)", fulls("zh"))
            await phase("full (en /summarize, PDF)", fulls("en"))
            await phase("brief after full (en digest)", summarizer.briefs(batch, "en"))
            gemini.queue(*(["degenerate"] * max(1, n // 5)))
            await phase("brief (new versions, 1 in 5 answers degenerate)",
                        summarizer.briefs([dataclasses.replace(p, version=p.version + 1) for p in batch], "en"))

            latencies: list[float] = []
            for i in range(CACHE_HITS):
                started = time.perf_counter()
                result = await summarizer.summarize(batch[i % n], "brief", "zh")
                latencies.append((time.perf_counter() - started) * 1000)
                assert result.outcome == "cached"
            latencies.sort()
            pdf_attached = sum(1 for r in gemini.requests if r.pdfs)
            stats = await summarizer._summaries.stats()  # noqa: SLF001 - the bench reads what `paperbot stats` shows
        finally:
            await summarizer.aclose()
            await source.aclose()
            await store.close()
            await gemini.stop()
            await arxiv.stop()
    brief = phases["brief (zh digest, first chat)"]["calls_per_paper"]
    full = phases["full (zh /summarize, PDF)"]["calls_per_paper"]
    return {
        "papers": n,
        "python": platform.python_version(),
        "phases": phases,
        "calls_per_paper_brief_plus_full": brief + full,
        "reference_calls_per_paper": REFERENCE_CALLS_PER_PAPER,
        "cache_hit_ms": {"p50": round(_pct(latencies, 50), 2), "p95": round(_pct(latencies, 95), 2),
                         "n": CACHE_HITS},
        "gemini_requests_with_pdf": pdf_attached,
        "stats": stats,
    }


def _pct(sorted_values: list[float], pct: float) -> float:
    """Nearest rank, like ``paperbot stats``."""
    return sorted_values[percentile(list(range(len(sorted_values))), pct)] if sorted_values else 0.0


def report(result: dict[str, object]) -> None:
    phases: dict[str, dict[str, float]] = result["phases"]  # type: ignore[assignment]
    print(f"\nSummaries for {result['papers']} real papers (fake Gemini, real google-genai client)\n")
    print(f"{'phase':<52} {'calls/paper':>11} {'tok in/paper':>13} {'tok out/paper':>14}")
    for name, row in phases.items():
        print(f"{name:<52} {row['calls_per_paper']:>11.2f} {row['tokens_in_per_paper']:>13.0f} "
              f"{row['tokens_out_per_paper']:>14.0f}")
    hits = result["cache_hit_ms"]
    print(f"\nbrief + full: {result['calls_per_paper_brief_plus_full']:.2f} calls/paper "
          f"(reference pipeline: {result['reference_calls_per_paper']} per paper, per digest)")
    print(f"cache hit latency over {hits['n']} hits: p50 {hits['p50']} ms, p95 {hits['p95']} ms")  # type: ignore[index]
    print(f"results written to {RESULTS.relative_to(ROOT)}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    result = asyncio.run(run(n))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    from bench.report import write_results

    write_results()  # RESULTS.md from the JSON just saved
    report(result)


if __name__ == "__main__":
    main()
