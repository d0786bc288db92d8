"""Bad input to the admin pages, the reports and the CLI: a 4xx naming the field, never a 500,
nothing written (SPEC §5), on SQLite and PostgreSQL alike."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, TrackingNumber, User, Widget
from tests.support import NUM

ADMIN = "admin@acme.test"
NEW = "+15005550177"
HUGE = "99999999999999999999"


def numbers(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(TrackingNumber.number, TrackingNumber.label)).all())


def users(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(User.email)))


def flagged(html: str, field: str) -> bool:
    """Whether the page marks the form field `field` as at fault (its input or its message)."""
    after = html.split(f'name="{field}"', 1)
    return len(after) == 2 and "field-error" in after[1].split(' name="', 1)[0]


def number_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(TrackingNumber.id).where(TrackingNumber.number == NUM))


# -- ids and dates in query strings -------------------------------------------------------------

BAD_NUMBER_IDS = [
    pytest.param(HUGE, id="beyond-int64"),
    pytest.param("2147483648", id="beyond-int32"),
    pytest.param("²", id="superscript-two"),
    pytest.param("abc", id="word"),
    pytest.param("-1", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param("1.5", id="decimal"),
]


@pytest.mark.parametrize("value", BAD_NUMBER_IDS)
def test_consent_csv_with_a_number_that_is_no_id_is_422_naming_it(acme, browser, value):
    r = browser(ADMIN).client.get("/admin/consent.csv", query_string={"number": value})
    assert r.status_code == 422, r.text
    assert "number" in r.text


BAD_RANGES = [
    pytest.param({"start": "9999-12-31", "end": "9999-12-31"}, "start", id="year-9999"),
    pytest.param({"end": "9999-12-31"}, "end", id="end-year-9999"),
    pytest.param({"start": "0001-01-01"}, "start", id="year-1"),
    pytest.param({"start": "2025-02-30"}, "start", id="no-such-day"),
    pytest.param({"start": "yesterday"}, "start", id="word"),
]


@pytest.mark.parametrize("args, field", BAD_RANGES)
def test_consent_csv_with_dates_beyond_any_ledger_is_422_naming_them(acme, browser, args, field):
    r = browser(ADMIN).client.get("/admin/consent.csv", query_string=args)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_consent_csv_of_a_number_and_dates_in_range_still_downloads(app, acme, browser):
    r = browser(ADMIN).client.get(
        "/admin/consent.csv",
        query_string={"number": number_id(app), "start": "2000-01-01", "end": "2100-12-31"},
    )
    assert r.status_code == 200
    assert r.text.startswith("time (UTC),contact")


@pytest.mark.parametrize("path", ["/admin/reports", "/admin/reports.csv"])
@pytest.mark.parametrize(
    "args, field",
    [
        pytest.param({"start": "9999-12-01", "end": "9999-12-31"}, "start", id="year-9999"),
        pytest.param({"start": "2025-01-01", "end": "9999-12-31"}, "end", id="end-year-9999"),
        pytest.param({"start": "0001-01-01", "end": "0001-01-31"}, "start", id="year-1"),
    ],
)
def test_a_custom_report_period_beyond_any_calendar_is_422_naming_it(
    acme, browser, path, args, field
):
    r = browser(ADMIN).client.get(path, query_string={"period": "custom", **args})
    assert r.status_code == 422, r.text
    assert field in r.text


@pytest.mark.parametrize("path", ["/admin/reports", "/admin/reports.csv"])
@pytest.mark.parametrize("value", BAD_NUMBER_IDS)
def test_a_report_of_a_number_that_is_no_id_is_refused(acme, browser, path, value):
    r = browser(ADMIN).client.get(path, query_string={"number": value})
    assert r.status_code in (404, 422), r.text
    if r.status_code == 422:
        assert "number" in r.text


# -- over-long and multi-line text --------------------------------------------------------------

BAD_LABELS = [
    pytest.param("L" * 121, "At most 120 characters (121 given).", id="121-characters"),
    pytest.param("Main\r\nBcc: all@evil.test", "No line breaks", id="crlf"),
    pytest.param("Main\nline", "No line breaks", id="lf"),
    pytest.param("Main\x00line", "No line breaks", id="nul"),
]


@pytest.mark.parametrize("label, message", BAD_LABELS)
def test_adding_a_number_with_a_bad_label_is_422_and_adds_nothing(
    app, acme, browser, label, message
):
    before = numbers(app)
    r = browser(ADMIN).post("/admin/numbers", number=NEW, label=label, type="local")
    assert r.status_code == 422, r.text
    assert message in r.text
    assert numbers(app) == before


@pytest.mark.parametrize("label, message", BAD_LABELS)
def test_renaming_a_number_to_a_bad_label_keeps_the_old_one(app, acme, browser, label, message):
    r = browser(ADMIN).post(f"/admin/numbers/{number_id(app)}/label", label=label)
    assert r.status_code == 200, r.text
    assert message in r.text
    assert numbers(app) == {NUM: "Main line"}


@pytest.mark.parametrize("label, message", BAD_LABELS)
def test_the_cli_refuses_a_bad_label_too(app, acme, label, message):
    r = app.test_cli_runner().invoke(
        args=["create-number", "--account", "Acme Plumbing", "--number", NEW, "--label", label]
    )
    assert r.exit_code != 0
    assert "label" in r.output and message in r.output
    assert NEW not in numbers(app)


LONG_PEOPLE = [
    pytest.param({"first_name": "F" * 81}, "first_name", id="first-name-81"),
    pytest.param({"last_name": "L" * 81}, "last_name", id="last-name-81"),
    pytest.param({"email": "e" * 250 + "@acme.test"}, "email", id="email-260"),
    pytest.param({"first_name": "Hal\r\nBcc: x@evil.test"}, "first_name", id="first-name-crlf"),
]


@pytest.mark.parametrize("change, field", LONG_PEOPLE)
def test_an_invitation_with_over_long_or_multi_line_fields_is_422(
    app, acme, browser, smtp, change, field
):
    before = users(app)
    form = {"first_name": "Hal", "last_name": "Hill", "email": "hal@acme.test", "role": "agent"}
    r = browser(ADMIN).post("/admin/people", **{**form, **change})
    assert r.status_code == 422, r.text
    assert flagged(r.text, field)
    assert users(app) == before
    assert smtp.messages == []


@pytest.mark.parametrize("change, field", LONG_PEOPLE)
def test_a_new_sms_user_with_over_long_fields_is_422(app, acme, browser, change, field):
    before = users(app)
    form = {
        "action": "new",
        "first_name": "Gus",
        "last_name": "Green",
        "email": "gus@acme.test",
        "phone": "+15005550144",
        "notify_email": "on",
    }
    r = browser(ADMIN).post(f"/admin/numbers/{number_id(app)}/sms-users", **{**form, **change})
    assert r.status_code == 422, r.text
    assert flagged(r.text, field)
    assert users(app) == before


@pytest.mark.parametrize("change, field", LONG_PEOPLE)
def test_the_cli_refuses_over_long_user_fields(app, acme, change, field):
    values = {"first_name": "Gus", "last_name": "Green", "email": "gus@acme.test", **change}
    r = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--account",
            "Acme Plumbing",
            "--email",
            values["email"],
            "--first",
            values["first_name"],
            "--last",
            values["last_name"],
            "--role",
            "agent",
            "--password",
            "long-enough-password",
        ]
    )
    assert r.exit_code != 0, r.output
    assert field in r.output
    assert values["email"].lower() not in users(app)


def test_the_cli_refuses_an_over_long_account_name(app, acme):
    r = app.test_cli_runner().invoke(args=["create-account", "A" * 121])
    assert r.exit_code != 0
    assert "name" in r.output and "At most 120 characters (121 given)." in r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 2


# -- ids in forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, "2147483648", "²", "abc", "0"])
def test_a_widget_for_a_number_that_is_no_id_is_422_naming_it(app, acme, browser, value):
    form = {
        "tracking_number_id": value,
        "allowed_origins": "https://www.acme.test",
        "name": "Website",
        "button_text": "Text us",
        "color": "#0d6efd",
        "position": "bottom-right",
        "greeting": "Hi!",
        "consent_text": "",
        "mobile_behaviour": "form",
    }
    r = browser(ADMIN).post("/admin/widgets", **form)
    assert r.status_code == 422, r.text
    assert flagged(r.text, "tracking_number_id")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Widget)) == 0


@pytest.mark.parametrize("value", [HUGE, "abc", "²", "0"])
def test_sms_users_picked_by_something_that_is_no_id_are_422(app, acme, browser, value):
    admin = browser(ADMIN)
    r = admin.post("/admin/numbers", number=NEW, label="Spring ads", sms_user=value)
    assert r.status_code == 422, r.text
    assert "Not a valid id" in r.text
    assert NEW not in numbers(app)
    r = admin.post(f"/admin/numbers/{number_id(app)}/sms-users", user=value)
    assert r.status_code == 422, r.text
    assert "Not a valid id" in r.text


SMS_TEXTS = {
    "opt_in": "Welcome to {company}! Reply STOP to cancel.",
    "opt_out": "You are unsubscribed. Reply START to come back.",
    "opt_in_again": "Welcome back to {company}!",
    "help": "{company}: call us at (555) 010-0100. Reply STOP to cancel.",
    "opt_out_line": "Reply STOP to opt out.",
}


@pytest.mark.parametrize(
    "text, message",
    [
        ("Welcome\x00 to {company}", "No line breaks or control characters."),
        ("x" * 321, "At most 320 characters (321 given)."),
    ],
    ids=["nul", "321-characters"],
)
def test_sms_texts_that_cannot_be_sent_are_422_naming_the_text(app, acme, browser, text, message):
    admin = browser(ADMIN)
    r = admin.post("/admin/customization/sms", **{**SMS_TEXTS, "opt_in": text})
    assert r.status_code == 422, r.text
    assert message in r.text
    with app.app_context():
        assert db.session.scalar(select(Account.opt_in_text)) is None, "nothing was saved"


# -- carrier registration -----------------------------------------------------------------------


def registration_rows(app) -> list[tuple]:
    from app.models import CarrierRegistration

    with app.app_context():
        rows = db.session.scalars(select(CarrierRegistration).order_by(CarrierRegistration.id))
        return [(r.status, r.status_note, dict(r.data)) for r in rows]


@pytest.mark.parametrize(
    "field, value",
    [
        pytest.param("legal_name", "Acme\r\nBcc: all@evil.test", id="name-crlf"),
        pytest.param("legal_name", "Acme\x00 LLC", id="name-nul"),
        pytest.param("description", "Texts \x00 about visits", id="description-nul"),
        pytest.param("address_city", "C" * 101, id="city-101"),
    ],
)
def test_a_draft_with_answers_that_cannot_be_stored_is_422_naming_them(
    app, acme, browser, field, value
):
    r = browser(ADMIN).post("/admin/registration?kind=10dlc", action="draft", **{field: value})
    assert r.status_code == 422, r.text
    assert flagged(r.text, field)
    assert registration_rows(app) == []


@pytest.mark.parametrize(
    "note", ["Refused \x00 by TCR", "n" * 2001], ids=["nul", "2001-characters"]
)
def test_a_status_note_that_cannot_be_stored_is_422_naming_it(app, acme, browser, note):
    admin = browser(ADMIN)
    assert admin.post("/admin/registration?kind=10dlc", action="draft").status_code == 200
    ((status, _, _),) = registration_rows(app)
    from app.models import CarrierRegistration

    with app.app_context():
        row_id = db.session.scalar(select(CarrierRegistration.id))
    r = admin.post(f"/admin/registration/{row_id}/status", status="rejected", note=note)
    assert r.status_code == 422, r.text
    assert flagged(r.text, "note")
    assert registration_rows(app)[0][:2] == (status, None)
