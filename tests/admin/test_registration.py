"""Carrier registration: the carriers' rules, drafts, submitting by e-mail with the numbers CSV,
the status the admins record, and who may see or change any of it."""

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.demo import seed as demo
from app.extensions import db
from app.models import Account, CarrierRegistration, OutboxItem, TrackingNumber
from app.services import directory, registration
from app.services.errors import Invalid
from tests.support import NUM, csrf_token

URL = "/admin/registration"
TELECOM = "telecom@carrier.test"
SAMPLE = "Acme Plumbing: your plumber Bob arrives at 2 pm today. Reply STOP to opt out."
VALID = {
    "legal_name": "Acme Plumbing LLC",
    "business_type": "private_profit",
    "ein": "12-3456789",
    "vertical": "construction",
    "website": "https://acme.example",
    "address_street": "1 Main Street",
    "address_city": "Springfield",
    "address_state": "IL",
    "address_postal_code": "62701",
    "address_country": "US",
    "contact_name": "Ada Tester",
    "contact_title": "Owner",
    "contact_email": "ada@acme.example",
    "contact_phone": "(217) 555-0142",
    "use_case": "customer_care",
    "description": "Customers text our plumbing office to book visits and get arrival updates.",
    "message_flow": "Customers text our number first, or tick the SMS consent box on our "
    "booking form at acme.example/book.",
    "samples": [SAMPLE, "Acme Plumbing: your visit on May 3 is booked. Reply HELP for help."],
    "embedded_links": "no",
    "embedded_phone": "yes",
    "opt_in_text": "Welcome to Acme Plumbing! Reply STOP to cancel.",
    "opt_out_text": "You are unsubscribed from Acme Plumbing. Reply START to resubscribe.",
    "help_text": "Acme Plumbing: call (217) 555-0142. Reply STOP to cancel.",
    "privacy_url": "https://acme.example/privacy",
    "terms_url": "https://acme.example/terms",
}
TOLL_FREE = {**VALID, "monthly_volume": "1,000", "opt_in_type": "web_form"}


def form(data: dict, action: str = "submit") -> dict:
    """The answers as the page posts them: one box per sample message, and the button pressed."""
    fields = {k: v for k, v in data.items() if k != "samples"}
    samples = {f"sample_{i}": s for i, s in enumerate(data.get("samples", []), start=1)}
    return {**fields, **samples, "action": action}


def stored(app) -> list[tuple]:
    """Every registration row: kind, status, legal name, note, whether it has a submitted_at."""
    with app.app_context():
        rows = db.session.scalars(select(CarrierRegistration).order_by(CarrierRegistration.id))
        return [
            (r.kind, r.status, r.data.get("legal_name"), r.status_note, r.submitted_at is not None)
            for r in rows
        ]


def registration_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(CarrierRegistration.id).order_by(CarrierRegistration.id))


def emails(app) -> list[str]:
    """The subjects of every e-mail the app kept in its outbox."""
    with app.app_context():
        return list(db.session.scalars(select(OutboxItem.subject)))


def add_number(app, account: str, number: str, label: str, type_: str = "local") -> None:
    with app.app_context():
        directory.create_number(Account.by_name(account), number, label, type_)


@pytest.fixture
def telecom(app, monkeypatch):
    monkeypatch.setitem(app.config, "TELECOM_EMAIL", TELECOM)


# -- the carriers' rules ---------------------------------------------------------------------------


