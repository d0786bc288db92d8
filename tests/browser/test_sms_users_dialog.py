"""The SMS users dialog in Chromium: pick users and channels, create a new one, see the rules."""

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import SmsUser, TrackingNumber, User
from app.services import people
from tests.support import NUM


def pick(page, name: str, email: str):
    return page.get_by_role("checkbox", name=f"{name} {email}")


def test_admin_sets_sms_users_and_creates_a_new_one_in_the_dialog(app, acme, open_as, live_server):
    page = open_as("admin@acme.test")

    def open_dialog():
        page.goto(f"{live_server}/admin/numbers")
        page.locator("tr", has_text="(500) 555-0101").get_by_role("link", name="SMS users…").click()
        expect(
            page.get_by_role("heading", name="SMS users of Main line · (500) 555-0101")
        ).to_be_visible()

    def create_gus():
        page.fill("#new-first_name", "Gus")
        page.fill("#new-last_name", "Green")
        page.fill("#new-email", "gus@acme.test")
        page.fill("#new-phone", "(500) 555-0144")
        page.check("#new-notify-sms")
        page.get_by_role("button", name="Create and add").click()

    open_dialog()
    for name, email in (("Ada Tester", "admin@acme.test"), ("Dan Tester", "dan@acme.test"),
                        ("Ivy Tester", "ivy@acme.test")):  # fmt: skip
        pick(page, name, email).check()
    page.get_by_role("button", name="Save SMS users").click()
    expect(page.locator(".alert-success")).to_have_text("SMS users saved.")

    open_dialog()
    create_gus()  # five already: the new user is refused, and not created
    expect(page.get_by_text("At most 5 SMS users: remove one first.")).to_be_visible()

    pick(page, "Ivy Tester", "ivy@acme.test").uncheck()
    page.get_by_role("button", name="Save SMS users").click()
    open_dialog()
    create_gus()
    expect(page.locator(".alert-success")).to_have_text(
        "Gus Green was created (identified-only) and added."
    )
    expect(page.get_by_label("Notify Gus Green by SMS")).to_be_checked()
    expect(page.get_by_label("Notify Ada Tester by SMS")).to_be_disabled()  # no phone

    pick(page, "Ivy Tester", "ivy@acme.test").check()  # a sixth
    page.get_by_role("button", name="Save SMS users").click()
    expect(page.get_by_text("A number has at most 5 SMS users; 6 were chosen.")).to_be_visible()
    pick(page, "Ivy Tester", "ivy@acme.test").uncheck()
    page.get_by_label("Notify Bob Tester by e-mail").uncheck()  # no channel at all
    page.get_by_role("button", name="Save SMS users").click()
    expect(page.get_by_text("Bob Tester: choose e-mail, SMS or both.")).to_be_visible()

    with app.app_context():
        rows = db.session.scalars(
            select(SmsUser).join(TrackingNumber).where(TrackingNumber.number == NUM)
        ).all()
        assert sorted(r.user.email for r in rows) == [
            "admin@acme.test", "bob@acme.test", "cat@acme.test", "dan@acme.test", "gus@acme.test"
        ]  # fmt: skip
        assert User.by_email("gus@acme.test").role == "identified"


def test_a_new_user_is_created_beside_a_deactivated_sms_user(app, acme, open_as, live_server):
    with app.app_context():
        people.set_active(User.by_email("admin@acme.test"), User.by_email("cat@acme.test"), False)
    page = open_as("admin@acme.test")
    page.goto(f"{live_server}/admin/numbers")
    row = page.locator("tr", has_text="(500) 555-0101")
    expect(row).to_contain_text("Cat Tester (deactivated, not notified)")
    row.get_by_role("link", name="SMS users…").click()
    expect(page.locator("#deactivated-sms-users")).to_contain_text("Cat Tester")
    page.fill("#new-first_name", "Gus")
    page.fill("#new-last_name", "Green")
    page.fill("#new-email", "gus@acme.test")
    page.fill("#new-phone", "(500) 555-0144")
    page.get_by_role("button", name="Create and add").click()
    expect(page.locator(".alert-success")).to_have_text(
        "Gus Green was created (identified-only) and added."
    )
    expect(page.get_by_label("Notify Gus Green by e-mail")).to_be_checked()
    expect(pick(page, "Bob Tester", "bob@acme.test")).to_be_checked()
