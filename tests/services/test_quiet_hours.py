"""Quiet hours (SPEC §2.12) at the edges of their windows: when a text the business starts may
reach a contact, in the contact's local time."""

from datetime import UTC, datetime

import pytest

from app.services import quiet_hours

NEW_YORK, HAWAII, GUAM = "+12125550123", "+18085550123", "+16715550123"
HOUSTON, EL_PASO = "+17135550123", "+19155550123"  # Texas: Central, and Mountain time
NON_GEOGRAPHIC = "+15005550006"  # +1 500: maps to every zone of the NANP
UK_MOBILE = "+447700900123"  # maps to no zone
ACCOUNT_ZONE = "America/Los_Angeles"


def at(text: str) -> datetime:
    """A UTC moment as the send layer passes it (naive UTC)."""
    return datetime.fromisoformat(text)


def utc(held: datetime | None) -> str | None:
    return held.isoformat(timespec="minutes") if held else None


@pytest.mark.parametrize(
    "phone, moment, held",
    [
        # New York in December is UTC-5: the window is 13:00–01:00 UTC.
        (NEW_YORK, "2026-12-07T12:59", "2026-12-07T13:00"),  # 7:59 → held until 8:00
        (NEW_YORK, "2026-12-07T13:00", None),  # 8:00 goes
        (NEW_YORK, "2026-12-08T00:59", None),  # 19:59 goes
        (NEW_YORK, "2026-12-08T01:00", "2026-12-08T13:00"),  # 20:00 → the next day's 8:00
        # The spring change (8 March 2026, 2:00 → 3:00): 8:00 is then 12:00 UTC, not 13:00.
        (NEW_YORK, "2026-03-08T11:59", "2026-03-08T12:00"),
        (NEW_YORK, "2026-03-08T12:00", None),
        # The autumn change (1 November 2026): 8:00 EST is 13:00 UTC again.
        (NEW_YORK, "2026-11-01T12:30", "2026-11-01T13:00"),
        # Hawaii (UTC-10, no daylight saving): 8:00 is 18:00 UTC.
        (HAWAII, "2026-12-08T08:00", "2026-12-08T18:00"),  # 22:00 HST
        (HAWAII, "2026-12-08T18:00", None),
        # Guam (UTC+10): 8:00 is 22:00 UTC the day before; 20:00 is 10:00 UTC.
        (GUAM, "2026-12-07T21:59", "2026-12-07T22:00"),
        (GUAM, "2026-12-08T09:59", None),
        (GUAM, "2026-12-08T10:00", "2026-12-08T22:00"),
    ],
)
def test_the_window_is_8_to_20_in_the_contacts_zone(phone, moment, held):
    assert utc(quiet_hours.held_until(phone, ACCOUNT_ZONE, at(moment))) == held


@pytest.mark.parametrize(
    "phone, moment, held",
    [
        # Houston (Central, UTC-6 in December). Monday 7 December: from 9:00, not 8:00.
        (HOUSTON, "2026-12-07T14:30", "2026-12-07T15:00"),  # 8:30 → 9:00
        (HOUSTON, "2026-12-07T15:00", None),
        (HOUSTON, "2026-12-08T01:59", None),  # 19:59
        (HOUSTON, "2026-12-08T02:00", "2026-12-08T15:00"),  # 20:00 → Tuesday 9:00
        # Sunday 6 December: not before noon.
        (HOUSTON, "2026-12-06T15:00", "2026-12-06T18:00"),  # 9:00 Sunday → 12:00
        (HOUSTON, "2026-12-06T17:59", "2026-12-06T18:00"),  # 11:59
        (HOUSTON, "2026-12-06T18:00", None),  # noon
        # Saturday 20:30 → Sunday noon, not Sunday 9:00.
        (HOUSTON, "2026-12-06T02:30", "2026-12-06T18:00"),
        # El Paso is in Texas on Mountain time: Sunday noon MST is 19:00 UTC.
        (EL_PASO, "2026-12-06T18:30", "2026-12-06T19:00"),
    ],
)
def test_texas_numbers_wait_for_9_and_for_noon_on_sunday(phone, moment, held):
    assert utc(quiet_hours.held_until(phone, ACCOUNT_ZONE, at(moment))) == held


@pytest.mark.parametrize("phone", [NON_GEOGRAPHIC, UK_MOBILE])
def test_a_number_with_no_zone_of_its_own_follows_the_accounts_zone(phone):
    # Los Angeles in December is UTC-8: 8:00 is 16:00 UTC.
    assert utc(quiet_hours.held_until(phone, ACCOUNT_ZONE, at("2026-12-07T15:59"))) == (
        "2026-12-07T16:00"
    )
    assert quiet_hours.held_until(phone, ACCOUNT_ZONE, at("2026-12-07T16:00")) is None
    assert quiet_hours.held_until(phone, "Asia/Tokyo", at("2026-12-07T16:00")) is not None


def test_a_number_that_maps_to_several_zones_gets_the_part_they_share():
    both = quiet_hours.Recipient(
        (quiet_hours.ZoneInfo("America/New_York"), quiet_hours.ZoneInfo("America/Chicago")),
        texas=False,
    )
    # 8:00 in Chicago (14:00 UTC) is the first moment both allow; 20:00 in New York (01:00
    # UTC) the last.
    assert both.opening(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 14, 0, tzinfo=UTC
    )
    assert not both.allows(datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    assert both.allows(datetime(2026, 12, 8, 0, 59, tzinfo=UTC))


def test_zones_that_share_no_window_fall_back_to_the_accounts_zone():
    apart = quiet_hours.Recipient(
        (quiet_hours.ZoneInfo("Pacific/Guam"), quiet_hours.ZoneInfo("Atlantic/South_Georgia")),
        texas=False,
    )  # UTC+10 and UTC-2: twelve hours apart, so one's 8:00 is the other's 20:00
    assert apart.opening(datetime(2026, 12, 7, tzinfo=UTC)) is None


def test_every_rule_names_its_source():
    assert all(rule.source for rule in quiet_hours.RULES)
    assert quiet_hours.window(0, texas=False) == (quiet_hours.time(8), quiet_hours.time(20))
    assert quiet_hours.window(quiet_hours.SUNDAY, texas=True) == (
        quiet_hours.time(12),
        quiet_hours.time(20),
    )
