"""arXiv's calendar: announcement evenings, listing days, submission windows and the holiday schedule."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.arxiv.calendar import (
    announces_on,
    is_listing_day,
    listing_day_for,
    previous_listing,
    schedule_known,
    submission_window,
)

ET = ZoneInfo("America/New_York")
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("moment", "listing"), [
    (datetime(2026, 11, 19, 19, 59, tzinfo=ET), date(2026, 11, 19)),
    (datetime(2026, 11, 19, 20, 0, tzinfo=ET), date(2026, 11, 20)),
    (datetime(2026, 11, 21, 12, 0, tzinfo=ET), date(2026, 11, 20)),  # Saturday
    (datetime(2026, 11, 22, 20, 1, tzinfo=ET), date(2026, 11, 23)),  # Sunday evening
    (datetime(2026, 11, 26, 21, 0, tzinfo=ET), date(2026, 11, 26)),  # Thanksgiving: no announcement
    (datetime(2026, 11, 29, 20, 30, tzinfo=ET), date(2026, 11, 30)),
    (datetime(2026, 12, 27, 21, 0, tzinfo=ET), date(2026, 12, 25)),  # Friday holiday: no Sunday announcement
    (datetime(2026, 12, 28, 21, 0, tzinfo=ET), date(2026, 12, 29)),
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),
    (datetime(2027, 1, 1, 12, 0, tzinfo=UTC), date(2026, 12, 31)),  # no listing dated New Year's Day
    (datetime(2026, 3, 8, 20, 30, tzinfo=ET), date(2026, 3, 9)),  # the evening New York springs forward
    (datetime(2026, 11, 1, 20, 30, tzinfo=ET), date(2026, 11, 2)),  # and falls back
])
def test_listing_day_for_a_moment(moment: datetime, listing: date) -> None:
    assert listing_day_for(moment) == listing


def test_holidays_are_read_as_arxiv_means_them() -> None:
    assert not announces_on(date(2026, 11, 26))  # a Thursday holiday: that evening
    assert not announces_on(date(2026, 12, 27))  # Friday 25th: the Sunday after
    assert announces_on(date(2026, 12, 24)) and announces_on(date(2026, 12, 28))
    assert [d for d in (date(2026, 12, 24) + timedelta(days=i) for i in range(12))
            if is_listing_day(d)] == [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 29), date(2026, 12, 31),
                                      date(2027, 1, 4)]
    assert previous_listing(date(2026, 12, 29)) == date(2026, 12, 25)


def test_the_listing_after_a_holiday_covers_the_skipped_deadline() -> None:
    start, end = submission_window(date(2026, 12, 29))
    assert start == datetime(2026, 12, 24, 14, 0, tzinfo=ET)  # Thursday's deadline ...
    assert end == datetime(2026, 12, 28, 14, 0, tzinfo=ET)  # ... to Monday's: Friday had none
    start, end = submission_window(date(2026, 11, 30))
    assert (start, end) == (datetime(2026, 11, 25, 14, 0, tzinfo=ET), datetime(2026, 11, 27, 14, 0, tzinfo=ET))


def test_the_schedule_is_known_only_for_published_years() -> None:
    assert schedule_known(date(2026, 12, 31)) and schedule_known(date(2025, 6, 2))
    assert schedule_known(date(2027, 1, 1))  # announced on the evening of 31 December 2026
    assert not schedule_known(date(2027, 1, 4))


def test_production_code_reads_time_only_through_the_clock() -> None:
    """No datetime.now(), date.today(), time.time() or utcnow() outside bot/clock.py."""
    offenders = []
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]:
        if path.name == "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if (name, owner_name) in {("now", "datetime"), ("today", "date"), ("time", "time"),
                                          ("utcnow", "datetime"), ("today", "datetime")}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
