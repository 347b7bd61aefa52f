"""Business days, as the plans' offices count them: Monday to Friday, except US federal holidays (with
their observed days) and the plan's own closure dates (plan profile `closure_dates`).

Days are counted on the offices' calendar, US Eastern time (as the scheduled jobs run, infra/routes.py), so
an admission at 9 PM on the eve of Thanksgiving is due the Friday after, not on Thanksgiving evening.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

OFFICE_TIME_ZONE = ZoneInfo("America/New_York")


@cache
def federal_holidays(year: int) -> frozenset[date]:
    """The US federal holidays of `year` and their observed days (a Saturday's on the Friday before, a
    Sunday's on the Monday after), from the `holidays` package; imported on first use, off cold starts."""
    import holidays

    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date, closures: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year) and day not in closures


def business_days_later(start: datetime, days: int, closures: Collection[date] = ()) -> datetime:
    """The moment `days` business days after `start`, at the same time of day on the offices' clock."""
    moment, left = start.astimezone(OFFICE_TIME_ZONE), days
    while left:
        moment += timedelta(days=1)  # wall-clock arithmetic: the same time of day across a DST change
        if is_business_day(moment.date(), closures):
            left -= 1
    return moment.astimezone(start.tzinfo)
