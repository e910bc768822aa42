"""arXiv's announcement calendar, in US Eastern time.

New papers are announced Sunday to Thursday at 20:00 ET and listed under the next
day's date (Monday to Friday). Submissions received before 14:00 ET on a weekday go
into that evening's announcement. Holidays are not modelled: on those days the RSS
feed is simply empty and the caller reports "no new papers announced".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")
ANNOUNCE_AT = time(20, 0)
SUBMIT_DEADLINE = time(14, 0)


def listing_day_for(moment: datetime) -> date:
    """The most recent listing day whose announcement has happened by ``moment``."""
    et = moment.astimezone(ET)
    day = et.date() if et.time() >= ANNOUNCE_AT else et.date() - timedelta(days=1)
    # ``day`` is the latest evening that has passed; walk back to a Sunday..Thursday evening.
    while day.weekday() not in (6, 0, 1, 2, 3):
        day -= timedelta(days=1)
    return day + timedelta(days=1)


def previous_listing(listing: date) -> date:
    day = listing - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day


def submission_deadline(listing: date) -> datetime:
    """Submissions before this moment (and after the previous listing's) appear on ``listing``."""
    return datetime.combine(previous_listing(listing), SUBMIT_DEADLINE, ET)


def submission_window(listing: date, days: int = 1) -> tuple[datetime, datetime]:
    """The submission interval covered by ``days`` listings ending at ``listing``."""
    first = listing
    for _ in range(days):
        first = previous_listing(first)
    return submission_deadline(first), submission_deadline(listing)


def is_listing_day(day: date) -> bool:
    return day.weekday() < 5
