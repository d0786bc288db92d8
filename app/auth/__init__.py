"""Logging in and out; who is asking, by session cookie or by `Authorization: Bearer` token."""

import re

from flask import Blueprint, g, request
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, User
from app.models.base import MAX_ID

# What User.get_id writes: "<user id>:<session version>".
SESSION_ID = re.compile(r"([0-9]{1,10}):([0-9]{1,10})")

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    """Sessions name a user and a session version; API callers may send a Bearer token."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see your conversations."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # Anything else (a cookie of an older format) is no session: a login, never a 500.
        match = SESSION_ID.fullmatch(session_id) if isinstance(session_id, str) else None
        if match is None or not 0 < int(match[1]) <= MAX_ID:
            return None
        # With its account: every page shows the account's name and works in its time zone.
        user = db.session.get(User, int(match[1]), options=[joinedload(User.account)])
        # Logout, a new password and deactivation bump the version: earlier sessions end.
        if user is None or not user.active or user.session_version != int(match[2]):
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        user = ApiToken.find_user(header[len("Bearer ") :].strip())
        g.token_auth = user is not None
        return user


def token_authenticated() -> bool:
    """Whether this request was authenticated by a Bearer token (no cookie, so no CSRF risk)."""
    return bool(g.get("token_auth")) and "Authorization" in request.headers


from app.auth import views  # noqa: E402,F401
