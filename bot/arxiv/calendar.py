"""arXiv's announcement calendar, in US Eastern time.

New papers are announced Sunday to Thursday at 20:00 ET and listed under the next
day's date (Monday to Friday). Submissions received before 14:00 ET on a weekday go
into that evening's announcement (Friday's into Sunday's).

arXiv skips announcements on its published holidays (``holidays.toml``): a
weekday holiday has no 14:00 deadline and no announcement after it, and its
submissions join the next announcement. For years whose schedule is shipped, the
calendar knows every planned listing day; for other years it assumes Monday to
Friday, and :mod:`bot.digest` infers a missing announcement from the RSS feed.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")
ANNOUNCE_AT = time(20, 0)
SUBMIT_DEADLINE = time(14, 0)
_ANNOUNCING_EVENINGS = (6, 0, 1, 2, 3)  # Sunday to Thursday


@cache
def _schedule() -> tuple[frozenset[int], frozenset[date]]:
    """(years whose holiday list arXiv has published, announcement evenings skipped)."""
    data = tomllib.loads(resources.files("bot.arxiv").joinpath("holidays.toml").read_text(encoding="utf-8"))
    years = {int(year) for year in data["years"]}
    skipped: set[date] = set()
    for holidays in data["years"].values():
        for text in holidays:
            holiday = date.fromisoformat(text)
            # A Friday holiday has no deadline, so the Sunday evening has nothing to announce.
            skipped.add(holiday + timedelta(days=2) if holiday.weekday() == 4 else holiday)
    return frozenset(years), frozenset(skipped)


def schedule_known(listing: date) -> bool:
    """Whether arXiv's published holiday list covers the evening that would announce ``listing``."""
    return (listing - timedelta(days=1)).year in _schedule()[0]


def announces_on(evening: date) -> bool:
    """Whether arXiv announces at 20:00 ET on ``evening`` (as far as the published schedule knows)."""
    return evening.weekday() in _ANNOUNCING_EVENINGS and evening not in _schedule()[1]


def is_listing_day(day: date) -> bool:
    """Whether a listing is dated ``day``: the previous evening had an announcement."""
    return announces_on(day - timedelta(days=1))


def listing_day_for(moment: datetime) -> date:
    """The most recent listing day whose announcement has happened by ``moment``."""
    et = moment.astimezone(ET)
    evening = et.date() if et.time() >= ANNOUNCE_AT else et.date() - timedelta(days=1)
    while not announces_on(evening):
        evening -= timedelta(days=1)
    return evening + timedelta(days=1)


def previous_listing(listing: date) -> date:
    day = listing - timedelta(days=1)
    while not is_listing_day(day):
        day -= timedelta(days=1)
    return day


def submission_deadline(listing: date) -> datetime:
    """Submissions before this moment (and after the previous listing's) appear on ``listing``.

    The deadline is 14:00 ET on the last weekday before the listing's date: Friday's
    for a Monday listing.
    """
    day = listing - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return datetime.combine(day, SUBMIT_DEADLINE, ET)


def submission_window(listing: date, days: int = 1) -> tuple[datetime, datetime]:
    """The submission interval covered by ``days`` listings ending at ``listing``.

    After a holiday the window is longer: the skipped deadline's submissions are
    announced with the next listing.
    """
    first = listing
    for _ in range(days):
        first = previous_listing(first)
    return submission_deadline(first), submission_deadline(listing)


# The RSS feeds are rebuilt "daily at midnight Eastern Standard Time" (arXiv's RSS
# documentation), hours after the 20:00 ET announcement; an hour's margin on top.
RSS_REBUILT_UTC = time(6, 0)


def rss_ready_at(listing: date) -> datetime:
    """When the RSS feed can show ``listing`` (before that, only the API has it)."""
    return datetime.combine(listing, RSS_REBUILT_UTC, UTC)


def rss_has(listing: date, moment: datetime) -> bool:
    """Whether the RSS feed can show ``listing`` at ``moment``."""
    return moment.astimezone(UTC) >= rss_ready_at(listing)


def _weekday_listing(moment: datetime) -> date:
    """:func:`listing_day_for` for an ordinary week, holidays ignored."""
    et = moment.astimezone(ET)
    evening = et.date() if et.time() >= ANNOUNCE_AT else et.date() - timedelta(days=1)
    while evening.weekday() not in _ANNOUNCING_EVENINGS:
        evening -= timedelta(days=1)
    return evening + timedelta(days=1)


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
        listings = [_weekday_listing(m) for m in moments]
        days.update(moments[i].weekday() for i in range(1, 8) if listings[i] != listings[i - 1])
    return tuple(sorted(days))
