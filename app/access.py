"""Who may open a page: the access decorators every blueprint's views share."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Admins only: others get 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403, "Only admins can open this page.")
        return view(*args, **kwargs)

    return wrapper
