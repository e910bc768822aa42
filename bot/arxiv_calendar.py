"""arXiv's announcement calendar, in US Eastern time.

New papers are announced Sunday to Thursday at 20:00 ET and listed under the next
day's date (Monday to Friday). Submissions received before 14:00 ET on a weekday go
into that evening's announcement. Holidays are not modelled: on those days the RSS
feed is simply empty and the caller reports "no new papers announced".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


# The RSS feeds are rebuilt "daily at midnight Eastern Standard Time" (arXiv's RSS
# documentation), hours after the 20:00 ET announcement; an hour's margin on top.
RSS_REBUILT_UTC = time(6, 0)


def rss_has(listing: date, moment: datetime) -> bool:
    """Whether the RSS feed can show ``listing`` at ``moment`` (before that, ask the API)."""
    return moment.astimezone(UTC) >= datetime.combine(listing, RSS_REBUILT_UTC, UTC)


def default_weekdays(at: time, zone: str) -> tuple[int, ...]:
    """Local weekdays on which a run at ``at`` finds a listing newer than the previous day's run.

    These are "the mornings after an announcement" wherever the chat is: Monday to
    Friday in Europe, but Tuesday to Saturday for an early run in Asia. Winter and
    summer weeks are both checked, so a zone whose offset to US Eastern changes with
    DST gets every day that can bring news; a run that finds nothing new posts nothing.
    """
    tz = ZoneInfo(zone)
    days: set[int] = set()
    for monday in (date(2026, 1, 5), date(2026, 7, 6)):
        moments = [datetime.combine(monday + timedelta(days=i), at, tz) for i in range(-1, 7)]
        listings = [listing_day_for(m) for m in moments]
        days.update(moments[i].weekday() for i in range(1, 8) if listings[i] != listings[i - 1])
    return tuple(sorted(days))
