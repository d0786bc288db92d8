"""The simulated carrier's pages (only with SMS_PROVIDER=simulator): a phone, and the outbox."""

from flask import Blueprint

bp = Blueprint("dev", __name__)

from app.dev import views  # noqa: E402,F401
