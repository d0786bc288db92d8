"""Business hours (SPEC §2.12): open from the opening minute until just before the closing one,
in the account's wall-clock time across changes of daylight saving time, shut on closed days;
the start of a closed period and the next opening; always open while the hours are not set."""

from datetime import date, datetime

import pytest

from app.extensions import db
from app.models import Account
from app.services import business_hours

NEW_YORK = "America/New_York"
WEEKDAYS_9_TO_5 = {
    "timezone": NEW_YORK,
    **{day: ["09:00–17:00"] for day in business_hours.WEEKDAYS[:5]},
    "saturday": ["10:00–14:00"],
}


def utc(*args) -> datetime:
    """A naive-UTC moment, as every timestamp is stored."""
    return datetime(*args)


@pytest.fixture
def acme_hours(ctx, acme) -> Account:
    """Acme open Monday to Friday 09:00–17:00 and Saturday 10:00–14:00 in New York, and closed
    on Tuesday 2026-01-13."""
    account = Account.by_name("Acme Plumbing")
    business_hours.save_week(account, WEEKDAYS_9_TO_5)
    business_hours.add_closed_day(account, {"day": "2026-01-13", "name": "Staff training"})
    return account


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        # Monday 12 January 2026, EST (UTC−5): 09:00 is 14:00 UTC.
        pytest.param(utc(2026, 1, 12, 13, 59, 59), False, id="a-second-before-opening"),
        pytest.param(utc(2026, 1, 12, 14, 0), True, id="the-opening-minute"),
        pytest.param(utc(2026, 1, 12, 21, 59, 59), True, id="the-last-second-open"),
        pytest.param(utc(2026, 1, 12, 22, 0), False, id="the-closing-minute"),
        pytest.param(utc(2026, 1, 13, 15, 0), False, id="a-closed-day-at-ten"),
        pytest.param(utc(2026, 1, 14, 15, 0), True, id="the-next-day-at-ten"),
        pytest.param(utc(2026, 1, 17, 18, 59), True, id="saturday-13-59"),
        pytest.param(utc(2026, 1, 17, 19, 0), False, id="saturday-14-00"),
        pytest.param(utc(2026, 1, 18, 15, 0), False, id="sunday"),
    ],
)
def test_open_from_the_opening_minute_until_just_before_the_closing_one(
    acme_hours, moment, is_open
):
    assert business_hours.is_open(acme_hours, moment) is is_open


def test_the_wall_clock_holds_across_the_change_to_daylight_saving_time(acme_hours):
    # New York moves to EDT (UTC−4) on Sunday 8 March 2026: 13:30 UTC is 08:30 on the Friday
    # before and 09:30 on the Monday after.
    assert not business_hours.is_open(acme_hours, utc(2026, 3, 6, 13, 30))
    assert business_hours.is_open(acme_hours, utc(2026, 3, 9, 13, 30))
    monday_8am = utc(2026, 3, 9, 12, 0)
    week = business_hours.week(acme_hours)
    assert week.closed_since(monday_8am) == utc(2026, 3, 7, 19, 0), "Saturday 14:00 EST"
    assert business_hours.next_opening(acme_hours, monday_8am) == utc(2026, 3, 9, 13, 0)


def test_the_wall_clock_holds_across_the_change_back_to_standard_time(acme_hours):
    # Back to EST on Sunday 1 November 2026: Friday closes at 21:00 UTC, Monday opens at 14:00.
    sunday = utc(2026, 11, 1, 12, 0)
    week = business_hours.week(acme_hours)
    assert week.closed_since(sunday) == utc(2026, 10, 31, 18, 0), "Saturday 14:00 EDT"
    assert week.next_opening(sunday) == utc(2026, 11, 2, 14, 0), "Monday 09:00 EST"
    assert not week.is_open(utc(2026, 11, 2, 13, 30)) and week.is_open(utc(2026, 11, 2, 14, 0))


def test_a_closed_period_runs_over_a_closed_day(acme_hours):
    tuesday_noon = utc(2026, 1, 13, 17, 0)
    week = business_hours.week(acme_hours)
    assert week.closed_since(tuesday_noon) == utc(2026, 1, 12, 22, 0), "Monday 17:00"
    assert week.next_opening(tuesday_noon) == utc(2026, 1, 14, 14, 0), "Wednesday 09:00"


def test_while_open_there_is_no_closed_period_nor_next_opening(acme_hours):
    week = business_hours.week(acme_hours)
    assert week.closed_since(utc(2026, 1, 12, 15, 0)) is None
    assert week.next_opening(utc(2026, 1, 12, 15, 0)) is None


def test_a_night_opening_runs_on_past_midnight(ctx, acme):
    account = Account.by_name("Acme Plumbing")
    night = {"timezone": "UTC", "friday": ["18:00–24:00"], "saturday": ["00:00–02:00"]}
    week = business_hours.save_week(account, night)
    assert week.is_open(utc(2026, 1, 16, 23, 59)) and week.is_open(utc(2026, 1, 17, 0, 0))
    assert week.closed_since(utc(2026, 1, 17, 3, 0)) == utc(2026, 1, 17, 2, 0)
    assert week.next_opening(utc(2026, 1, 17, 3, 0)) == utc(2026, 1, 23, 18, 0)


def test_a_closing_time_of_midnight_may_be_written_00_00(ctx, acme):
    account = Account.by_name("Acme Plumbing")
    week = business_hours.save_week(account, {"timezone": "UTC", "monday": ["20:00-00:00"]})
    assert week.openings == {0: ((20 * 60, 24 * 60),)}
    assert week.is_open(utc(2026, 1, 12, 23, 59)) and not week.is_open(utc(2026, 1, 13, 0, 0))


def test_an_account_that_has_not_set_its_hours_is_always_open(ctx, acme):
    account = Account.by_name("Acme Plumbing")
    business_hours.add_closed_day(account, {"day": "2026-01-12", "name": "Holiday"})
    assert business_hours.is_open(account, utc(2026, 1, 12, 3, 0))
    assert business_hours.next_opening(account, utc(2026, 1, 12, 3, 0)) is None
    assert business_hours.week(account).closed_since(utc(2026, 1, 12, 3, 0)) is None


def test_saving_again_replaces_the_grid_and_sets_the_time_zone(acme_hours):
    business_hours.save_week(acme_hours, {"timezone": "Europe/Paris", "sunday": ["12:00–13:00"]})
    db.session.expire_all()
    account = Account.by_name("Acme Plumbing")
    assert account.timezone == "Europe/Paris"
    assert [(h.weekday, h.opens, h.closes) for h in account.hours] == [(6, 720, 780)]
    assert [(d.day, d.name) for d in account.closed_days] == [
        (date(2026, 1, 13), "Staff training")
    ], "the closed days stay"
