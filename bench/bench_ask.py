"""/ask cost: model calls per question, cache-hit latency, and tokens for a PDF versus text passages.

50 questions over 10 real papers, sent through the whole command path (dispatcher,
quotas, handler, service, cache) of a core on the loopback fakes: fake arXiv serving
generated PDFs, fake Gemini behind the real google-genai client, and the fake
OpenAI-compatible server behind the real openai client for the text-passage run. A
question should cost one call the first time and none when asked again (by anyone).

    .venv/bin/python bench/bench_ask.py
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for _name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GEMINI_BASE_URL",
              "OPENAI_API_KEY"):
    os.environ.pop(_name, None)

from bench.report import write_results  # noqa: E402
from bot.adapters.console import CONSOLE_CHAT  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.replies import Answer  # noqa: E402
from bot.store.summaries import percentile  # noqa: E402
from tests.ask_support import model_settings  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.clock import ManualClock  # noqa: E402
from tests.fakes.gemini import FakeGemini, ScriptedModel  # noqa: E402
from tests.fakes.openai_compat import FakeOpenAI  # noqa: E402
from tests.summarizer_support import make_pdf, papers  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ask.json"
PAPERS = 10
QUESTIONS = ("what does the Zanzibar calibration trick align?", "what do the experiments evaluate?",
             "what does the conclusion say?", "what related work is discussed?",
             "what does the introduction motivate?")
NOW = "2026-11-20T12:00:00+00:00"


async def one_backend(fake: ScriptedModel, arxiv: FakeArxiv, tmp: Path) -> dict[str, Any]:
    from datetime import datetime

    settings = Settings(_env_file=None, db_path=tmp / f"{type(fake).__name__}.db",  # type: ignore[call-arg]
                        arxiv_api_url=f"{arxiv.url}/api/query", arxiv_rss_url=f"{arxiv.url}/rss",
                        arxiv_pdf_url=f"{arxiv.url}/pdf", arxiv_delay_seconds=0.0, language="en",
                        quota_user_model_calls=1000, quota_admin_model_calls=1000, quota_chat_model_calls=1000,
                        ask_chat_calls=1000, **model_settings(fake, llm_timeout_seconds=30.0,
                                                               arxiv_timeout_seconds=30.0))
    core = await Core.create(settings, ManualClock(datetime.fromisoformat(NOW)))
    batch = [(p, q) for p in papers(PAPERS) for q in QUESTIONS]

    async def ask(paper_id: str, question: str, user: str) -> Answer:
        reply = await core.dispatcher.dispatch_line(f"/ask {paper_id} {question}", user_id=user, chat=CONSOLE_CHAT,
                                                    can_admin=False)
        assert isinstance(reply, Answer), reply
        return reply

    try:
        misses: list[int] = []
        for paper, question in batch:
            calls = fake.calls
            await ask(paper.id, question, "first")
            misses.append(fake.calls - calls)
        repeats: list[int] = []
        latencies: list[float] = []
        for paper, question in batch:  # the same questions from someone else: the cache answers
            calls, started = fake.calls, time.perf_counter()
            await ask(paper.id, question.upper(), "second")
            latencies.append((time.perf_counter() - started) * 1000)
            repeats.append(fake.calls - calls)
        row = await core.store.db.fetchone(
            "SELECT COUNT(*), SUM(tokens_in), SUM(tokens_out) FROM llm_calls WHERE kind = 'ask'")
        stats = await core.store.answers.stats()
    finally:
        await core.close()
    latencies.sort()
    answered = len(batch)
    return {
        "model": settings.gemini_model if isinstance(fake, FakeGemini) else settings.openai_model,
        "questions": answered,
        "calls_per_question_miss": sum(misses) / answered,
        "calls_per_question_repeat": sum(repeats) / answered,
        "cache_hit_ms": {"p50": round(latencies[percentile(list(range(answered)), 50)], 2),
                         "p95": round(latencies[percentile(list(range(answered)), 95)], 2)},
        "tokens_in_per_answer": round(int(row[1] or 0) / answered),
        "tokens_out_per_answer": round(int(row[2] or 0) / answered),
        "pdf_attached": sum(1 for r in fake.requests if getattr(r, "pdfs", None)),
        "stats": stats,
    }


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {"papers": PAPERS, "questions_per_paper": len(QUESTIONS),
                               "python": platform.python_version()}
    async with FakeArxiv() as arxiv:
        for paper in papers(PAPERS):
            arxiv.pdfs[paper.id] = make_pdf(paper)
        with tempfile.TemporaryDirectory() as tmp:
            async with FakeGemini() as gemini:
                results["pdf"] = await one_backend(gemini, arxiv, Path(tmp))
            async with FakeOpenAI() as openai_fake:
                results["text_passages"] = await one_backend(openai_fake, arxiv, Path(tmp))
    return results


def main() -> None:
    result = asyncio.run(run())
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_results()
    for name in ("pdf", "text_passages"):
        r = result[name]
        print(f"{name:<14} {r['model']:<18} calls/question miss {r['calls_per_question_miss']:.2f}, repeat "
              f"{r['calls_per_question_repeat']:.2f}; cache hit p95 {r['cache_hit_ms']['p95']} ms; "
              f"tokens/answer in {r['tokens_in_per_answer']} out {r['tokens_out_per_answer']}")
    print(f"results written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
