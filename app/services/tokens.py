"""Signed, expiring tokens carried by links (notifications, invitations): made and read one way."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.errors import Invalid


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose salts the signature: a token made for one kind of link opens no other.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def sign(purpose: str, data: dict) -> str:
    """A URL-safe token carrying `data`, signed for one purpose with the app's secret."""
    return _serializer(purpose).dumps(data)


def read(purpose: str, token: str, max_age: int, expired: str) -> dict:
    """What a token of that purpose carries ({} when it is not a mapping); Invalid with the
    message `expired` when it is older than `max_age` seconds, and when it is tampered with."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as e:
        raise Invalid(expired) from e
    except BadSignature as e:
        raise Invalid("This link is not valid.") from e
    return data if isinstance(data, dict) else {}
