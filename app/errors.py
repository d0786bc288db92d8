"""Errors as callers expect them: `{"error": {"code", "message"}}` for the API, pages otherwise."""

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from app.services.errors import DomainError
from app.storage import Missing

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The API's error body, with the fields at fault when there are some."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return jsonify(error=error), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        if wants_json():
            return error_response(e.status, e.code, e.message, e.fields)
        return render_template("error.html", status=e.status, message=e.message), e.status

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        if wants_json():
            return error_response(400, "csrf_failed", e.description)
        message = "The form had expired. Go back, reload the page and try again."
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        status = e.code or 500
        if wants_json():
            body = error_response(status, HTTP_CODES.get(status, "error"), e.description)
        else:
            body = render_template("error.html", status=status, message=e.description), status
        response = make_response(body)
        # The error's own headers: Allow on a 405, Retry-After when it names one.
        for name, value in e.get_headers():
            if name != "Content-Type":
                response.headers.setdefault(name, value)
        return response

    @app.errorhandler(Missing)
    def file_gone(e: Missing):
        # A picture or file named by a row whose stored copy is gone, wherever it is served.
        return http_error(NotFound("This file is no longer kept."))

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side. Nothing was changed; please try again."
        if wants_json():
            return error_response(500, "internal_error", message)
        return render_template("error.html", status=500, message=message), 500
