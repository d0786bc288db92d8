"""Admin → tracking numbers: adding, the SMS activation lifecycle, SMS users, removing."""

import json
import re
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversation, Message, SmsUser, TrackingNumber, User
from app.sms.simulator import SimulatedCarrier
from tests.support import CUSTOMER, NUM, text_in
from tests.support.waiting import eventually, jobs_settled

PAGE = "/admin/numbers"
NEW = "+15005550177"


def number(app, e164: str = NUM) -> TrackingNumber:
    with app.app_context():
        row = db.session.scalar(select(TrackingNumber).where(TrackingNumber.number == e164))
        db.session.expunge_all()
        return row


def ids(app) -> dict[str, int]:
    with app.app_context():
        return {u.email: u.id for u in db.session.scalars(select(User))}


def wait_for_state(app, e164: str, state: str, seconds: float = 5) -> TrackingNumber:
    def reached() -> TrackingNumber | None:
        row = number(app, e164)
        return row if row.sms_state == state else None

    row = eventually(reached, seconds)
    assert row, f"{e164} stayed {number(app, e164).sms_state}, never {state}"
    return row


class HeldCarrier(SimulatedCarrier):
    """The simulated carrier, answering a (de)activation only once the test lets it: the number
    stays pending as long as the test looks, however slow the machine."""

    def __init__(self):
        super().__init__(activation_delay=0.01)  # the job waits in a thread of its own
        self.go = threading.Event()

    def activate(self, number: str) -> None:
        assert self.go.wait(10), "the carrier was never let to answer"
        super().activate(number)

    def deactivate(self, number: str) -> None:
        assert self.go.wait(10), "the carrier was never let to answer"
        super().deactivate(number)


@pytest.fixture
def carrier(app, monkeypatch):
    """The app's carrier, holding its answers until `carrier.go.set()`."""
    held = HeldCarrier()
    monkeypatch.setitem(app.extensions, "sms", held)
    yield held
    held.go.set()


class GarbledCarrier(SimulatedCarrier):
    """A carrier whose API answers what nobody expects: an HTML error page instead of JSON."""

    def activate(self, number: str) -> None:
        json.loads("<html><body>502 Bad Gateway</body></html>")


def test_adding_a_number_normalises_it_and_can_turn_sms_on_at_once(app, acme, browser):
    admin = browser("admin@acme.test")
    users = ids(app)
    page = admin.post(
        PAGE,
        number="(500) 555-0177",
        label="Spring ads",
        type="toll_free",
        sms="on",
        sms_user=str(users["bob@acme.test"]),
    ).text
    assert "(500) 555-0177 added." in page
    row = number(app, NEW)
    assert (row.label, row.type, row.sms_state) == ("Spring ads", "toll_free", "active")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"number": "12", "label": "X"}, "number", "Not a phone number."),
        ({"number": NUM, "label": "X"}, "number", "This number is already a tracking number."),
        ({"number": NEW, "label": " "}, "label", "Required."),
        ({"number": NEW, "label": "X", "sms": "on"}, "sms_users", "at least one SMS user"),
    ],
    ids=["bad-number", "duplicate", "no-label", "sms-without-users"],
)
def test_adding_refuses_bad_input_and_writes_nothing(app, acme, browser, form, field, message):
    r = browser("admin@acme.test").post(PAGE, **form)
    assert r.status_code == 422
    assert message in r.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TrackingNumber)) == 1


def test_sms_on_goes_through_pending_to_active(app, acme, world, browser, client, carrier):
    world.number("Acme Plumbing", NEW, sms_users=["bob@acme.test"], active=False)
    admin = browser("admin@acme.test")
    page = admin.post(f"{PAGE}/{number(app, NEW).id}/sms", sms="on").text
    assert "Turning SMS on: waiting for the carrier." in page
    assert "Turning on…" in page and 'http-equiv="refresh"' in page
    assert number(app, NEW).sms_state == "pending_activation"
    text_in(client, CUSTOMER, NEW, "Are you there yet?")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0, (
            "none while pending"
        )
        assert db.session.scalar(select(Message.body)) == "Are you there yet?", "kept for audit"
    again = admin.post(f"{PAGE}/{number(app, NEW).id}/sms", sms="off").text
    assert "wait for it to finish" in again
    carrier.go.set()
    wait_for_state(app, NEW, "active")
    assert jobs_settled(), "the activation's job, and the filing it asks for, finish"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1, (
            "the text that waited is filed once the number is active"
        )
    assert "Turning on…" not in admin.get(PAGE).text


