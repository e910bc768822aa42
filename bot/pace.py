"""How often one person may act: a sliding minute per key, for votes, saves and commands.

:func:`time.monotonic` because only durations matter; the injected clock is for dates.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimited(Exception):
    def __init__(self, limit: int, retry_in: float = 60.0) -> None:
        super().__init__(f"more than {limit} a minute")
        self.limit = limit
        self.retry_in = retry_in  # seconds until the oldest counted action leaves the minute


class MinuteLimiter:
    """At most ``per_minute`` actions per key in any 60 s; ``per_minute`` 0 means no limit."""

    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._now = now
        self._recent: dict[str, deque[float]] = {}

    def take(self, who: str, n: int = 1) -> None:
        if self.per_minute <= 0:
            return
        now = self._now()
        recent = self._recent.setdefault(who, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) + n > self.per_minute:
            raise RateLimited(self.per_minute, max(1.0, recent[0] + 60 - now) if recent else 60.0)
        recent.extend([now] * n)
        if len(self._recent) > 100_000:  # forget people idle for a minute, so the table stays bounded
            self._recent = {k: v for k, v in self._recent.items() if v and v[-1] > now - 60}
