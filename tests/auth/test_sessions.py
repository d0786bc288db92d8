"""Sessions end when they should: logout, a new password and deactivation end every earlier
session of the user, on every device; a reactivation revives no old cookie and no old link."""

import pytest

from app.extensions import db
from app.models import Conversation, User
from app.services import links
from tests.support import CUSTOMER, NUM, csrf_token, text_in
from tests.support.auth import copy_of, invitation_link, log_in, user_id


def signed_in(client) -> bool:
    """Whether this browser's session is a user's: the portal page opens, the API answers."""
    page = client.get("/conversations")
    api = client.get("/api/v1/users")
    assert (page.status_code == 200) == (api.status_code == 200), (
        page.status_code,
        api.status_code,
    )
    return page.status_code == 200


def assert_ended(client) -> None:
    """A page sends the browser to the login page, the API answers 401."""
    page = client.get("/conversations")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = client.get("/api/v1/users")
    assert api.status_code == 401 and api.json["error"]["code"] == "unauthorized"


def test_logout_ends_every_earlier_session_of_the_user_on_every_device(app, acme, browser):
    bob, bob_on_phone, cat = (
        browser("bob@acme.test"),
        browser("bob@acme.test"),
        browser("cat@acme.test"),
    )
    copied = copy_of(app, bob)
    assert signed_in(copied)
    r = bob.client.post("/logout", data={"csrf_token": bob.token()})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert_ended(bob.client)
    assert_ended(copied)
    assert_ended(bob_on_phone.client)
    assert signed_in(cat.client), "another user's session goes on"
    assert log_in(bob.client, "bob@acme.test").status_code == 302
    assert signed_in(bob.client), "logging in again starts a new session"


def test_a_new_password_ends_the_earlier_sessions(app, acme, browser, admin, smtp):
    bob = browser("bob@acme.test")
    copied = copy_of(app, bob)
    admin("invite", "bob@acme.test")
    link = invitation_link(smtp, "bob@acme.test")
    elsewhere = app.test_client()
    form = elsewhere.get(link)
    r = elsewhere.post(
        link,
        data={
            "password": "a-new-password",
            "confirm": "a-new-password",
            "csrf_token": csrf_token(form.text),
        },
    )
    assert r.status_code == 302
    assert_ended(bob.client)
    assert_ended(copied)
    assert signed_in(elsewhere), "the browser that set the password is logged in"
    assert log_in(app.test_client(), "bob@acme.test", "a-new-password").status_code == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    app, acme, browser, admin
):
    bob = browser("bob@acme.test")
    copied = copy_of(app, bob)
    assert "Bob Tester is deactivated." in admin("deactivate", "bob@acme.test")
    assert_ended(bob.client)
    assert_ended(copied)
    assert "Bob Tester is active again." in admin("reactivate", "bob@acme.test")
    assert_ended(bob.client)
    assert_ended(copied)
    assert log_in(app.test_client(), "bob@acme.test").status_code == 302, "a new login works"


@pytest.fixture
def ivy_link(app, acme, client) -> str:
    """A notification link of Acme's identified user Ivy to a new conversation."""
    text_in(client, CUSTOMER, NUM, "Hello")
    with app.app_context():
        ivy = User.by_email("ivy@acme.test")
        conversation = db.session.scalar(db.select(Conversation))
        return links.make(ivy, conversation).removeprefix("http://localhost")


def test_a_demotion_to_identified_only_ends_the_sessions_made_with_the_password(app, acme, browser):
    bob, admin = browser("bob@acme.test"), browser("admin@acme.test")
    copied = copy_of(app, bob)
    bob_id = user_id(app, "bob@acme.test")
    assert "is now identified" in admin.post(f"/admin/people/{bob_id}/role", role="identified").text
    assert_ended(bob.client)
    assert_ended(copied)


def test_links_made_before_a_deactivation_stay_dead_after_the_reactivation(
    app, acme, admin, smtp, ivy_link
):
    admin("invite", "dan@acme.test")
    invitation = invitation_link(smtp, "dan@acme.test")
    assert app.test_client().get(ivy_link).status_code == 302
    assert app.test_client().get(invitation).status_code == 200
    for email in ("ivy@acme.test", "dan@acme.test"):
        admin("deactivate", email)
        admin("reactivate", email)
    r = app.test_client().get(ivy_link)
    assert r.status_code == 403 and "no longer works" in r.text
    r = app.test_client().get(invitation)
    assert r.status_code == 400 and "no longer valid" in r.text


def test_a_session_of_an_identified_user_opened_by_a_link_ends_with_deactivation(
    app, acme, admin, ivy_link
):
    ivy = app.test_client()
    assert ivy.get(ivy_link).status_code == 302
    assert ivy.get("/conversations").status_code == 200
    admin("deactivate", "ivy@acme.test")
    admin("reactivate", "ivy@acme.test")
    assert_ended(ivy)


@pytest.mark.parametrize(
    "session_id", ["5", "x:0", "1:y", "2147483648:0", "99999999999:0", "1:0:0", "", "²:0"]
)
def test_a_session_naming_no_current_user_is_a_login_redirect_not_an_error(app, acme, session_id):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert_ended(client)