def test_a_refused_activation_goes_back_to_off_with_the_carriers_reason(
    app, acme, world, browser, carrier, monkeypatch
):
    carrier.go.set()
    monkeypatch.setattr(carrier, "refuse", frozenset({NEW}))
    world.number("Acme Plumbing", NEW, sms_users=["bob@acme.test"], active=False)
    admin = browser("admin@acme.test")
    admin.post(f"{PAGE}/{number(app, NEW).id}/sms", sms="on")
    row = wait_for_state(app, NEW, "off")
    assert jobs_settled()
    assert "not registered for messaging" in row.sms_error
    assert "not registered for messaging" in admin.get(PAGE).text


def test_sms_off_goes_through_pending_to_off_and_a_failure_back_to_active(
    app, acme, browser, carrier, monkeypatch
):
    admin = browser("admin@acme.test")
    number_id = number(app).id
    monkeypatch.setattr(carrier, "refuse", frozenset({NUM}))
    admin.post(f"{PAGE}/{number_id}/sms", sms="off")
    assert number(app).sms_state == "pending_deactivation"
    page = admin.post(f"{PAGE}/{number_id}/sms-users", action="save")
    assert page.status_code == 422, "the carrier may yet refuse: SMS users are still needed"
    assert "SMS is on for this number: it needs at least one SMS user." in page.text
    carrier.go.set()
    row = wait_for_state(app, NUM, "active")
    assert "did not answer" in row.sms_error
    assert set(current_sms_users(app)) == {"bob@acme.test", "cat@acme.test"}
    monkeypatch.setattr(carrier, "refuse", frozenset())
    admin.post(f"{PAGE}/{number_id}/sms", sms="off")
    row = wait_for_state(app, NUM, "off")
    assert row.sms_error is None


def test_an_unexpected_carrier_failure_moves_the_number_back_with_a_readable_message(
    app, acme, world, browser, monkeypatch, caplog
):
    world.number("Acme Plumbing", NEW, sms_users=["bob@acme.test"], active=False)
    admin = browser("admin@acme.test")
    number_id = number(app, NEW).id
    monkeypatch.setitem(app.extensions, "sms", GarbledCarrier())
    admin.post(f"{PAGE}/{number_id}/sms", sms="on")
    row = wait_for_state(app, NEW, "off")
    assert "Turning SMS on failed on an unexpected error" in row.sms_error
    assert "Turning SMS on failed on an unexpected error" in admin.get(PAGE).text
    assert "Expecting value" in caplog.text, "the error itself is logged"
    monkeypatch.undo()  # the carrier answers properly again: the number is not stuck
    page = admin.post(f"{PAGE}/{number_id}/sms", sms="on").text
    assert "wait for it to finish" not in page
    assert wait_for_state(app, NEW, "active").sms_error is None


def test_label_is_edited(app, acme, browser):
    page = (
        browser("admin@acme.test").post(f"{PAGE}/{number(app).id}/label", label="Front desk").text
    )
    assert "Label saved." in page
    assert number(app).label == "Front desk"


def test_remove_needs_sms_off_and_no_open_conversations_and_archives_history(
    app, acme, world, browser, client, api
):
    admin = browser("admin@acme.test")
    number_id = number(app).id
    assert "Turn SMS off" in admin.post(f"{PAGE}/{number_id}/remove").text
    text_in(client, CUSTOMER, NUM, "Hello")
    admin.post(f"{PAGE}/{number_id}/sms", sms="off")
    assert "1 open conversation: close them first." in admin.post(f"{PAGE}/{number_id}/remove").text
    (item,) = api("admin@acme.test").tab("active")
    api("admin@acme.test").post(f"/conversations/{item['id']}/close")
    page = admin.post(f"{PAGE}/{number_id}/remove").text
    assert "archived: its conversations are kept" in page
    assert number(app).archived_at is not None
    assert item["id"] in api("admin@acme.test").tab_ids("closed"), "history stays readable"
    world.number("Acme Plumbing", NEW, active=False)
    assert "removed." in admin.post(f"{PAGE}/{number(app, NEW).id}/remove").text
    assert number(app, NEW) is None


