"""Who handles a conversation: claim, release, reassign, participants, close (SPEC §2.3).

Each change is one conditional UPDATE, so simultaneous requests cannot both win.
"""

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import Conversation, Participant, User
from app.models.base import utcnow
from app.services import events
from app.services.errors import (
    AlreadyClaimed,
    Closed,
    Forbidden,
    Invalid,
    NotClaimed,
    NotClaimer,
    NotFound,
)


def _update(conversation: Conversation, *conditions, **values) -> bool:
    """UPDATE the conversation where the conditions still hold; True when the row changed."""
    result = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claimed_message(conversation: Conversation) -> str:
    """What someone who was too late is told."""
    claimer = conversation.claimed_by
    return f"Already claimed by {claimer.name}." if claimer else "Someone else handled it first."


def try_claim(conversation: Conversation, user: User) -> bool:
    """Claim inside the caller's transaction if nobody has; False when someone was faster."""
    won = _update(
        conversation,
        Conversation.status == "open",
        Conversation.claimed_by_id.is_(None),
        claimed_by_id=user.id,
        claimed_at=utcnow(),
    )
    if won:
        events.record(conversation, "claimed", user)
        db.session.flush()
        db.session.refresh(conversation)
    return won


def _finish(conversation: Conversation) -> Conversation:
    db.session.commit()
    db.session.refresh(conversation)
    return conversation


def claim(conversation: Conversation, user: User) -> Conversation:
    """Claim an open, unclaimed conversation; anyone else's claim gets AlreadyClaimed."""
    if not conversation.is_open:
        raise Closed("The conversation is closed.")
    if not try_claim(conversation, user):
        db.session.rollback()
        db.session.refresh(conversation)
        if not conversation.is_open:
            raise Closed("The conversation is closed.")
        raise AlreadyClaimed(claimed_message(conversation))
    return _finish(conversation)


def release(conversation: Conversation, user: User) -> Conversation:
    """The claimer gives the conversation back to the team, unclaimed."""
    if not conversation.is_open:
        raise Closed("The conversation is closed.")
    if conversation.claimed_by_id is None:
        raise NotClaimed("Nobody has claimed this conversation.")
    if not _update(
        conversation,
        Conversation.status == "open",
        Conversation.claimed_by_id == user.id,
        claimed_by_id=None,
        claimed_at=None,
    ):
        raise NotClaimer("Only the claimer can release the conversation.")
    events.record(conversation, "released", user)
    return _finish(conversation)


def account_user(actor: User, user_id) -> User:
    """An active user of the actor's account by id, or Invalid naming the user_id field."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.account_id != actor.account_id or not user.active:
        raise Invalid(
            "No such user in this account.", {"user_id": ["No such active user in this account."]}
        )
    return user


def reassign(conversation: Conversation, admin: User, target: User) -> Conversation:
    """An admin hands the conversation to another user of the account."""
    if not admin.is_admin:
        raise Forbidden("Only an admin can reassign a conversation.")
    if not conversation.is_open:
        raise Closed("The conversation is closed.")
    if conversation.claimed_by_id == target.id:
        return conversation
    if not _update(
        conversation, Conversation.status == "open", claimed_by_id=target.id, claimed_at=utcnow()
    ):
        raise Closed("The conversation is closed.")
    events.record(conversation, "reassigned", admin, target)
    return _finish(conversation)


def add_participant(conversation: Conversation, actor: User, target: User) -> Conversation:
    """The claimer or an admin brings a user of the account into the conversation."""
    if not (actor.is_admin or conversation.claimed_by_id == actor.id):
        raise Forbidden("Only the claimer or an admin can add participants.")
    if not conversation.is_open:
        raise Closed("The conversation is closed.")
    if target.id == conversation.claimed_by_id:
        raise Invalid("That user claimed the conversation.", {"user_id": ["Already the claimer."]})
    if target.id in conversation.participant_ids:
        return conversation
    db.session.add(
        Participant(conversation_id=conversation.id, user_id=target.id, added_by_id=actor.id)
    )
    events.record(conversation, "participant_added", actor, target)
    return _finish(conversation)


def remove_participant(conversation: Conversation, actor: User, user_id: int) -> Conversation:
    """The claimer or an admin removes a participant; a participant may also leave."""
    if not (actor.is_admin or conversation.claimed_by_id == actor.id or actor.id == user_id):
        raise Forbidden("Only the claimer or an admin can remove participants.")
    if not conversation.is_open:
        raise Closed("The conversation is closed.")
    target = db.session.scalar(
        select(User)
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.conversation_id == conversation.id, Participant.user_id == user_id)
    )
    if target is None:
        raise NotFound("That user is not a participant.")
    db.session.execute(
        delete(Participant).where(
            Participant.conversation_id == conversation.id, Participant.user_id == user_id
        )
    )
    events.record(conversation, "participant_removed", actor, target)
    db.session.commit()
    db.session.expire(conversation)
    return conversation


def may_close(conversation: Conversation, user: User) -> bool:
    return (
        user.is_admin
        or conversation.claimed_by_id == user.id
        or user.id in conversation.participant_ids
    )


def close(conversation: Conversation, user: User) -> Conversation:
    """The claimer, a participant or an admin closes; closed is read-only."""
    if not conversation.is_open:
        raise Closed("The conversation is already closed.")
    if not may_close(conversation, user):
        raise Forbidden("Only the claimer, a participant or an admin can close the conversation.")
    if not _update(
        conversation, Conversation.status == "open", status="closed", closed_at=utcnow()
    ):
        raise Closed("The conversation is already closed.")
    events.record(conversation, "closed", user)
    return _finish(conversation)
