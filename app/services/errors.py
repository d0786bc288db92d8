"""Domain errors: each carries the API error code and HTTP status it is answered with."""


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


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    """Bad input: `fields` maps each field at fault to what is wrong with it."""

    status, code = 422, "invalid"
