"""Admin pages: account settings that only admins may see or change."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from app.services.errors import DomainError

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


def carry_out(action, done: str, back: str):
    """Run one admin change; flash what happened (or what was refused and why, field by field);
    back to the page."""
    try:
        flash(action() or done, "success")
    except DomainError as e:
        reasons = (m for messages in e.fields.values() for m in messages)
        flash(" ".join([e.message, *reasons]), "danger")
    return redirect(url_for(back))


from app.admin import (  # noqa: E402,F401
    consent,
    numbers,
    people,
    registration,
    saved_replies,
    texts,
    widgets,
)
