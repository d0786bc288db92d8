"""Who handles a conversation: claim, release, reassign, participants, close (SPEC §2.3).

Each change is one conditional UPDATE, so simultaneous requests cannot both win.
"""

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import Conversation, Participant, User
from app.models.base import utcnow
from app.models.conversation import ConversationStatus, EventType
from app.services import events
from app.services.errors import (
    AlreadyClaimed,
    Closed,
    DomainError,
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
    now = utcnow()
    won = _update(
        conversation,
        Conversation.status == ConversationStatus.OPEN,
        Conversation.claimed_by_id.is_(None),
        claimed_by_id=user.id,
        claimed_at=now,
        first_claimed_at=func.coalesce(Conversation.first_claimed_at, now),
        first_claimed_by_id=func.coalesce(Conversation.first_claimed_by_id, user.id),
    )
    if won:
        events.record(conversation, EventType.CLAIMED, user)
        db.session.flush()
        db.session.refresh(conversation)
    return won


def lock(conversation: Conversation) -> None:
    """Read the conversation again under a row lock held until the commit: a close, release or
    reassign committed a moment ago is seen, and one that comes later waits for this change."""
    db.session.refresh(conversation, with_for_update={"of": Conversation})


def _finish(conversation: Conversation) -> Conversation:
    db.session.commit()
    db.session.refresh(conversation)
    return conversation


def claim_refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user cannot claim the conversation, or None when they can."""
    if not conversation.is_open:
        return Closed("The conversation is closed.")
    if conversation.claimed_by_id is not None:
        return AlreadyClaimed(claimed_message(conversation))
    return None


def claim(conversation: Conversation, user: User) -> Conversation:
    """Claim an open, unclaimed conversation; anyone else's claim gets AlreadyClaimed."""
    if refusal := claim_refusal(conversation, user):
        raise refusal
    if not try_claim(conversation, user):
        db.session.rollback()
        db.session.refresh(conversation)
        raise claim_refusal(conversation, user) or AlreadyClaimed(claimed_message(conversation))
    return _finish(conversation)


def release_refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user cannot release the conversation, or None when they can."""
    if not conversation.is_open:
        return Closed("The conversation is closed.")
    if conversation.claimed_by_id is None:
        return NotClaimed("Nobody has claimed this conversation.")
    if conversation.claimed_by_id != user.id:
        return NotClaimer("Only the claimer can release the conversation.")
    return None


def release(conversation: Conversation, user: User) -> Conversation:
    """The claimer gives the conversation back to the team, unclaimed."""
    if refusal := release_refusal(conversation, user):
        raise refusal
    if not _update(
        conversation,
        Conversation.status == ConversationStatus.OPEN,
        Conversation.claimed_by_id == user.id,
        claimed_by_id=None,
        claimed_at=None,
    ):
        raise NotClaimer("Only the claimer can release the conversation.")
    events.record(conversation, EventType.RELEASED, user)
    return _finish(conversation)


def reassign_refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user cannot reassign the conversation, or None when they can."""
    if not user.is_admin:
        return Forbidden("Only an admin can reassign a conversation.")
    if not conversation.is_open:
        return Closed("The conversation is closed.")
    return None


def reassign(conversation: Conversation, admin: User, target: User) -> Conversation:
    """An admin hands the conversation to another user of the account."""
    if refusal := reassign_refusal(conversation, admin):
        raise refusal
    if conversation.claimed_by_id == target.id:
        return conversation
    if not _update(
        conversation,
        Conversation.status == ConversationStatus.OPEN,
        claimed_by_id=target.id,
        claimed_at=utcnow(),
    ):
        raise Closed("The conversation is closed.")
    events.record(conversation, EventType.REASSIGNED, admin, target)
    return _finish(conversation)


def participants_refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user cannot add or remove participants, or None when they can."""
    if not (user.is_admin or conversation.claimed_by_id == user.id):
        return Forbidden("Only the claimer or an admin can add participants.")
    if not conversation.is_open:
        return Closed("The conversation is closed.")
    return None


def add_participant(conversation: Conversation, actor: User, target: User) -> Conversation:
    """The claimer or an admin brings a user of the account into the conversation."""
    lock(conversation)
    if refusal := participants_refusal(conversation, actor):
        raise refusal
    if target.id == conversation.claimed_by_id:
        raise Invalid("That user claimed the conversation.", {"user_id": ["Already the claimer."]})
    if target.id in conversation.participant_ids:
        return conversation
    db.session.add(
        Participant(conversation_id=conversation.id, user_id=target.id, added_by_id=actor.id)
    )
    events.record(conversation, EventType.PARTICIPANT_ADDED, actor, target)
    return _finish(conversation)


def remove_participant(conversation: Conversation, actor: User, user_id: int) -> Conversation:
    """The claimer or an admin removes a participant; a participant may also leave."""
    lock(conversation)
    if actor.id != user_id and (refusal := participants_refusal(conversation, actor)):
        raise refusal
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
    events.record(conversation, EventType.PARTICIPANT_REMOVED, actor, target)
    db.session.commit()
    db.session.expire(conversation)
    return conversation


def close_refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user cannot close the conversation, or None when they can."""
    if not conversation.is_open:
        return Closed("The conversation is already closed.")
    if not (user.is_admin or conversation.handled_by(user)):
        return Forbidden("Only the claimer, a participant or an admin can close it.")
    return None


def close(conversation: Conversation, user: User) -> Conversation:
    """The claimer, a participant or an admin closes; closed is read-only."""
    if refusal := close_refusal(conversation, user):
        raise refusal
    if not _update(
        conversation,
        Conversation.status == ConversationStatus.OPEN,
        status=ConversationStatus.CLOSED,
        closed_at=utcnow(),
    ):
        raise Closed("The conversation is already closed.")
    events.record(conversation, EventType.CLOSED, user)
    return _finish(conversation)


def refusals(conversation: Conversation, user: User) -> dict[str, DomainError | None]:
    """For each action on the conversation, why the user may not take it (None: they may)."""
    return {
        "claim": claim_refusal(conversation, user),
        "release": release_refusal(conversation, user),
        "reassign": reassign_refusal(conversation, user),
        "participants": participants_refusal(conversation, user),
        "close": close_refusal(conversation, user),
    }
