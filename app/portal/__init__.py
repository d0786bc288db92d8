"""The agents' portal: the tabs, a thread, and the actions of SPEC §2.3."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.portal import contacts, start, views  # noqa: E402,F401
