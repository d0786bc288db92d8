"""The click-to-text widget's public side: its script, its settings and its submissions."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("widget_api", __name__)
csrf.exempt(bp)  # cross-site by design: origins are checked instead, and no cookie is used

from app.widget_api import views  # noqa: E402,F401
