"""Admin pages: account settings that only admins may see or change."""

from flask import Blueprint, flash, redirect, url_for

from app.services.errors import DomainError

bp = Blueprint("admin", __name__)


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
    tags,
    texts,
    widgets,
)