def test_the_example_answers_meet_every_rule_and_the_phone_is_stored_as_e164():
    cleaned = registration.validate("10dlc", VALID)
    assert cleaned["contact_phone"] == "+12175550142"
    assert cleaned["samples"] == VALID["samples"]
    assert "monthly_volume" not in cleaned, "toll-free questions are not part of a 10DLC campaign"
    assert registration.validate("toll_free", TOLL_FREE)["opt_in_type"] == "web_form"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"description": "x" * 39}, "description", "At least 40 characters (39 given)."),
        ({"message_flow": "They text us."}, "message_flow", "At least 40 characters (13 given)."),
        ({"samples": [SAMPLE]}, "samples", "Give 2 to 5 sample messages (1 given)."),
        ({"samples": [SAMPLE] * 6}, "samples", "Give 2 to 5 sample messages (6 given)."),
        ({"samples": [SAMPLE, "x" * 19]}, "sample_2", "At least 20 characters (19 given)."),
        (
            {"samples": ["x" * 1025, SAMPLE]},
            "sample_1",
            "At most 1,024 characters (1,025 given).",
        ),
        ({"opt_in_text": "x" * 19}, "opt_in_text", "At least 20 characters (19 given)."),
        ({"opt_in_text": "x" * 321}, "opt_in_text", "At most 320 characters (321 given)."),
        ({"help_text": "x" * 321}, "help_text", "At most 320 characters (321 given)."),
        ({"website": "not a website"}, "website", "Not a web address (https://…)."),
        ({"privacy_url": "ftp://acme.example/p"}, "privacy_url", "Not a web address (https://…)."),
        ({"contact_email": "ada@acme"}, "contact_email", "Not an e-mail address."),
        ({"contact_phone": "12"}, "contact_phone", "Not a phone number."),
        ({"ein": "12-345678"}, "ein", "A US EIN has 9 digits (12-3456789)."),
        ({"ein": "12;3456789"}, "ein", "Letters, digits, spaces, dots, slashes and dashes only."),
        ({"vertical": "crypto"}, "vertical", "Choose one of the options."),
        ({"embedded_links": ""}, "embedded_links", "Choose one."),
        ({"legal_name": "   "}, "legal_name", "Required."),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_answers_the_carriers_would_refuse_are_refused_with_the_field(change, field, message):
    with pytest.raises(Invalid) as refused:
        registration.validate("10dlc", {**VALID, **change})
    assert refused.value.fields == {field: [message]}, "that field, and only that one, is at fault"


def test_an_empty_form_names_every_required_field_at_once():
    with pytest.raises(Invalid) as refused:
        registration.validate("10dlc", {})
    assert set(refused.value.fields) == {
        "legal_name",
        "business_type",
        "ein",
        "vertical",
        "website",
        "address_street",
        "address_city",
        "address_state",
        "address_postal_code",
        "address_country",
        "contact_name",
        "contact_title",
        "contact_email",
        "contact_phone",
        "use_case",
        "description",
        "message_flow",
        "samples",
        "embedded_links",
        "embedded_phone",
        "opt_in_text",
        "opt_out_text",
        "help_text",
        "privacy_url",
    }, "the terms URL is optional; everything else is required"


def test_toll_free_verification_also_needs_the_monthly_volume_and_the_opt_in_type():
    with pytest.raises(Invalid) as refused:
        registration.validate("toll_free", VALID)
    assert refused.value.fields == {
        "monthly_volume": ["Choose one."],
        "opt_in_type": ["Choose one."],
    }


# -- the page --------------------------------------------------------------------------------------


def test_a_new_form_is_prefilled_with_the_texts_of_customization_sms(app, acme, browser):
    admin = browser("admin@acme.test")
    page = admin.get(URL).text
    assert "Welcome to Acme Plumbing! Messages and data rates may apply." in page
    assert "Not started" in page
    texts = {
        "opt_in": "Hi from {company}! Reply STOP to stop, HELP for help.",
        "opt_out": "Bye from {company}. Reply START to come back.",
        "opt_in_again": "Welcome back to {company}!",
        "help": "{company}: call us at (500) 555-0100. Reply STOP to cancel.",
        "opt_out_line": "Reply STOP to opt out.",
    }
    admin.post("/admin/customization/sms", **texts)
    page = admin.get(URL).text
    assert ">Hi from Acme Plumbing! Reply STOP to stop, HELP for help.</textarea>" in page
    assert ">Acme Plumbing: call us at (500) 555-0100. Reply STOP to cancel.</textarea>" in page


def test_refused_answers_are_shown_inline_with_what_was_typed_and_nothing_is_stored(
    app, acme, browser, telecom
):
    admin = browser("admin@acme.test")
    r = admin.post(URL, **form({**VALID, "description": "Plumbing texts.", "samples": [SAMPLE]}))
    assert r.status_code == 422
    assert "At least 40 characters (15 given)." in r.text
    assert "Give 2 to 5 sample messages (1 given)." in r.text
    assert 'aria-describedby="description-hint description-error" aria-invalid="true"' in r.text
    assert ">Plumbing texts.</textarea>" in r.text, "the admin's answers are kept"
    assert 'value="Acme Plumbing LLC"' in r.text
    assert stored(app) == [] and emails(app) == []


