"""The JSON API under /api/v1 (SPEC §3): session cookie or `Authorization: Bearer` token."""

from flask import Blueprint, request
from flask_login import current_user

from app.auth import token_authenticated
from app.errors import error_response
from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs a user; cookie callers also need CSRF."""
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        return error_response(
            401, "unauthorized", "Log in, or send an API token as a Bearer token."
        )
    if request.method not in ("GET", "HEAD", "OPTIONS") and not token_authenticated():
        csrf.protect()
    return None


from app.api import contacts, notes, saved_replies, tags, views  # noqa: E402,F401
