"""Admin → people: invitations by e-mail, roles, and deactivation that takes effect at once."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TrackingNumber, User
from app.services import people
from tests.support import NUM, csrf_token

PAGE = "/admin/people"


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def invite_link(smtp) -> str:
    ((_, message),) = smtp.messages
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/set-password/\S+)", text).group(1)


def test_an_invited_agent_sets_a_password_with_the_emailed_link_and_is_logged_in(
    app, acme, browser, smtp, client
):
    page = (
        browser("admin@acme.test")
        .post(
            PAGE, first_name="Hal", last_name="Hill", email="hal@acme.test", role="agent", phone=""
        )
        .text
    )
    assert "Invitation sent to hal@acme.test." in page
    assert "Invited" in page
    ((recipients, message),) = smtp.messages
    assert recipients == ["hal@acme.test"]
    assert message["Subject"] == "Ada Tester invited you to Acme Plumbing on SMS Conversations"
    assert message.get_body(("html",)) is not None
    link = invite_link(smtp)
    form = client.get(link)
    assert form.status_code == 200 and "Hal Hill" in form.text
    r = client.post(
        link,
        data={
            "password": "a-long-password",
            "confirm": "a-long-password",
            "csrf_token": csrf_token(form.text),
        },
        follow_redirects=True,
    )
    assert "Your password is set. Welcome!" in r.text
    assert "Hal Hill" in client.get("/conversations").text
    assert client.get(link).status_code == 400, "a used link is dead"


def test_a_tampered_or_expired_link_is_refused(app, acme, client, monkeypatch):
    with app.app_context():
        bob = User.by_email("bob@acme.test")
        link = people.password_link(bob).removeprefix("http://localhost")
    assert client.get(link[:-3] + "xyz").status_code == 400
    with app.app_context(), monkeypatch.context() as clock:
        clock.setattr("itsdangerous.timed.time.time", lambda: 1_000_000.0)  # made long ago
        token = people.password_link(bob).rsplit("/", 1)[1]
    expired = client.get(f"/set-password/{token}")
    assert expired.status_code == 400 and "expired" in expired.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "bob@acme.test"}, "A user with this e-mail exists already."),
        ({"email": "nope"}, "Not an e-mail address."),
        ({"role": "identified"}, "Admin or agent."),
        ({"first_name": ""}, "Required."),
        ({"phone": "12"}, "Not a phone number."),
    ],
)
def test_invitations_are_validated(app, acme, browser, smtp, form, message):
    data = {
        "first_name": "Hal",
        "last_name": "Hill",
        "email": "hal@acme.test",
        "role": "agent",
        **form,
    }
    r = browser("admin@acme.test").post(PAGE, **data)
    assert r.status_code == 422
    assert message in r.text
    assert smtp.messages == []


def test_an_identified_user_is_promoted_to_agent(app, acme, browser):
    page = (
        browser("admin@acme.test")
        .post(f"{PAGE}/{user_id(app, 'ivy@acme.test')}/role", role="agent")
        .text
    )
    assert "Ivy Tester is now an agent." in page
    with app.app_context():
        assert User.by_email("ivy@acme.test").role == "agent"


def test_choosing_the_role_a_user_has_says_so_and_changes_nothing(app, acme, browser):
    admin = browser("admin@acme.test")
    page = admin.get(PAGE).text
    assert ">Promote<" not in page and page.count(">Change role</button>") == 4  # all but you
    page = admin.post(f"{PAGE}/{user_id(app, 'ivy@acme.test')}/role", role="identified").text
    assert "Ivy Tester is identified-only already." in page
    assert "is now" not in page


def test_deactivating_asks_first(app, acme, browser):
    page = browser("admin@acme.test").get(PAGE).text
    row = page.split('data-email="bob@acme.test"')[1].split("</tr>")[0]
    assert "<summary" in row and ">Deactivate…</summary>" in row
    assert "Deactivate Bob Tester</button>" in row


def test_the_last_admin_stays_admin_and_nobody_changes_themselves(app, acme, browser):
    admin = browser("admin@acme.test")
    page = admin.post(f"{PAGE}/{user_id(app, 'admin@acme.test')}/deactivate").text
    assert "You cannot deactivate yourself." in page
    page = admin.post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/role", role="admin").text
    assert "Bob Tester is now an admin." in page
    bob = browser("bob@acme.test")
    page = bob.post(f"{PAGE}/{user_id(app, 'admin@acme.test')}/role", role="agent").text
    assert "Ada Tester is now an agent." in page
    page = bob.post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/role", role="agent").text
    assert "You cannot change your own role." in page


def test_deactivation_ends_sessions_and_api_tokens_at_once(app, acme, browser, api):
    bob_session = browser("bob@acme.test")
    bob_api = api("bob@acme.test")
    assert bob_api.get("/users").status_code == 200
    page = (
        browser("admin@acme.test").post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/deactivate").text
    )
    assert "Bob Tester is deactivated." in page
    assert bob_session.client.get("/conversations").status_code == 302
    assert bob_api.get("/users").status_code == 401
    page = bob_session.client.get("/login")
    r = bob_session.client.post(
        "/login",
        data={
            "email": "bob@acme.test",
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 401
    browser("admin@acme.test").post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/reactivate")
    assert bob_api.get("/users").status_code == 200


def test_people_pages_are_for_this_accounts_admins(app, acme, browser):
    bob = browser("bob@acme.test")
    assert bob.client.get(PAGE).status_code == 403
    eve = browser("eve@other.test")
    assert "bob@acme.test" not in eve.get(PAGE).text
    r = eve.client.post(
        f"{PAGE}/{user_id(app, 'bob@acme.test')}/deactivate", data={"csrf_token": eve.token()}
    )
    assert r.status_code == 404
    with app.app_context():
        assert User.by_email("bob@acme.test").active


def test_the_only_sms_user_of_a_number_with_sms_on_stays_active(app, acme, browser):
    admin = browser("admin@acme.test")
    page = admin.post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/deactivate").text
    assert "Bob Tester is deactivated." in page, "Cat is still notified of Main line's texts"
    numbers = admin.get("/admin/numbers").text
    assert '<s>Bob Tester</s> <span class="meta">(deactivated, not notified)</span>' in numbers
    page = admin.post(f"{PAGE}/{user_id(app, 'cat@acme.test')}/deactivate").text
    assert (
        "Cat Tester is the only SMS user of Main line ((500) 555-0101), with SMS on: nobody would "
        "be notified of its texts. Choose another SMS user there, or turn SMS off, first."
    ) in page
    with app.app_context():
        assert User.by_email("cat@acme.test").active
        number_id = TrackingNumber.by_number(NUM).id
    admin.post(f"/admin/numbers/{number_id}/sms", sms="off")
    page = admin.post(f"{PAGE}/{user_id(app, 'cat@acme.test')}/deactivate").text
    assert "Cat Tester is deactivated." in page
    page = admin.post(f"/admin/numbers/{number_id}/sms", sms="on").text
    assert "Add at least one SMS user first." in page, "deactivated SMS users are nobody"
    with app.app_context():
        assert TrackingNumber.by_number(NUM).sms_state == "off"


def test_an_admin_sends_a_user_a_new_invitation(app, acme, browser, smtp, client):
    page = browser("admin@acme.test").post(f"{PAGE}/{user_id(app, 'bob@acme.test')}/invite").text
    assert "A new invitation went to Bob Tester." in page
    ((recipients, _),) = smtp.messages
    assert recipients == ["bob@acme.test"]
    assert client.get(invite_link(smtp)).status_code == 200


def test_no_invitation_goes_to_another_accounts_user(app, acme, browser, smtp):
    eve = browser("eve@other.test")
    r = eve.client.post(
        f"{PAGE}/{user_id(app, 'bob@acme.test')}/invite", data={"csrf_token": eve.token()}
    )
    assert r.status_code == 404
    assert smtp.messages == []
