"""Parsing of the small argument types commands share: times, time zones, switches."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands import UsageError

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def is_time(text: str) -> bool:
    return bool(_TIME.match(text))


def parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise UsageError(f"'{_short(text)}' is not a time; use 24-hour HH:MM such as 08:30.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise UsageError(f"'{_short(text)}' is not a valid time; hours go 00–23 and minutes 00–59.")
    return time(hour, minute)


def parse_timezone(text: str) -> str:
    if len(text) > 64 or not re.fullmatch(r"[A-Za-z0-9_+\-/]+", text):
        raise UsageError(f"'{_short(text)}' is not a time zone; use an IANA name such as Asia/Shanghai or UTC.")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"Unknown time zone '{_short(text)}'; use an IANA name such as Europe/Berlin, Asia/Shanghai or UTC."
        ) from None
    return text


def parse_switch(text: str) -> bool:
    value = text.lower()
    if value in ("on", "yes", "true", "1", "开"):
        return True
    if value in ("off", "no", "false", "0", "关"):
        return False
    raise UsageError(f"'{_short(text)}' should be on or off.")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(text: str, limit: int = 40) -> str:
    return _short(text, limit)
