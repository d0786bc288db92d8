"""Admin pages: account settings that only admins may see or change."""

from flask import Blueprint, flash, redirect, url_for

from app.services.errors import DomainError

bp = Blueprint("admin", __name__)


def carry_out(action, done: str, back: str):
    """Run one admin change; flash what happened (or what was refused and why: the error's
    message, which says it once); back to the page."""
    try:
        flash(action() or done, "success")
    except DomainError as e:
        flash(e.message, "danger")
    return redirect(url_for(back))


from app.admin import (  # noqa: E402,F401
    consent,
    hours,
    numbers,
    people,
    registration,
    saved_replies,
    tags,
    texts,
    widgets,
)
