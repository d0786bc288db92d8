"""Logging in and out; who is asking, by session cookie or by `Authorization: Bearer` token."""

from flask import Blueprint, g, request
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, User

bp = Blueprint("auth", __name__)


def init_login(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see your conversations."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # With its account: every page shows the account's name and works in its time zone.
        user = (
            db.session.get(User, int(user_id), options=[joinedload(User.account)])
            if user_id.isdigit()
            else None
        )
        return user if user is not None and user.active else None  # deactivation ends sessions

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
