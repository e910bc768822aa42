"""Fan-out: one 10-paper digest to N Telegram chats through the fake Bot API.

The fake enforces Telegram's 30 messages per second overall and 20 per minute per
group (sliding windows) and answers 429 with ``retry_after`` beyond them. We report
the achieved rate as a fraction of 30/s, the 429s received, messages lost (planned
but never sent), when the first message arrived, how long each chat waited from its
first part to its last, and the bot's peak RSS (the fake runs in a process of its own,
``fake_telegram_process.py``, and reports its own). The real TelegramAdapter,
delivery pool, records and scheduler catch-up do the work.

    python bench/bench_fanout.py                         # 1,000 chats (about 2 minutes)
    python bench/bench_fanout.py --chats 10000           # about 18 minutes
    python bench/bench_fanout.py --chats 10000 --no-limit  # the bot's own ceiling

Each run is stored under its own key in results/fanout.json; RESULTS.md is rewritten from it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from datetime import time as dtime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bench.report import write_results  # noqa: E402
from bot.adapters.telegram.adapter import TelegramAdapter  # noqa: E402
from bot.adapters.telegram.limiter import FloodLimiter  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.models import ChatRef  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.clock import ManualClock  # noqa: E402

LISTING = date(2026, 11, 20)
LIMIT = 30.0
RESULTS = ROOT / "bench" / "results" / "fanout.json"
FIRST_CHANNEL = -1001000000000


async def run(chats: int, limited: bool) -> dict[str, object]:
    arxiv = FakeArxiv()
    telegram = await _start_fake_telegram(chats, limited)
    assert telegram.stdout is not None and telegram.stdin is not None
    api_url, token = (await telegram.stdout.readline()).decode().split()
    await arxiv.start()
    arxiv.day = LISTING
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(
                arxiv, Path(tmp), llm_backend="extractive",
                telegram_bot_token=token, telegram_api_url=api_url, digest_max_papers=10,
                language="en",
            )
            clock = ManualClock(datetime(2026, 11, 20, 8, 1, tzinfo=UTC))
            core = await Core.create(settings, clock)
            if not limited:
                # The bot's own ceiling: our limiter is lifted too (a bench, not a test, may do this).
                import bot.adapters.telegram.adapter as telegram_adapter

                telegram_adapter.FloodLimiter = partial(  # type: ignore[misc,assignment]
                    FloodLimiter, rate=1e6, burst=1e6, overall_max=10**9)
            adapter = TelegramAdapter(settings)
            await adapter.start(core.host)
            core.adapters[adapter.name] = adapter
            for i in range(chats):
                chat_id = FIRST_CHANNEL - i
                await core.store.subscriptions.upsert(ChatRef("telegram", str(chat_id), "channel"), "llm",
                                                      dtime(8, 0), "UTC")
            # Warm the day and the summaries so the measurement is the fan-out alone.
            topic = await core.topics.get("llm")
            assert topic is not None
            await core.digests.build(topic, "en")
            rss_before = _current_rss_mb()
            started_wall = time.time()  # the fake stamps each message with time.time()
            started = time.perf_counter()
            outcomes = await core.scheduler.catch_up()
            elapsed = time.perf_counter() - started
            recorded = await core.store.deliveries.count_messages()
            await adapter.stop()
            await core.close()
    finally:
        await arxiv.stop()
        telegram.stdin.close()
        seen = json.loads((await telegram.stdout.readline()).decode())
        await telegram.wait()
    messages = [(chat_id, at) for chat_id, at in seen["sent"] if at >= started_wall]
    delivered = len(messages)
    per_chat = Counter(chat_id for chat_id, _ in messages)
    first_at: dict[int | str, float] = {}
    last_at: dict[int | str, float] = {}
    for chat_id, at in messages:
        first_at.setdefault(chat_id, at)
        last_at[chat_id] = at
    spreads = sorted(last_at[c] - first_at[c] for c in first_at)
    rate = delivered / elapsed
    return {
        "benchmark": "bench/bench_fanout.py",
        "python": platform.python_version(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chats": chats,
        "platform_limits": limited,
        "delivery_concurrency": settings.delivery_concurrency,
        "papers_per_digest": 10,
        "digests_sent": sum(1 for o in outcomes.values() if o == "sent"),
        "messages_delivered": delivered,
        "messages_recorded": recorded,
        "messages_lost": recorded - delivered if recorded >= delivered else 0,
        "chats_missing": chats - len(per_chat),
        "messages_per_chat": sorted(set(per_chat.values())),
        "seconds": round(elapsed, 1),
        "messages_per_second": round(rate, 2),
        "fraction_of_30_per_second": round(rate / LIMIT, 3),
        "http_429_received": len(seen["rate_limited"]),
        "busiest_second_at_fake": seen["busiest_second"] if limited else None,
        "first_message_s": round(min(first_at.values()) - started_wall, 2) if first_at else None,
        "per_chat_spread_s": {"p50": round(statistics.median(spreads), 2),
                              "p95": round(spreads[int(0.95 * (len(spreads) - 1))], 2),
                              "max": round(spreads[-1], 2)} if spreads else None,
        # The fake Bot API runs in its own process (bench/fake_telegram_process.py): this is the bot alone.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_fanout_mb": rss_before,
        "fake_process": True,
        "fake_peak_rss_mb": seen["peak_rss_mb"],
    }


async def _start_fake_telegram(chats: int, limited: bool) -> asyncio.subprocess.Process:
    """The fake Bot API in its own process, so the bot's peak RSS is the bot's alone."""
    args = [sys.executable, str(ROOT / "bench" / "fake_telegram_process.py"),
            "--channels", str(FIRST_CHANNEL), str(chats), *([] if limited else ["--no-limit"])]
    return await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, limit=2**30)


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000, help="channels to fan out to (default 1000)")
    parser.add_argument("--no-limit", action="store_true", help="the fake enforces no rate: the bot's own ceiling")
    args = parser.parse_args()
    result = asyncio.run(run(args.chats, limited=not args.no_limit))
    key = f"{args.chats}" + ("-no-limit" if args.no_limit else "")
    runs = json.loads(RESULTS.read_text()).get("runs", {}) if RESULTS.exists() else {}
    runs[key] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "bench/bench_fanout.py", "runs": runs}, indent=2) + "\n")
    write_results()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
