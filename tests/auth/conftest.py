"""Helpers for logging in and out as a browser does, and for copying a browser's session."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, Browser, csrf_token


def log_in(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    """POST the login form as the page gives it (with its CSRF token); the answer, unfollowed."""
    url = "/login" if next_path is None else f"/login?next={next_path}"
    page = client.get(url)
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    return client.post(url, data=data)


def copy_of(app, browser: Browser):
    """Another browser holding a copy of this browser's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def invitation_link(smtp, email: str) -> str:
    """The set-password link of the last invitation e-mailed to `email`."""
    (message, *_) = [m for rcpt, m in reversed(smtp.messages) if rcpt == [email]]
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/set-password/\S+)", text).group(1)


@pytest.fixture
def admin(acme, browser):
    """Acme's admin, logged in: `admin("deactivate", email)` acts on that user's row."""
    session = browser("admin@acme.test")

    def act(action: str, email: str):
        r = session.post(f"/admin/people/{user_id(session.client.application, email)}/{action}")
        assert r.status_code == 200, r.text
        return r.text

    return act