def test_a_draft_keeps_unfinished_answers_and_saving_again_updates_it(app, acme, browser):
    admin = browser("admin@acme.test")
    page = admin.post(
        URL, action="draft", legal_name="Acme Plumbing", description="Plumbing.", sample_1="Hi"
    )
    assert page.status_code == 200
    assert "Draft saved." in page.text
    assert 'value="Acme Plumbing"' in page.text
    assert ">Plumbing.</textarea>" in page.text and ">Hi</textarea>" in page.text
    admin.post(URL, **form({**VALID, "legal_name": "Acme Plumbing LLC"}, action="draft"))
    assert stored(app) == [("10dlc", "draft", "Acme Plumbing LLC", None, False)]
    assert emails(app) == [], "a draft is sent to nobody"


def test_a_draft_is_still_bounded(app, acme, browser):
    admin = browser("admin@acme.test")
    r = admin.post(URL, action="draft", description="x" * 4097, sample_1="y" * 1025)
    assert r.status_code == 422
    assert "At most 4,096 characters (4,097 given)." in r.text
    assert "At most 1,024 characters (1,025 given)." in r.text
    assert stored(app) == []


def test_submitting_emails_the_telecom_address_with_both_number_groups_attached(
    app, acme, browser, smtp, telecom
):
    add_number(app, "Acme Plumbing", "+18005550100", "Billing – toll-free", "toll_free")
    add_number(app, "Acme Plumbing", "+15005550103", "Old line")
    add_number(app, "Other Co", "+15005550104", "Not Acme's")
    with app.app_context():
        old = TrackingNumber.by_number("+15005550103")
        old.archived_at = datetime(2024, 1, 1)
        db.session.commit()

    page = browser("admin@acme.test").post(URL, **form(VALID))

    assert page.status_code == 200
    assert "Submitted: the telecom team has it by e-mail" in page.text
    assert 'text-bg-primary">Submitted</span>' in page.text
    assert re.search(
        r'<span class="meta">· sent \w{3} \d\d, \d\d:\d\d by Ada Tester</span>', page.text
    )
    status = page.text.split('id="status"')[1].split("</p>")[0]
    assert status.lower().count("submitted") == 1, "said once"
    ((recipients, message),) = smtp.messages
    assert recipients == [TELECOM]
    assert message["Subject"] == (
        "Carrier registration: A2P 10DLC brand & campaign (local numbers) for Acme Plumbing"
    )
    body = message.get_body(("plain",)).get_content()
    assert "Legal business name: Acme Plumbing LLC" in body
    assert "Authorized contact: phone: +12175550142" in body
    assert "Vertical (industry): Construction" in body
    assert f"  1. {SAMPLE}" in body
    assert "Numbers (1 DID/Local, 1 Toll-Free): see the attached CSV." in body
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "acme-plumbing-numbers.csv"
    assert list(csv.DictReader(io.StringIO(attachment.get_content()))) == [
        {"group": "DID/Local", "number": NUM, "label": "Main line", "sms_state": "active"},
        {
            "group": "Toll-Free",
            "number": "+18005550100",
            "label": "Billing – toll-free",
            "sms_state": "off",
        },
    ], "archived numbers and other accounts' numbers are left out"
    assert stored(app) == [("10dlc", "submitted", "Acme Plumbing LLC", None, True)]
    with app.app_context():
        row = db.session.scalar(select(CarrierRegistration))
        assert row.submitted_by.email == "admin@acme.test"
        assert row.data["contact_phone"] == "+12175550142"


