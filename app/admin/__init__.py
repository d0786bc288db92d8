"""Admin pages: account settings that only admins may see or change."""

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__)


def admin_required(view):
    """Admins only: others get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, "Only admins can open this page.")
        return view(*args, **kwargs)

    return wrapper


from app.admin import registration, reports, views  # noqa: E402,F401
