"""Scheduled texts (SPEC §2.12): chosen for a later time, or held by quiet hours; edited or
cancelled until they leave; sent by the scheduler when their time comes, after the send layer
has checked again everything a send checks.

Each change of a scheduled text is one conditional UPDATE on its status, so of the scheduler in
two processes, or an edit racing the scheduler, exactly one wins: a text never leaves twice, and
an edit never lands on a text that has left.
"""

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from marshmallow import fields
from sqlalchemy import select, text, update

from app.extensions import db
from app.inputs import Choice, Form, load
from app.models import Conversation, Message, User
from app.models.base import utcnow
from app.models.conversation import SCHEDULED_WHERE, HeldFor, MessageStatus
from app.services import outbound
from app.services.errors import AlreadySent, Forbidden, Invalid, NotFound

MAX_AHEAD = timedelta(days=365)
DUE_BATCH = 100  # texts sent per run of the scheduler; the next run takes the rest


class Later(StrEnum):
    """The composer's "Send later" choices: quick picks, or a date and time of one's own."""

    IN_AN_HOUR = "in_an_hour"
    TOMORROW_9 = "tomorrow_9"
    AT = "at"


LATER = {Later.IN_AN_HOUR: "In 1 hour", Later.TOMORROW_9: "Tomorrow 9:00"}
MORNING = time(9)


class LocalMoment(fields.NaiveDateTime):
    """A date and time as a page's `datetime-local` box sends it (2027-01-05T09:00), on the
    account's clock."""

    default_error_messages = {"invalid": "Give a date and a time."}

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)


class LaterForm(Form):
    later = Choice(tuple(Later), load_default=None)
    send_at = LocalMoment(load_default=None)


def chosen_time(data, zone: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """The time a page's form chose to send at (naive UTC, checked by `check_send_at`), or None
    for now: a quick pick, or a date and time on the account's clock (`zone`)."""
    args = load(LaterForm(), data, "Choose when to send it: a quick pick, or a date and a time.")
    here = (now or utcnow()).replace(tzinfo=UTC).astimezone(zone)
    if args["later"] is None:
        return None
    if args["later"] == Later.IN_AN_HOUR:
        chosen = here + timedelta(hours=1)
    elif args["later"] == Later.TOMORROW_9:
        chosen = datetime.combine(here.date() + timedelta(days=1), MORNING, tzinfo=zone)
    elif args["send_at"] is None:
        raise Invalid(
            "Give a date and a time to send it at.", {"send_at": ["Give a date and a time."]}
        )
    else:
        chosen = args["send_at"].replace(tzinfo=zone)
    return check_send_at(chosen, now)


def check_send_at(value, now: datetime | None = None) -> datetime:
    """A scheduled text's time, as naive UTC, or Invalid: an aware datetime (ISO 8601 with an
    offset), in the future, at most a year ahead."""
    now = now or utcnow()
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(
            "The time to send has no time zone.",
            {"send_at": ["Give a date and time with its offset, e.g. 2027-01-05T09:00:00-05:00."]},
        )
    try:
        at = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # beyond year 9999 once in UTC
        at = datetime.max
    if at <= now:
        raise Invalid(
            "That time has passed: choose one in the future.",
            {"send_at": ["Choose a time in the future."]},
        )
    if at > now + MAX_AHEAD:
        raise Invalid(
            "That is too far ahead: at most a year from now.",
            {"send_at": ["At most a year from now."]},
        )
    return at


def get(conversation: Conversation, message_id: int) -> Message:
    """A text of the conversation (which the caller has found the user may see), or NotFound."""
    message = db.session.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound("No such text.")
    return message


def _may_change(message: Message, user: User) -> None:
    if message.status != MessageStatus.SCHEDULED:
        raise AlreadySent("The text has left already; it can no longer be changed.")
    if message.sent_by_id != user.id and not user.is_admin:
        raise Forbidden("Only the text's author or an admin can change it.")


def _changed(message: Message, values: dict) -> None:
    """Apply `values` to the text while it is still scheduled, or AlreadySent."""
    done = db.session.execute(
        update(Message)
        .where(Message.id == message.id, text(SCHEDULED_WHERE))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        raise AlreadySent("The text has left already; it can no longer be changed.")
    message.conversation.updated_at = utcnow()
    db.session.commit()
    db.session.refresh(message)


def edit(message: Message, user: User, body=None, send_at: datetime | None = None) -> Message:
    """Change a scheduled text's body or its time (naive UTC, checked by `check_send_at`): its
    author, or an admin. A new time inside quiet hours is held until they end."""
    _may_change(message, user)
    values = {}
    if body is not None:
        values["body"] = outbound.check_body(body)
    if send_at is not None:
        opening = outbound.held_until(message.conversation, send_at)
        values["send_at"] = opening or send_at
        values["held_for"] = HeldFor.QUIET_HOURS if opening else None
    if values:
        _changed(message, values)
    return message


def cancel(message: Message, user: User) -> Message:
    """Cancel a scheduled text (its author, or an admin): it stays in the thread, cancelled."""
    _may_change(message, user)
    _changed(
        message,
        {"status": MessageStatus.CANCELLED, "error_message": f"Cancelled by {user.name}."},
    )
    return message


def send_due(now: datetime | None = None) -> int:
    """Send the scheduled texts whose time has come (at most DUE_BATCH; the next run takes the
    rest). Returns how many left."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Message.id)
        .where(text(SCHEDULED_WHERE), Message.send_at <= now)
        .order_by(Message.send_at, Message.id)
        .limit(DUE_BATCH)
    ).all()
    db.session.rollback()
    return sum(release(message_id, now) for message_id in due)


def release(message_id: int, now: datetime) -> bool:
    """Send one scheduled text if it is still scheduled and due: the send layer checks it again
    (open, its author still the claimer or a participant, consent, quiet hours); one that can no
    longer go ends cancelled with the reason. True when it left."""
    taken = db.session.execute(
        update(Message)
        .where(Message.id == message_id, text(SCHEDULED_WHERE), Message.send_at <= now)
        .values(status=MessageStatus.QUEUED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # another process took it, or it was edited or cancelled
        db.session.rollback()
        return False
    message = db.session.get(Message, message_id)
    conversation = message.conversation
    conversation.updated_at = now
    refusal = _refusal(message)
    if refusal:
        message.status, message.error_message = MessageStatus.CANCELLED, f"Not sent: {refusal}"
        db.session.commit()
        return False
    opening = outbound.held_until(conversation, now)
    if opening is not None:
        message.status, message.send_at = MessageStatus.SCHEDULED, opening
        message.held_for = HeldFor.QUIET_HOURS
        db.session.commit()
        return False
    outbound.leaves(message, now)
    db.session.commit()
    return True


def _refusal(message: Message) -> str | None:
    """Why a scheduled text can no longer go, as its author would read it, or None."""
    author = message.sent_by
    if author is None or not author.active:
        return "its author no longer has access."
    refusal = outbound.send_refusal(message.conversation, author)
    return refusal.message if refusal else None
