"""HTTP dates in headers such as ``Retry-After``, read without consulting our own clock."""

from __future__ import annotations

import email.utils


def http_date_delay(value: str, sent: str | None) -> float | None:
    """An HTTP-date ``Retry-After`` as seconds, measured against the response's own ``Date``.

    Both times come from the server's clock, so our clock's skew (or a test's set
    clock) cannot turn it into zero or an hour. Without a ``Date`` header it is unknown.
    """
    try:
        until = email.utils.parsedate_to_datetime(value)
        now = email.utils.parsedate_to_datetime(sent) if sent else None
    except (TypeError, ValueError, IndexError):
        return None
    if now is None or until.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (until - now).total_seconds())