def test_a_toll_free_verification_asks_its_own_questions_and_is_kept_apart(
    app, acme, browser, telecom
):
    admin = browser("admin@acme.test")
    assert "Expected texts per month" not in admin.get(URL).text
    tf_url = f"{URL}?kind=toll_free"
    assert "Expected texts per month" in admin.get(tf_url).text
    r = admin.post(tf_url, **form(VALID))
    assert r.status_code == 422 and "Expected texts per month" in r.text
    assert stored(app) == []
    admin.post(URL, **form(VALID, action="draft"))
    page = admin.post(tf_url, **form(TOLL_FREE))
    assert "Submitted:" in page.text
    assert stored(app) == [
        ("10dlc", "draft", "Acme Plumbing LLC", None, False),
        ("toll_free", "submitted", "Acme Plumbing LLC", None, True),
    ]
    assert emails(app) == ["Carrier registration: Toll-free verification for Acme Plumbing"]


def test_on_the_demo_a_submission_lands_in_the_outbox_with_the_numbers_attached(
    app, client, monkeypatch
):
    monkeypatch.setitem(app.config, "TELECOM_EMAIL", "")  # as `make run` has it
    with app.app_context():
        demo.seed()
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "email": "admin@demo.test",
            "password": demo.PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    page = client.get(URL).text
    assert "Submitting needs a telecom address" not in page
    assert "to telecom@example.com" in page and 'href="/dev/outbox"' in page
    r = client.post(URL, data={"csrf_token": csrf_token(page), **form(VALID)})
    assert r.status_code == 302
    outbox = client.get("/dev/outbox").text
    assert (
        "Carrier registration: A2P 10DLC brand &amp; campaign (local numbers) for Demo Plumbing"
        in outbox
    )
    assert "telecom@example.com" in outbox
    assert "Numbers (1 DID/Local, 1 Toll-Free): see the attached CSV." in outbox
    assert "[attached: demo-plumbing-numbers.csv]" in outbox
    assert stored(app) == [("10dlc", "submitted", "Acme Plumbing LLC", None, True)]


def test_without_a_telecom_address_submitting_is_refused_and_says_why(
    app, acme, browser, monkeypatch
):
    monkeypatch.setitem(app.config, "TELECOM_EMAIL", "")
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "twilio")  # only the simulator has a default
    assert "Submitting needs a telecom address" in browser("admin@acme.test").get(URL).text
    r = browser("admin@acme.test").post(URL, **form(VALID))
    assert r.status_code == 422
    assert "no telecom address (TELECOM_EMAIL) is configured" in r.text
    assert stored(app) == [] and emails(app) == []


def test_a_failed_submit_leaves_the_draft_as_it_was(app, acme, browser, telecom):
    admin = browser("admin@acme.test")
    admin.post(URL, **form({**VALID, "legal_name": "Draft name"}, action="draft"))
    r = admin.post(URL, **form({**VALID, "contact_email": "nobody"}))
    assert r.status_code == 422
    assert stored(app) == [("10dlc", "draft", "Draft name", None, False)]
    assert emails(app) == []


def test_when_the_mail_server_is_down_nothing_is_submitted(app, acme, browser, telecom, mail_to):
    admin = browser("admin@acme.test")
    admin.post(URL, **form({**VALID, "legal_name": "Draft name"}, action="draft"))
    mail_to(None)  # a port nothing listens on
    r = admin.post(URL, **form(VALID))
    assert r.status_code == 502
    assert "could not be sent, so nothing was submitted" in r.text
    assert 'value="Acme Plumbing LLC"' in r.text, "the answers are still in the form"
    assert 'text-bg-secondary">Draft</span>' in r.text, "the page does not claim it was submitted"
    assert stored(app) == [("10dlc", "draft", "Draft name", None, False)]
    assert emails(app) == [], "no outbox row for an e-mail that never left"


def test_an_admin_records_the_carriers_answer_with_a_note(app, acme, browser, telecom):
    admin = browser("admin@acme.test")
    admin.post(URL, **form(VALID))
    status_url = f"{URL}/{registration_id(app)}/status"
    page = admin.post(status_url, status="rejected", note="Sample 2 must name the brand.")
    assert "Status saved: Rejected." in page.text
    assert 'text-bg-danger">Rejected</span>' in page.text
    assert "Note: Sample 2 must name the brand." in page.text
    assert stored(app) == [
        ("10dlc", "rejected", "Acme Plumbing LLC", "Sample 2 must name the brand.", True)
    ]
    admin.post(status_url, status="approved", note="")
    r = admin.post(status_url, status="rejected", note=" ")
    assert r.status_code == 422
    assert "Say why it was rejected" in r.text
    assert admin.post(status_url, status="lost", note="").status_code == 422
    assert stored(app) == [("10dlc", "approved", "Acme Plumbing LLC", None, True)]


