"""SMS reports (SPEC §2.8): the page and its CSV exports, opened by admins and agents alike."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import views  # noqa: E402,F401
