"""Fan-out: one 10-paper digest to 1,000 Telegram chats through the fake Bot API.

The fake enforces Telegram's 30 messages per second overall (sliding window) and
answers 429 with ``retry_after`` beyond it. We report the achieved rate as a
fraction of 30/s, the 429s received, and messages lost (planned but never sent).
The real TelegramAdapter, delivery records and scheduler catch-up do the work.

    python bench/bench_fanout.py            # BENCH_CHATS=200 for a quicker run
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot.adapters.telegram.adapter import TelegramAdapter  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.models import ChatRef  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.clock import ManualClock  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402

CHATS = int(os.environ.get("BENCH_CHATS", "1000"))
LISTING = date(2026, 11, 20)
LIMIT = 30.0
RESULTS = ROOT / "bench" / "results" / "fanout.json"


async def run() -> dict[str, object]:
    arxiv = FakeArxiv()
    telegram = FakeTelegram()
    telegram.group_rate = 20
    await arxiv.start()
    await telegram.start()
    arxiv.day = LISTING
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(
                arxiv, Path(tmp), llm_backend="extractive",
                telegram_bot_token=telegram.token, telegram_api_url=telegram.api_url, digest_max_papers=10,
                language="en",
            )
            clock = ManualClock(datetime(2026, 11, 20, 8, 1, tzinfo=UTC))
            core = await Core.create(settings, clock)
            adapter = TelegramAdapter(settings)
            await adapter.start(core.host)
            core.adapters[adapter.name] = adapter
            for i in range(CHATS):
                chat_id = -1001000000000 - i
                telegram.channel(chat_id)
                await core.store.subscriptions.upsert(ChatRef("telegram", str(chat_id), "channel"), "llm",
                                                      dtime(8, 0), "UTC")
            # Warm the day and the summaries so the measurement is the fan-out alone.
            topic = await core.topics.get("llm")
            assert topic is not None
            await core.digests.build(topic, "en")
            sent_before = len(telegram.sent)
            started = time.perf_counter()
            outcomes = await core.scheduler.catch_up()
            elapsed = time.perf_counter() - started
            recorded = await core.store.deliveries.count_messages()
            await adapter.stop()
            await core.close()
    finally:
        await arxiv.stop()
        await telegram.stop()
    delivered = len(telegram.sent) - sent_before
    per_chat = Counter(s.chat_id for s in telegram.sent[sent_before:])
    rate = delivered / elapsed
    return {
        "benchmark": "bench/bench_fanout.py",
        "python": platform.python_version(),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chats": CHATS,
        "papers_per_digest": 10,
        "digests_sent": sum(1 for o in outcomes.values() if o == "sent"),
        "messages_delivered": delivered,
        "messages_recorded": recorded,
        "messages_lost": recorded - delivered if recorded >= delivered else 0,
        "chats_missing": CHATS - len(per_chat),
        "messages_per_chat": sorted(set(per_chat.values())),
        "seconds": round(elapsed, 1),
        "messages_per_second": round(rate, 2),
        "fraction_of_30_per_second": round(rate / LIMIT, 3),
        "http_429_received": len(telegram.rate_limited),
    }


def main() -> None:
    result = asyncio.run(run())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
