"""The SMS state machine of a tracking number (SPEC §2.1): off → pending → active → pending → off.

A toggle only enters the pending state; the provider's answer, in a job, moves it on or back.
Texts that come while the change is pending wait (with Twilio the webhook points here before the
provider's success is recorded): filed once the number is active, ignored when it ends off.
"""

from sqlalchemy import select, text, update

from app.extensions import db
from app.models import Message, TrackingNumber
from app.models.conversation import WAITING_WHERE, MessageStatus
from app.models.number import PENDING_SMS_STATES, SmsState
from app.queue import after_commit
from app.services.errors import Conflict, Invalid
from app.sms import ActivationError, provider

KEEPS_KEY = {"key_share": True}  # a row lock that lets rows referring to the row be written


def request(number: TrackingNumber, on: bool, at_once: bool = False) -> None:
    """Turn SMS on or off: enter the pending state and ask the provider in a job (which waits as
    long as the provider takes), or, `at_once`, here and now: the command line cannot wait for a
    worker that may not be running yet."""
    if number.sms_state in PENDING_SMS_STATES:
        raise Conflict(
            "SMS is already being turned on or off for this number; wait for it to finish."
        )
    if on:
        if number.sms_state == SmsState.ACTIVE:
            return
        if not number.active_sms_users:
            raise Invalid(
                "Add at least one SMS user first.",
                {"sms_users": ["At least one SMS user is needed."]},
            )
        number.sms_state = SmsState.PENDING_ACTIVATION
    else:
        if number.sms_state == SmsState.OFF:
            return
        number.sms_state = SmsState.PENDING_DEACTIVATION
    number.sms_error = None
    if at_once:
        after_commit("activate_number", number.id, here=True)
    else:
        after_commit("activate_number", number.id, countdown=provider().activation_delay)
    db.session.commit()
    if at_once:
        db.session.refresh(number)


def complete(number_id: int) -> None:
    """Ask the provider to carry out a pending change; success moves on, a refusal moves back.
    Any other failure is the job's to handle (`failed`, given up at once)."""
    # One run at a time. FOR NO KEY UPDATE: a plain FOR UPDATE would also hold up, for as long as
    # the provider takes, every text stored for the number (PostgreSQL's key check of the insert).
    number = db.session.get(TrackingNumber, number_id, with_for_update=KEEPS_KEY)
    if number is None or number.sms_state not in PENDING_SMS_STATES:
        return
    turning_on = number.sms_state == SmsState.PENDING_ACTIVATION
    try:
        if turning_on:
            provider().activate(number.number)
        else:
            provider().deactivate(number.number)
    except ActivationError as e:
        _move(number, succeeded=False, error=str(e))
    else:
        _move(number, succeeded=True)


def failed(number_id: int, error: Exception) -> None:
    """The change failed on an error nobody expected: the number moves back, with a message the
    admin can use, and is not left pending for ever, where every toggle is refused."""
    number = db.session.get(TrackingNumber, number_id, with_for_update=KEEPS_KEY)
    if number is None or number.sms_state not in PENDING_SMS_STATES:
        return
    turning = "on" if number.sms_state == SmsState.PENDING_ACTIVATION else "off"
    reason = (
        f"Turning SMS {turning} failed on an unexpected error ({error}). Try again in a moment."
    )
    _move(number, succeeded=False, error=reason)


def _move(number: TrackingNumber, succeeded: bool, error: str | None = None) -> None:
    """End the pending change (on, or back) and settle the texts that waited for it: filed on an
    active number, ignored on one that is off."""
    turning_on = number.sms_state == SmsState.PENDING_ACTIVATION
    number.sms_state = SmsState.ACTIVE if turning_on == succeeded else SmsState.OFF
    number.sms_error = error
    waiting = (text(WAITING_WHERE), Message.tracking_number_id == number.id)
    if number.sms_state == SmsState.OFF:
        # Kept for audit, as any text to a number that is off.
        db.session.execute(
            update(Message)
            .where(*waiting)
            .values(status=MessageStatus.IGNORED)
            .execution_options(synchronize_session=False)
        )
    elif db.session.scalar(select(Message.id).where(*waiting).limit(1)) is not None:
        after_commit("file_waiting_texts")
    db.session.commit()
