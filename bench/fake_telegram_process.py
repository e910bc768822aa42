"""The fake Bot API in a process of its own, for benchmarks that measure the bot's memory.

Run in the benchmark's process, the fake's request log and messages showed up in the
bot's peak RSS (157 MB of 349 MB at 10,000 chats). Here it prints its URL on a line,
serves until its stdin closes, then prints what it saw as one JSON line: each message's
chat and arrival time, the 429s it answered, its busiest second and its own peak RSS.

    python bench/fake_telegram_process.py --channels -1001000000000 1000 [--no-limit]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram import FakeTelegram  # noqa: E402


async def serve(first: int, count: int, limited: bool) -> dict[str, object]:
    telegram = FakeTelegram()
    telegram.keep_requests = False
    telegram.global_rate = 30 if limited else None
    telegram.group_rate = 20 if limited else None
    for i in range(count):
        telegram.channel(first - i)
    async with telegram:
        print(telegram.api_url, telegram.token, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bench closes it
    return {
        "sent": [[m.chat_id, m.at] for m in telegram.sent],
        "rate_limited": telegram.rate_limited,
        "busiest_second": telegram.busiest_second,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent we were forked from."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", nargs=2, type=int, metavar=("FIRST", "COUNT"), required=True,
                        help="channel ids FIRST, FIRST-1, ... COUNT of them")
    parser.add_argument("--no-limit", action="store_true", help="enforce no rate")
    args = parser.parse_args()
    result = asyncio.run(serve(args.channels[0], args.channels[1], limited=not args.no_limit))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
