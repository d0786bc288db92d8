"""The SMS state machine of a tracking number (SPEC §2.1): off → pending → active → pending → off.

A toggle only enters the pending state; the provider's answer, in a job, moves it on or back.
"""

import logging

from app import jobs
from app.extensions import db
from app.models import TrackingNumber
from app.services.errors import Conflict, Invalid
from app.sms import ActivationError, provider

log = logging.getLogger(__name__)


def request(number: TrackingNumber, on: bool, at_once: bool = False) -> None:
    """Turn SMS on or off: enter the pending state and ask the provider in a job (which waits as
    long as the provider takes, unless `at_once`: the command line cannot wait for it)."""
    if number.sms_state.startswith("pending"):
        raise Conflict(
            "SMS is already being turned on or off for this number; wait for it to finish."
        )
    if on:
        if number.sms_state == "active":
            return
        if not number.active_sms_users:
            raise Invalid(
                "Add at least one SMS user first.",
                {"sms_users": ["At least one SMS user is needed."]},
            )
        number.sms_state = "pending_activation"
    else:
        if number.sms_state == "off":
            return
        number.sms_state = "pending_deactivation"
    number.sms_error = None
    db.session.commit()
    jobs.activate_number.delay(number.id, countdown=0 if at_once else provider().activation_delay)


def complete(number_id: int) -> None:
    """Ask the provider to carry out a pending change; success moves on, failure moves back."""
    number = db.session.get(TrackingNumber, number_id, with_for_update=True)  # one run at a time
    if number is None or not number.sms_state.startswith("pending"):
        return
    turning_on = number.sms_state == "pending_activation"
    error = None
    try:
        if turning_on:
            provider().activate(number.number)
        else:
            provider().deactivate(number.number)
    except ActivationError as e:
        error = str(e)
    except Exception:
        # Anything else (an answer nobody expected, a bug) must not leave the number pending for
        # ever, where every toggle is refused: it moves back too, with a message the admin can use.
        log.exception("turning SMS %s for %s failed", "on" if turning_on else "off", number.number)
        db.session.rollback()
        error = (
            f"Turning SMS {'on' if turning_on else 'off'} failed on an unexpected error (logged "
            "for whoever runs this installation). Try again in a moment."
        )
    if error is None:
        number.sms_state = "active" if turning_on else "off"
    else:
        number.sms_state = "off" if turning_on else "active"
        number.sms_error = error
    db.session.commit()