def test_changing_a_submitted_registration_starts_a_new_draft_and_keeps_the_old_one(
    app, acme, browser, telecom
):
    admin = browser("admin@acme.test")
    admin.post(URL, **form(VALID))
    admin.post(f"{URL}/{registration_id(app)}/status", status="rejected", note="Bad samples.")
    page = admin.post(URL, **form({**VALID, "legal_name": "Acme Plumbing Inc"}, action="draft"))
    assert "Earlier registrations" in page.text and "Bad samples." in page.text
    assert stored(app) == [
        ("10dlc", "rejected", "Acme Plumbing LLC", "Bad samples.", True),
        ("10dlc", "draft", "Acme Plumbing Inc", None, False),
    ]


def test_the_numbers_csv_download_is_split_into_groups(app, acme, browser):
    add_number(app, "Acme Plumbing", "+18885550111", "=HYPERLINK(evil)", "toll_free")
    add_number(app, "Acme Plumbing", "+15005550102", "Second line")
    r = browser("admin@acme.test").client.get("/admin/numbers.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == "attachment; filename=acme-plumbing-numbers.csv"
    assert [tuple(row.values()) for row in csv.DictReader(io.StringIO(r.text))] == [
        ("DID/Local", NUM, "Main line", "active"),
        ("DID/Local", "+15005550102", "Second line", "off"),
        ("Toll-Free", "+18885550111", "'=HYPERLINK(evil)", "off"),
    ], "a label is never run as a spreadsheet formula"


# -- who may do what -------------------------------------------------------------------------------


def test_agents_get_403_on_every_route_and_change_nothing(app, acme, browser, telecom):
    browser("admin@acme.test").post(URL, **form(VALID, action="draft"))
    bob = browser("bob@acme.test")
    token = csrf_token(bob.get("/conversations").text)
    status_url = f"{URL}/{registration_id(app)}/status"
    assert bob.client.get(URL).status_code == 403
    assert bob.client.get(f"{URL}?kind=toll_free").status_code == 403
    assert bob.client.get("/admin/numbers.csv").status_code == 403
    post = {"csrf_token": token, **form({**VALID, "legal_name": "Bob's"})}
    assert bob.client.post(URL, data=post).status_code == 403
    post = {"csrf_token": token, "status": "approved", "note": "ok"}
    assert bob.client.post(status_url, data=post).status_code == 403
    assert stored(app) == [("10dlc", "draft", "Acme Plumbing LLC", None, False)]
    assert emails(app) == []


def test_a_post_without_csrf_token_is_refused(app, acme, browser, telecom):
    admin = browser("admin@acme.test")
    admin.post(URL, **form(VALID, action="draft"))
    assert admin.client.post(URL, data=form(VALID)).status_code == 400
    status_url = f"{URL}/{registration_id(app)}/status"
    assert admin.client.post(status_url, data={"status": "approved"}).status_code == 400
    assert stored(app) == [("10dlc", "draft", "Acme Plumbing LLC", None, False)]
    assert emails(app) == []


def test_another_accounts_admin_can_neither_see_nor_change_the_registration(
    app, acme, browser, telecom
):
    browser("admin@acme.test").post(URL, **form(VALID))
    eve = browser("eve@other.test")
    page = eve.get(URL).text
    assert "Acme Plumbing LLC" not in page and "Not started" in page
    assert "Welcome to Other Co!" in page, "her own account's texts"
    status_url = f"{URL}/{registration_id(app)}/status"
    assert eve.post(status_url, status="approved", note="").status_code == 404
    assert NUM not in eve.client.get("/admin/numbers.csv").text
    eve.post(URL, **form({**VALID, "legal_name": "Other Co Ltd"}, action="draft"))
    assert browser("admin@acme.test").get(URL).text.count("Other Co Ltd") == 0
    assert stored(app) == [
        ("10dlc", "submitted", "Acme Plumbing LLC", None, True),
        ("10dlc", "draft", "Other Co Ltd", None, False),
    ]
