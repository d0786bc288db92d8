"""`/widget.js`, and `/api/widget/v1/{key}/…`: CORS for the widget's allowed origins only."""

from pathlib import Path

from flask import current_app, jsonify, request, send_file
from flask_limiter.util import get_remote_address

from app import phones
from app.errors import error_response
from app.extensions import limiter
from app.inputs import json_object
from app.services import widget_intake
from app.services.errors import NotFound
from app.widget_api import bp

SCRIPT = Path(__file__).resolve().parents[2] / "widget" / "widget.js"


def cors(response, page_origin: str):
    response.headers["Access-Control-Allow-Origin"] = page_origin
    response.headers["Vary"] = "Origin"
    response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def widget_for(key: str):
    widget = widget_intake.by_key(key)
    if widget is None:
        raise NotFound("No such widget.")
    return widget


def refused():
    return error_response(
        403, "origin_not_allowed", "This website is not allowed to send texts to us."
    )


def phone_key() -> str:
    """Rate-limit key: the visitor's phone as the form gave it (normalised when possible)."""
    # Read before the view checks the body: whatever it is (not JSON, an array), no error here.
    data = request.get_json(silent=True)
    raw = data.get("phone") if isinstance(data, dict) else ""
    raw = raw if isinstance(raw, str) else ""
    try:
        return "phone:" + phones.normalize(raw)
    except ValueError:
        return "phone:" + raw[:32]


@bp.get("/widget.js")
def script():
    response = send_file(SCRIPT, mimetype="text/javascript", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/widget/v1/<key>/config")
def settings(key: str):
    """The widget's look. A page of another origin is told why it may not use it (readable, so
    the site owner sees the reason).

    The settings are public: a request without an Origin gets them, without CORS headers. That
    is how a browser asks from our own pages (the admin's preview: a same-origin GET carries no
    Origin), while a page of another origin always sends one. Submissions stay origin-checked.
    """
    widget = widget_for(key)
    if "Origin" not in request.headers:
        return jsonify(widget_intake.settings(widget))
    page_origin = widget_intake.origin(request.headers["Origin"])
    if not widget_intake.allows(widget, page_origin):
        response, status = refused()
        return (cors(response, page_origin) if page_origin else response), status
    return cors(jsonify(widget_intake.settings(widget)), page_origin)


@bp.route("/api/widget/v1/<key>/submissions", methods=["OPTIONS"])
def preflight(key: str):
    widget = widget_for(key)
    page_origin = widget_intake.origin(request.headers.get("Origin", ""))
    if not widget_intake.allows(widget, page_origin):
        return refused()
    response = cors(current_app.response_class(status=204), page_origin)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.post("/api/widget/v1/<key>/submissions")
@limiter.limit(
    lambda: current_app.config["WIDGET_LIMIT_PER_IP"], key_func=get_remote_address, methods=["POST"]
)
@limiter.limit(
    lambda: current_app.config["WIDGET_LIMIT_PER_PHONE"], key_func=phone_key, methods=["POST"]
)
def submit(key: str):
    """A visitor's form → 201; 403 for an origin not allowed; 422 with field errors; 429."""
    widget = widget_for(key)
    page_origin = widget_intake.origin(request.headers.get("Origin", ""))
    if not widget_intake.allows(widget, page_origin):
        return refused()
    data = json_object()
    message = widget_intake.submit(
        widget, data, request.remote_addr or "", request.headers.get("User-Agent", "")
    )
    # A bot that filled the honeypot is told it worked, its own phone (if text) given back.
    phone = message.from_number if message else data.get("phone")
    phone = phone if isinstance(phone, str) else ""
    body = {"ok": True, "phone": phone, "phone_display": phones.pretty(phone) if message else phone}
    return cors(jsonify(body), page_origin), 201


@bp.after_request
def readable_errors(response):
    """Errors (422, 429) of an allowed page carry CORS headers, so the widget can show them."""
    page_origin = widget_intake.origin(request.headers.get("Origin", ""))
    key = (request.view_args or {}).get("key")
    if (
        request.path.startswith("/api/widget/")
        and page_origin
        and "Access-Control-Allow-Origin" not in response.headers
        and key
        and (widget := widget_intake.by_key(key)) is not None
        and widget_intake.allows(widget, page_origin)
    ):
        cors(response, page_origin)
    return response
