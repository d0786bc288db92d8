"""The Business hours page (SPEC §2.12): admins only, CSRF-protected, works without JavaScript;
the week grid, the time zone and the closed dates saved, and bad input answered 422 naming the
field at fault with nothing saved (SPEC §5), on SQLite and PostgreSQL alike."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, BusinessHours, ClosedDay
from tests.support import csrf_token

PAGE = "/admin/business-hours"
CLOSED_DAYS = f"{PAGE}/closed-days"
ADMIN = "admin@acme.test"
NINE_TO_FIVE = {
    "timezone": "America/New_York",
    **{f"{day}_opens_0": "09:00" for day in ("monday", "tuesday", "wednesday", "thursday")},
    **{f"{day}_closes_0": "17:00" for day in ("monday", "tuesday", "wednesday", "thursday")},
    # Friday: a split shift, the evening until midnight (a time box writes it 00:00).
    "friday_opens_0": "09:00",
    "friday_closes_0": "12:00",
    "friday_opens_1": "18:00",
    "friday_closes_1": "00:00",
}


def grid(app, account: str = "Acme Plumbing") -> list[tuple[int, int, int]]:
    with app.app_context():
        account_id = Account.by_name(account).id
        return [
            tuple(row)
            for row in db.session.execute(
                select(BusinessHours.weekday, BusinessHours.opens, BusinessHours.closes)
                .where(BusinessHours.account_id == account_id)
                .order_by(BusinessHours.weekday, BusinessHours.opens)
            )
        ]


def closed_days(app) -> list[tuple[date, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(ClosedDay.day, ClosedDay.name))]


def error_of(html: str, field: str) -> str:
    """The message the page shows under a field (`monday`, `timezone`, `day`…), or ""."""
    ids = {"day": "closed-day-error", "name": "closed-day-name-error"}
    match = re.search(rf'id="{ids.get(field, field + "-error")}">([^<]*)<', html)
    return match[1] if match else ""


def marked_days(html: str) -> list[str]:
    """The days of the grid the page marks as at fault."""
    return re.findall(r'<fieldset class="hours-day has-error" id="day-(\w+)"', html)


def test_the_week_and_the_zone_are_saved_and_said(app, acme, browser):
    admin = browser(ADMIN)
    page = admin.post(PAGE, **NINE_TO_FIVE).text
    assert "Business hours saved, in America/New_York: Mon 09:00–17:00" in page
    assert "Fri 09:00–12:00, 18:00–24:00 · Sat closed · Sun closed." in page
    assert grid(app) == [
        *[(day, 540, 1020) for day in range(4)],
        (4, 540, 720),
        (4, 1080, 1440),
    ]
    with app.app_context():
        assert Account.by_name("Acme Plumbing").timezone == "America/New_York"
    assert 'name="friday_closes_1" value="00:00"' in page, "midnight shown as a time box can"
    assert '<option value="America/New_York" selected>' in page
    assert grid(app, "Other Co") == []


def test_saving_an_empty_week_means_always_open(app, acme, browser):
    admin = browser(ADMIN)
    admin.post(PAGE, **NINE_TO_FIVE)
    page = admin.post(PAGE, timezone="UTC").text
    assert "Saved with no hours: the business counts as always open." in page
    assert grid(app) == []
    assert "No hours set: the business counts as always open" in page


BAD_WEEKS = [
    pytest.param(
        {"monday_opens_1": "12:00", "monday_closes_1": "18:00"},
        "monday",
        "09:00–17:00 and 12:00–18:00 overlap.",
        id="overlapping",
    ),
    pytest.param(
        {"tuesday_opens_0": "17:00", "tuesday_closes_0": "09:00"},
        "tuesday",
        "17:00–09:00: the closing time must come after the opening time",
        id="inverted",
    ),
    pytest.param(
        {"wednesday_opens_0": "25:00"},
        "wednesday",
        "25:00 is no time of day",
        id="hour-25",
    ),
    pytest.param(
        {"wednesday_closes_0": "9h"},
        "wednesday",
        "9h is no time of day",
        id="not-a-time",
    ),
    pytest.param(
        {"thursday_closes_0": ""},
        "thursday",
        "Give both the opening and the closing time.",
        id="half-an-opening",
    ),
    pytest.param(
        {"saturday_opens_0": "10:00", "saturday_closes_0": "10:00"},
        "saturday",
        "10:00–10:00: the closing time must come after the opening time",
        id="empty",
    ),
    pytest.param(
        {"timezone": "Mars/Olympus"}, "timezone", "Pick a time zone from the list.", id="zone"
    ),
    pytest.param({"timezone": "../etc/passwd"}, "timezone", "Pick a time zone", id="zone-path"),
    pytest.param({"timezone": "UTC\x00"}, "timezone", "Pick a time zone", id="zone-nul"),
    pytest.param({"timezone": ""}, "timezone", "Pick a time zone", id="no-zone"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_WEEKS)
def test_a_bad_week_is_422_naming_the_day_or_the_zone_and_nothing_is_saved(
    app, acme, browser, change, field, message
):
    admin = browser(ADMIN)
    admin.post(PAGE, **{**NINE_TO_FIVE, "timezone": "Europe/Paris"})
    before = grid(app)
    r = admin.post(PAGE, **{**NINE_TO_FIVE, **change})
    assert r.status_code == 422, r.text
    assert message in error_of(r.text, field), r.text
    assert "The hours were not saved: see what is marked below." in r.text
    assert marked_days(r.text) == ([] if field == "timezone" else [field])
    assert grid(app) == before, "nothing was saved"
    with app.app_context():
        assert Account.by_name("Acme Plumbing").timezone == "Europe/Paris"


def test_what_was_typed_stays_in_the_boxes_after_a_refusal(app, acme, browser):
    r = browser(ADMIN).post(PAGE, **{**NINE_TO_FIVE, "sunday_opens_0": "11:00"})
    assert r.status_code == 422
    assert 'name="sunday_opens_0" value="11:00"' in r.text
    assert 'name="friday_opens_1" value="18:00"' in r.text


def test_a_closed_date_is_added_listed_and_removed(app, acme, browser):
    admin = browser(ADMIN)
    page = admin.post(CLOSED_DAYS, day="2026-12-25", name="Christmas Day").text
    assert "Closed on Friday 25 December 2026 (Christmas Day)." in page
    assert 'data-closed-day="2026-12-25"' in page
    assert closed_days(app) == [(date(2026, 12, 25), "Christmas Day")]
    with app.app_context():
        closed_id = db.session.scalar(select(ClosedDay.id))
    page = admin.post(f"{CLOSED_DAYS}/{closed_id}/delete").text
    assert "Friday 25 December 2026 is no longer closed" in page
    assert closed_days(app) == []


BAD_DAYS = [
    pytest.param({"day": "2026-02-30"}, "day", "Enter a date as YYYY-MM-DD.", id="no-such-date"),
    pytest.param({"day": "25/12/2026"}, "day", "Enter a date as YYYY-MM-DD.", id="not-iso"),
    pytest.param({"day": "9999-12-31"}, "day", "A date from 2000-01-01 to 2100-12-31.", id="far"),
    pytest.param({"day": ""}, "day", "Enter a date as YYYY-MM-DD.", id="no-date"),
    pytest.param({"name": "x" * 81}, "name", "At most 80 characters (81 given).", id="long-name"),
    pytest.param({"name": ""}, "name", "Name the day, e.g. Christmas Day.", id="no-name"),
    pytest.param({"name": "Xmas\r\nBcc: x"}, "name", "No line breaks", id="two-lines"),
    pytest.param(
        {"day": "2026-07-03"}, "day", "2026-07-03 is closed already (Independence Day).", id="twice"
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_DAYS)
def test_a_bad_closed_date_is_422_naming_the_field_and_nothing_is_added(
    app, acme, browser, change, field, message
):
    admin = browser(ADMIN)
    admin.post(CLOSED_DAYS, day="2026-07-03", name="Independence Day")
    r = admin.post(CLOSED_DAYS, **{"day": "2026-12-24", "name": "Christmas Eve", **change})
    assert r.status_code == 422, r.text
    assert message in error_of(r.text, field), r.text
    assert "The closed date was not added: see what is marked below." in r.text
    assert closed_days(app) == [(date(2026, 7, 3), "Independence Day")]


def test_another_accounts_closed_date_cannot_be_removed(app, acme, browser):
    browser("eve@other.test").post(CLOSED_DAYS, day="2026-12-25", name="Christmas")
    with app.app_context():
        closed_id = db.session.scalar(select(ClosedDay.id))
    r = browser(ADMIN).post(f"{CLOSED_DAYS}/{closed_id}/delete")
    assert r.status_code == 404
    assert closed_days(app) == [(date(2026, 12, 25), "Christmas")]


def test_agents_get_403_and_posts_without_csrf_token_400(app, acme, browser):
    bob = browser("bob@acme.test")
    assert bob.client.get(PAGE).status_code == 403
    token = csrf_token(bob.get("/conversations").text)
    assert bob.client.post(PAGE, data={"csrf_token": token, **NINE_TO_FIVE}).status_code == 403
    christmas = {"day": "2026-12-25", "name": "Christmas"}
    assert bob.client.post(CLOSED_DAYS, data={"csrf_token": token, **christmas}).status_code == 403
    admin = browser(ADMIN)
    assert admin.client.post(PAGE, data=NINE_TO_FIVE).status_code == 400
    assert admin.client.post(CLOSED_DAYS, data=christmas).status_code == 400
    assert grid(app) == [] and closed_days(app) == []


def test_the_admin_menu_links_the_page(app, acme, browser):
    assert f'href="{PAGE}"' in browser(ADMIN).get("/conversations").text
    assert f'href="{PAGE}"' not in browser("bob@acme.test").get("/conversations").text
