"""Domain errors, each with the API error code and HTTP status it is answered with; and the two
failures a job reports (one that may pass, one nobody foresaw)."""

import uuid


class DomainError(Exception):
    """A rule of the domain said no."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotClaimer(DomainError):
    status, code = 403, "not_claimer"


class AlreadyClaimed(DomainError):
    status, code = 409, "already_claimed"


class NotClaimed(DomainError):
    status, code = 409, "not_claimed"


class Closed(DomainError):
    status, code = 409, "closed"


class OptedOut(DomainError):
    status, code = 409, "opted_out"


class AlreadySent(DomainError):
    """A scheduled text that has left (or was cancelled) cannot be changed."""

    status, code = 409, "already_sent"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    """Bad input: `fields` maps each field at fault to what is wrong with it."""

    status, code = 422, "invalid"


class Transient(Exception):
    """A failure that may pass (the mail server down, the provider's 5xx): the job that met it
    is tried again later."""


class Unexpected(Exception):
    """What a job's give-up is told of a failure nobody foresaw: logged under `error_id`, not
    tried again."""

    def __init__(self, error_id: str):
        super().__init__(f"error logged as {error_id}")
        self.error_id = error_id


def new_error_id() -> str:
    """A short id naming one logged error, for a user to quote."""
    return uuid.uuid4().hex[:12]
