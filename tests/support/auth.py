"""Logging in and out as a browser does, and copying a browser's session as a thief would."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.support import PASSWORD, Browser, csrf_token


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
