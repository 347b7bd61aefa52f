"""Business days skip weekends, US federal holidays (observed days too) and the plan's own closures, on the
offices' calendar (US Eastern time)."""

from datetime import UTC, date, datetime

from functions.shared.core.business_days import business_days_later, federal_holidays, is_business_day
from functions.shared.core.plans import PLANS

ET_NOON = 17  # 12:00 in US Eastern standard time, as UTC hours


def test_federal_holidays_and_their_observed_days_are_not_business_days():
    assert date(2026, 11, 26) in federal_holidays(2026)  # Thanksgiving
    assert not is_business_day(date(2026, 11, 26))
    assert not is_business_day(date(2026, 7, 3))  # Independence Day falls on a Saturday: observed on Friday
    assert is_business_day(date(2026, 11, 27))  # the day after Thanksgiving is not a federal holiday
    assert not is_business_day(date(2026, 11, 28))  # a Saturday


def test_a_day_before_thanksgiving_is_due_the_friday_after():
    wednesday = datetime(2026, 11, 25, ET_NOON, tzinfo=UTC)
    assert business_days_later(wednesday, 1) == datetime(2026, 11, 27, ET_NOON, tzinfo=UTC)
    thanksgiving = datetime(2026, 11, 26, ET_NOON, tzinfo=UTC)
    assert business_days_later(thanksgiving, 1) == datetime(2026, 11, 27, ET_NOON, tzinfo=UTC)


def test_the_evening_before_a_holiday_counts_on_the_offices_calendar():
    # 9 PM Eastern on Wednesday is already Thursday (Thanksgiving) in UTC: still due on Friday evening
    evening = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert business_days_later(evening, 1) == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_the_plans_closures_are_skipped_too():
    wednesday = datetime(2026, 11, 25, ET_NOON, tzinfo=UTC)
    assert business_days_later(wednesday, 1, (date(2026, 11, 27),)) == datetime(2026, 11, 30, ET_NOON, tzinfo=UTC)
    assert PLANS["caresource"].model_copy(update={"closure_dates": (date(2026, 12, 24),)}).closure_dates


def test_the_time_of_day_is_kept_across_a_change_of_clocks():
    friday = datetime(2026, 3, 6, ET_NOON, tzinfo=UTC)  # noon EST; clocks change on Sunday 8 March
    assert business_days_later(friday, 1) == datetime(2026, 3, 9, ET_NOON - 1, tzinfo=UTC)  # noon EDT
