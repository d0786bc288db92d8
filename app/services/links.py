"""Signed links in notifications: one user, one conversation, expiring (SPEC §2.5).

A link names the user's link version, which deactivation bumps: a link made before a
deactivation stays dead after a reactivation."""

from flask import current_app

from app.extensions import db
from app.models import Conversation, User
from app.services import tokens
from app.services.errors import Invalid

PURPOSE = "conversation-link"


def make(user: User, conversation: Conversation) -> str:
    """The link to put in a notification for this user (built without a request, for jobs)."""
    token = tokens.sign(PURPOSE, {"u": user.id, "c": conversation.id, "v": user.link_version})
    return f"{current_app.config['PUBLIC_BASE_URL']}/c/{token}"


def read(token: str) -> tuple[User, int]:
    """The user and conversation id a link names; Invalid when tampered with, expired, or the
    user is deactivated or was since the link was made."""
    data = tokens.read(
        PURPOSE,
        token,
        current_app.config["NOTIFICATION_LINK_MAX_AGE"],
        expired="This link has expired. Log in to see the conversation.",
    )
    user = db.session.get(User, data["u"]) if "u" in data else None
    if (
        user is None
        or not user.active
        or not isinstance(data.get("c"), int)
        # Links made before this version was signed carry none: they were made under version 0.
        or data.get("v", 0) != user.link_version
    ):
        raise Invalid("This link no longer works.")
    return user, data["c"]
