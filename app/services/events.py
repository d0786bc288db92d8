"""Conversation events: every state change is recorded with who and when (SPEC §2.3)."""

from app.extensions import db
from app.models import Conversation, ConversationEvent, User
from app.models.base import utcnow


def record(
    conversation: Conversation,
    type_: str,
    user: User | None,
    target: User | None = None,
    tag_name: str | None = None,
) -> None:
    """Add an event to the session; the caller's commit keeps it with the change it records
    (`target`: the user it was done to; `tag_name`: the tag put on or taken off)."""
    conversation.updated_at = utcnow()
    db.session.add(
        ConversationEvent(
            conversation_id=conversation.id,
            type=type_,
            user_id=user.id if user else None,
            target_user_id=target.id if target else None,
            tag_name=tag_name,
        )
    )
