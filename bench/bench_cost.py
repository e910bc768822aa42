"""Cost per day: arXiv requests and model calls for 1,000 chats over 5 topics and 2,000 papers.

The target is 1 RSS request plus ceil(papers / batch) API requests, and model calls
equal to the papers matched, once per language, however many chats get each digest.
Everything runs against the loopback fakes (arXiv, Gemini) with the real clients.

    python bench/bench_cost.py
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot.core import Core  # noqa: E402
from bot.models import ChatRef  # noqa: E402
from bot.topics.presets import PRESETS  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.clock import ManualClock  # noqa: E402
from tests.fakes.gemini import FakeGemini  # noqa: E402
from tests.fakes.recording import RecordingAdapter  # noqa: E402

PAPERS = 2_000
CHATS = int(os.environ.get("BENCH_CHATS", "1000"))
LISTING = date(2026, 11, 20)
RESULTS = ROOT / "bench" / "results" / "cost.json"

VOCAB = {
    "virtual-humans": ["avatar", "talking head", "digital human", "human avatar"],
    "llm": ["large language model", "LLM", "instruction tuning"],
    "diffusion": ["diffusion model", "denoising diffusion", "text-to-image"],
    "3d-vision": ["gaussian splatting", "neural radiance field", "NeRF"],
    "robotics": ["robot manipulation", "robot learning", "legged robot"],
}
FILLER = [
    "we", "study", "a", "problem", "in", "detail", "and", "propose", "a", "method", "that", "improves", "results",
    "on", "standard", "benchmarks", "with", "careful", "experiments", "and", "ablations", "across", "several",
    "settings",
]


def synthetic_papers(rng: random.Random) -> list[dict[str, object]]:
    categories = ["cs.CV", "cs.GR", "cs.CL", "cs.LG", "cs.AI", "cs.RO", "math.OC", "stat.ML"]
    papers = []
    for i in range(PAPERS):
        topic = rng.choice(list(VOCAB) + ["none", "none", "none"])
        phrase = rng.choice(VOCAB[topic]) if topic != "none" else "matrix factorization"
        primary = rng.choice(categories)
        cats = sorted({primary, rng.choice(categories)})
        stamp = (datetime(2026, 11, 19, 10, tzinfo=UTC) + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        papers.append({
            "id": f"2611.{10000 + i}v1", "title": f"A study of {phrase} number {i}",
            "authors": [f"Author {i} A", f"Author {i} B"],
            "summary": " ".join(rng.choices(FILLER, k=60)) + f" We focus on {phrase}.",
            "comment": "10 pages", "primary_category": primary, "categories": cats,
            "published": stamp, "updated": stamp,
        })
    return papers


async def run() -> dict[str, object]:
    rng = random.Random(20261120)
    arxiv = FakeArxiv(synthetic_papers(rng))
    gemini = FakeGemini()
    await arxiv.start()
    await gemini.start()
    arxiv.day = LISTING
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(
                arxiv, Path(tmp), llm_backend="gemini", language="zh",
                gemini_api_key="bench-key", gemini_base_url=gemini.url, llm_requests_per_minute=100_000,
                llm_concurrency=16, llm_daily_budget=100_000, digest_max_papers=200,
            )
            core = await Core.create(settings, ManualClock(datetime(2026, 11, 20, 8, 5, tzinfo=UTC)))
            adapter = RecordingAdapter(name="telegram")
            core.adapters["telegram"] = adapter
            topics = [t.name for t in PRESETS][:5]
            for i in range(CHATS):
                chat = ChatRef("telegram", str(-1000 - i), "group")
                await core.store.subscriptions.upsert(chat, topics[i % 5], datetime.min.time().replace(hour=8), "UTC")
                if i % 2:
                    await core.store.chats.update(chat, language="en")
            started = time.perf_counter()
            scheduler = core.scheduler
            outcomes = await scheduler.catch_up()
            elapsed = time.perf_counter() - started
            # Matching papers per topic, from the day the bot stored.
            from bot.digest import select

            day = await core.store.papers.load_day(sorted({c for t in PRESETS for c in t.categories}), LISTING)
            matched: set[str] = set()
            for topic in PRESETS[:5]:
                matched |= {p.id for p in select(topic, day.papers if day else [])}
            await core.close()
    finally:
        await arxiv.stop()
        await gemini.stop()
    rss = len([r for r in arxiv.requests if r.path.startswith("/rss")])
    api = len(arxiv.api_requests())
    announced = len({p.id for p in arxiv.papers.values()
                     if set(p.categories) & {c for t in PRESETS[:5] for c in t.categories}})
    batch = settings.arxiv_batch_size
    languages = 2
    return {
        "benchmark": "bench/bench_cost.py",
        "python": platform.python_version(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chats": CHATS, "topics": 5, "papers_in_feed": PAPERS, "papers_announced_for_subscribed_categories": announced,
        "languages": languages,
        "digests_sent": sum(1 for o in outcomes.values() if o == "sent"),
        "messages_recorded": len(adapter.sent),
        "arxiv_rss_requests": rss, "arxiv_api_requests": api,
        "arxiv_target": f"1 RSS + ceil({announced}/{batch}) = {1 + math.ceil(announced / batch)}",
        "papers_matched": len(matched),
        "model_calls": gemini.calls,
        "model_calls_target": len(matched) * languages,
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    result = asyncio.run(run())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    from bench.report import write_results

    write_results()  # RESULTS.md from the JSON just saved
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
