"""Telegram's flood limits, kept on our side: 30 messages a second overall, 20 a minute per group.

python-telegram-bot's ``AIORateLimiter`` gets both wrong for a large fan-out:

* Its overall limiter is a leaky bucket; to stay under 30 in every sliding second it
  has to run as a one-message bucket at 28/s, which loses every millisecond the event
  loop wakes late, and caps a fan-out at 0.93 of the limit at best.
* Above 512 groups it scans its whole per-group table on every request (0.45 ms per
  request at 1,000 chats, 4.7 ms at 10,000).

Pacing by the moment a request *leaves* is not enough either. Telegram counts a request
when it *arrives*, and the time between the two varies: a loaded machine or a stalled
event loop holds some requests back and then lets them go together with the next
second's (one such 429 was seen in a 10,000-chat fan-out). All we know for sure is that
a request arrives after we let it go and before its answer comes back. So each limit
here counts, over its window, every request still in flight plus every request answered
within the window; a new one leaves only while that count is below the limit. Then no
window at Telegram can hold more than the limit, however requests are delayed on the
way (see ``_Window``). A token bucket still spreads requests evenly inside the second.

Groups live in a least-recently-used table that drops a group once its last minute is
over, so every request costs O(1), whatever the number of chats.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20


class _Window:
    """At most ``limit`` requests in any ``period``, as counted where they arrive.

    Why it holds: take any ``limit + 1`` requests that arrive within one period at
    Telegram, and let *k* be the one we let go last. Every other one left before *k*
    and arrived within a period of *k*'s arrival, hence was answered after *k* left,
    minus a period. So when *k* asked, each of them was in flight or answered within
    the period: ``limit`` of them, and *k* would have been held back.
    """

    __slots__ = ("answered", "in_flight", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.answered: deque[float] = deque(maxlen=limit)  # answer times, oldest first

    def wait(self, now: float) -> float | None:
        """Seconds until a request may leave: 0 if now, None if only an answer can free a place."""
        while self.answered and self.answered[0] <= now - self.period:
            self.answered.popleft()
        if self.in_flight + len(self.answered) < self.limit:
            return 0.0
        if self.answered:
            return self.answered[0] + self.period - now
        return None

    def done(self, now: float) -> None:
        self.in_flight -= 1
        self.answered.append(now)

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and (not self.answered or self.answered[-1] <= now - self.period)


class FloodLimiter(BaseRateLimiter[int]):
    """Overall and per-group limits for python-telegram-bot, O(1) per request.

    ``rate`` and ``burst`` only shape the flow (an even spread rather than 30 at once);
    the windows are what keep the limits. Groups get ``group_max`` sends per
    ``group_period``.
    """

    def __init__(self, rate: float = 30.0, burst: float = 1.5, group_max: int = GROUP_PER_MINUTE,
                 group_period: float = 60.0, max_retries: int = 5, overall_max: int = OVERALL_PER_SECOND,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.group_max = group_max
        self.group_period = group_period
        self.max_retries = max_retries
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self._paused_until = 0.0
        self._turn = asyncio.Lock()  # FIFO: waiters take places in the order they asked
        self._overall = _Window(overall_max, 1.0)
        self._answered = asyncio.Event()  # set (and replaced) whenever a request is answered
        self._groups: OrderedDict[int | str, _Window] = OrderedDict()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    @property
    def tracked_groups(self) -> int:
        """Groups whose last minute still limits them (the table never holds quiet ones for long)."""
        return len(self._groups)

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, Result]], args: Any, kwargs: dict[str, Any],
        endpoint: str, data: dict[str, Any], rate_limit_args: int | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        group = _group_of(chat_id)
        for attempt in range(self.max_retries + 1):
            windows: list[_Window] = []
            try:
                if group is not None:
                    windows.append(await self._group_slot(group))
                if chat_id is not None:
                    windows.append(await self._overall_slot())
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # Telegram pauses the whole bot, so every request waits, not just this one.
                wait = float(exc._retry_after.total_seconds()) + 0.1  # noqa: SLF001
                self._paused_until = max(self._paused_until, self._clock() + wait)
                log.warning("telegram flood control: pausing every request",
                            extra={"seconds": wait, "endpoint": endpoint})
                if attempt == (rate_limit_args or self.max_retries):
                    raise
            finally:
                self._answer(windows)
        raise AssertionError("unreachable")

    async def _overall_slot(self) -> _Window:
        async with self._turn:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens < 1:
                    await asyncio.sleep((1 - self._tokens) / self.rate)
                    continue
                if await self._wait_for(self._overall, now):
                    continue
                self._tokens -= 1
                self._overall.in_flight += 1
                return self._overall

    async def _group_slot(self, group: int | str) -> _Window:
        while True:
            window = self._groups.get(group)
            if window is None:
                window = self._groups[group] = _Window(self.group_max, self.group_period)
            if await self._wait_for(window, self._clock()):
                continue
            # Taken before the overall wait: a second request to this group cannot slip in meanwhile.
            window.in_flight += 1
            self._groups.move_to_end(group)
            return window

    async def _wait_for(self, window: _Window, now: float) -> bool:
        """Wait if ``window`` is full; True when the caller must look again."""
        wait = window.wait(now)
        if wait == 0:
            return False
        if wait is None:
            await self._answered.wait()
        else:
            await asyncio.sleep(wait)
        return True

    def _answer(self, windows: list[_Window]) -> None:
        if not windows:
            return
        now = self._clock()
        for window in windows:
            window.done(now)
        self._answered.set()
        self._answered = asyncio.Event()
        # The least recently used groups are at the front; those quiet for a whole period are done.
        while self._groups:
            group, oldest = next(iter(self._groups.items()))
            if not oldest.idle(now):
                break
            del self._groups[group]


def _group_of(chat_id: object) -> int | str | None:
    """Groups and channels have negative ids (or ``@name``); private chats are paced elsewhere."""
    if chat_id is None:
        return None
    try:
        number = int(chat_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(chat_id)
    return number if number < 0 else None
