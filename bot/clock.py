"""The one source of "now" for the whole bot.

Every part that asks what time it is (which arXiv listing is current, when a digest
is due, which UTC day a model budget counts, when a row was written) reads the clock
handed to it at construction, never the wall clock behind its back. Production wires
:func:`system_clock` once in the composition root; tests and benchmarks hand in a
clock they set, so the suite behaves the same on any date.

Durations and rate limits use ``time.monotonic`` instead: they measure elapsed time,
not the date, and must not jump when the clock is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current moment as an aware datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)
