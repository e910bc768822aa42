"""At most so many model requests per minute, plus a shared pause after a 429.

Kept apart from :mod:`bot.summarizer.service` because it is plain arithmetic on
``time.monotonic()`` and is shared by every model call the service makes.
"""

from __future__ import annotations

import asyncio
import collections
import time


class RateWindow:
    """At most ``limit`` starts per ``period`` seconds, plus a shared pause after a 429."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period
        self._starts: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self._period:
                    self._starts.popleft()
                delay = self._paused_until - now
                if len(self._starts) >= self._limit:
                    delay = max(delay, self._starts[0] + self._period - now)
                if delay <= 0:
                    self._starts.append(now)
                    return
                await asyncio.sleep(delay)
