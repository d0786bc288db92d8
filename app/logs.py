"""Logs: one JSON object per line when LOG_FORMAT=json (the production default), and one
structured line per request, with an id the response carries as X-Request-ID."""

import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Request, g, request
from sqlalchemy import inspect

request_log = logging.getLogger("app.requests")
# Standard attributes of a LogRecord: everything else on a record came through `extra=`.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message and its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(app: Flask) -> None:
    """Send every log record to stderr as JSON when LOG_FORMAT=json; time each request."""
    if app.config["LOG_FORMAT"] == "json":
        root = logging.getLogger()
        if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
        root.setLevel(logging.INFO)

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()
        g.request_id = request_id_of(request)

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        if started is None:
            return response
        response.headers.setdefault("X-Request-ID", g.request_id)
        write(
            request,
            g.request_id,
            response.status_code,
            started,
            path=logged_path(),
            endpoint=request.endpoint,
            user_id=signed_in_id(),
        )
        return response


def signed_in_id() -> int | None:
    """The id of the user the request signed in, if it loaded one, read from the session's
    identity map: after the request's commit, reading `user.id` would load the row again."""
    state = inspect(g.get("_login_user"), raiseerr=False)  # None for no user or an anonymous one
    return state.identity[0] if state is not None and state.identity else None


def request_id_of(request: Request) -> str:
    """The id the caller gave the request (X-Request-ID), or a new one."""
    return request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex


def write(
    request: Request,
    request_id: str,
    status: int,
    started: float,
    *,
    path: str,
    endpoint: str | None,
    user_id: int | None = None,
) -> None:
    """The request's log line; `started` is its `time.perf_counter()` on arrival."""
    request_log.info(
        "%s %s %s",
        request.method,
        path,
        status,
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "remote_addr": request.remote_addr,
            "user_id": user_id,
        },
    )


def logged_path() -> str:
    """The request's path, with secrets in it (sign-in and set-password tokens) left out: their
    routes are logged by pattern. The query string is never logged."""
    if request.url_rule is not None and any("token" in arg for arg in request.view_args or {}):
        return request.url_rule.rule
    return request.path