def sms_users_form(users: dict[str, int], picks: dict[str, tuple[bool, bool]]) -> dict:
    form = {"user": [str(users[e]) for e in picks]}
    for email, (by_email, by_sms) in picks.items():
        if by_email:
            form[f"email_{users[email]}"] = "on"
        if by_sms:
            form[f"sms_{users[email]}"] = "on"
    return form


def current_sms_users(app) -> dict[str, tuple[bool, bool]]:
    with app.app_context():
        rows = db.session.scalars(
            select(SmsUser).join(TrackingNumber).where(TrackingNumber.number == NUM)
        )
        return {r.user.email: (r.notify_email, r.notify_sms) for r in rows}


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        ({}, "SMS is on for this number: it needs at least one SMS user."),
        ({"ivy@acme.test": (True, False)}, None),
        (
            {
                e: (True, False)
                for e in (
                    "admin@acme.test",
                    "bob@acme.test",
                    "cat@acme.test",
                    "dan@acme.test",
                    "ivy@acme.test",
                )
            },
            None,
        ),
        (
            {
                e: (True, False)
                for e in (
                    "admin@acme.test",
                    "bob@acme.test",
                    "cat@acme.test",
                    "dan@acme.test",
                    "ivy@acme.test",
                    "fay@acme.test",
                )
            },
            "A number has at most 5 SMS users; 6 were chosen.",
        ),
        ({"bob@acme.test": (False, False)}, "choose e-mail, SMS or both."),
        ({"bob@acme.test": (True, True)}, "has no phone number for SMS."),
        ({"cat@acme.test": (False, True)}, None),
    ],
    ids=["none", "one", "five", "six", "no-channel", "sms-without-phone", "sms-only"],
)
def test_sms_users_rules(app, acme, world, browser, picks, message):
    world.user("Acme Plumbing", "fay@acme.test", first="Fay")
    with app.app_context():
        cat = User.by_email("cat@acme.test")
        cat.phone = "+15005550133"
        db.session.commit()
    before = current_sms_users(app)
    admin = browser("admin@acme.test")
    form = sms_users_form(ids(app), picks)
    r = admin.client.post(
        f"{PAGE}/{number(app).id}/sms-users",
        data={"csrf_token": admin.token(), "action": "save", **form},
    )
    if message:
        assert r.status_code == 422
        assert message in r.text
        assert current_sms_users(app) == before, "nothing changed"
    else:
        assert r.status_code == 302
        assert current_sms_users(app) == picks


def test_new_user_in_the_dialog_is_identified_only_and_added(app, acme, browser):
    admin = browser("admin@acme.test")
    url = f"{PAGE}/{number(app).id}/sms-users"
    page = admin.post(
        url,
        action="new",
        first_name="Gus",
        last_name="Green",
        email="gus@acme.test",
        phone="(500) 555-0144",
        notify_sms="on",
    ).text
    assert "Gus Green was created (identified-only) and added." in page
    with app.app_context():
        gus = User.by_email("gus@acme.test")
        assert (gus.role, gus.password_hash, gus.phone) == ("identified", None, "+15005550144")
    assert current_sms_users(app)["gus@acme.test"] == (False, True)


def test_a_new_user_is_added_beside_a_deactivated_sms_user_who_then_goes(app, acme, browser):
    admin = browser("admin@acme.test")
    admin.post(f"/admin/people/{ids(app)['cat@acme.test']}/deactivate")
    url = f"{PAGE}/{number(app).id}/sms-users"
    assert "Deactivated, so no longer notified: Cat Tester." in admin.get(url).text
    page = admin.post(
        url,
        action="new",
        first_name="Gus",
        last_name="Green",
        email="gus@acme.test",
        phone="(500) 555-0144",
        notify_email="on",
    ).text
    assert "Gus Green was created (identified-only) and added." in page
    assert "Deactivated, so no longer notified" not in page
    assert current_sms_users(app) == {
        "bob@acme.test": (True, False),
        "gus@acme.test": (True, False),
    }


def test_what_is_wrong_with_the_other_sms_users_is_shown_when_adding_a_new_one(app, acme, browser):
    with app.app_context():
        row = db.session.scalar(select(SmsUser).join(User).where(User.email == "cat@acme.test"))
        row.notify_sms, row.user.phone = True, None  # SMS on, her phone number since gone
        db.session.commit()
    admin = browser("admin@acme.test")
    r = admin.post(
        f"{PAGE}/{number(app).id}/sms-users",
        action="new",
        first_name="Gus",
        last_name="Green",
        email="gus@acme.test",
        phone="(500) 555-0144",
        notify_email="on",
    )
    assert r.status_code == 422
    assert "Cat Tester has no phone number for SMS." in r.text
    with app.app_context():
        assert User.by_email("gus@acme.test") is None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "bob@acme.test"}, "A user with this e-mail exists already."),
        ({"email": "not-an-email"}, "Not an e-mail address."),
        ({"phone": "12"}, "Not a phone number."),
        ({"phone": ""}, "Required."),
        ({"first_name": ""}, "Required."),
        ({"notify_email": None}, "Choose e-mail, SMS or both."),
    ],
    ids=["duplicate-email", "bad-email", "bad-phone", "no-phone", "no-first-name", "no-channel"],
)
def test_new_user_in_the_dialog_is_validated(app, acme, browser, form, message):
    admin = browser("admin@acme.test")
    data = {
        "action": "new",
        "first_name": "Gus",
        "last_name": "Green",
        "email": "gus@acme.test",
        "phone": "+15005550144",
        "notify_email": "on",
        **form,
    }
    data = {k: v for k, v in data.items() if v is not None}
    r = admin.client.post(
        f"{PAGE}/{number(app).id}/sms-users", data={"csrf_token": admin.token(), **data}
    )
    assert r.status_code == 422
    assert message in r.text
    with app.app_context():
        assert User.by_email("gus@acme.test") is None or form.get("email") == "bob@acme.test"
    assert set(current_sms_users(app)) == {"bob@acme.test", "cat@acme.test"}


def test_a_sixth_sms_user_cannot_be_created_in_the_dialog(app, acme, world, browser):
    admin = browser("admin@acme.test")
    users = ids(app)
    full = {
        e: (True, False)
        for e in (
            "admin@acme.test",
            "bob@acme.test",
            "cat@acme.test",
            "dan@acme.test",
            "ivy@acme.test",
        )
    }
    admin.client.post(
        f"{PAGE}/{number(app).id}/sms-users",
        data={"csrf_token": admin.token(), **sms_users_form(users, full)},
    )
    r = admin.client.post(
        f"{PAGE}/{number(app).id}/sms-users",
        data={
            "csrf_token": admin.token(),
            "action": "new",
            "first_name": "Gus",
            "last_name": "Green",
            "email": "gus@acme.test",
            "phone": "+15005550144",
            "notify_email": "on",
        },
    )
    assert r.status_code == 422
    assert "At most 5 SMS users: remove one first." in r.text
    with app.app_context():
        assert User.by_email("gus@acme.test") is None


def test_agents_get_403_and_other_accounts_404(app, acme, browser):
    number_id = number(app).id
    bob = browser("bob@acme.test")
    for url in (PAGE, f"{PAGE}/{number_id}/sms-users"):
        assert bob.client.get(url).status_code == 403
    assert (
        bob.client.post(
            f"{PAGE}/{number_id}/sms", data={"csrf_token": bob.token(), "sms": "off"}
        ).status_code
        == 403
    )
    eve = browser("eve@other.test")
    assert eve.client.get(f"{PAGE}/{number_id}/sms-users").status_code == 404
    r = eve.client.post(f"{PAGE}/{number_id}/sms", data={"csrf_token": eve.token(), "sms": "off"})
    assert r.status_code == 404
    assert number(app).sms_state == "active"
    assert NUM not in eve.get(PAGE).text


def flashes(page: str) -> list[str]:
    return [
        " ".join(m.split())
        for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    ]


def test_a_refused_change_says_why_once(app, acme, world, browser):
    admin = browser("admin@acme.test")
    page = admin.post(f"{PAGE}/{number(app).id}/label", label="  ").text
    assert flashes(page) == ["The label was not changed. label: Required."]
    world.number("Acme Plumbing", "+15005550103", active=False, label="Spare")
    page = admin.post(f"{PAGE}/{number(app, '+15005550103').id}/sms", sms="on").text
    assert flashes(page) == ["Add at least one SMS user first."]
