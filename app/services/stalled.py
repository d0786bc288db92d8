"""Work committed whose job was never enqueued (the broker out of reach right after the commit,
or the process gone): found again by the beat's sweep, each minute.

Each job does its work once however often it runs, and takes its row under a lock, so a row
enqueued again while its first job still waits is handled once. A row's `attempts` counts how
often the sweep handed its work out again (a job's own retries of a passing failure do not count:
they end in its give-up, which leaves nothing for the sweep). Once it reached JOB_MAX_TRIES the row
is failed with the reason instead: no work is handed out for ever.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, text, update

from app.extensions import db
from app.models import Conversation, EarlyStatus, Message, Notification, TrackingNumber
from app.models.base import utcnow
from app.models.conversation import UNSENT_WHERE, MessageStatus
from app.models.notification import QUEUED_WHERE as WAITING_NOTIFICATIONS
from app.models.notification import NotificationStatus
from app.models.number import PENDING_SMS_STATES
from app.queue import after_commit

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # a text sent later than this would surprise its reader
EARLY_STATUS_KEPT = timedelta(days=1)  # callbacks for texts never stored (notifications)


def lost(tries: int) -> str:
    """Why a row whose work was handed out `tries` times in all gave up."""
    return f"could not be sent: tried {tries} times, the work was lost each time"


def enqueue_again(before: datetime) -> None:
    """Enqueue the jobs of replies, lookups and notifications still waiting since before
    `before` (and after a day before it), counting an attempt on each, or fail those handed out
    JOB_MAX_TRIES times already; enqueue those of numbers whose SMS change is pending; let go of
    delivery callbacks for texts never stored."""
    since = before - LOOKBACK
    most = current_app.config["JOB_MAX_TRIES"]
    # Written as the partial indexes are, so the database finds them. A row locked is in a job's
    # hands right now: it is not lost. FOR NO KEY UPDATE, so that what refers to the rows picked
    # (a notification about a text) can still be written meanwhile.
    messages = db.session.execute(
        select(Message.id, Message.status, Message.attempts)
        .where(text(UNSENT_WHERE), Message.created_at.between(since, before))
        .order_by(Message.id)
        .with_for_update(skip_locked=True, key_share=True)
    ).all()
    notes = db.session.execute(
        select(Notification.id, Notification.attempts)
        .where(text(WAITING_NOTIFICATIONS), Notification.created_at.between(since, before))
        .order_by(Notification.id)
        .with_for_update(skip_locked=True, key_share=True)
    ).all()
    numbers = db.session.scalars(
        select(TrackingNumber.id).where(TrackingNumber.sms_state.in_(PENDING_SMS_STATES))
    ).all()
    again = [(i, s) for i, s, attempts in messages if attempts < most]
    _count([i for i, _ in again], Message)
    _count([i for i, attempts in notes if attempts < most], Notification)
    _give_up([(i, s, a) for i, s, a in messages if a >= most])
    for note_id, attempts in notes:
        if attempts >= most:
            db.session.execute(
                update(Notification)
                .where(Notification.id == note_id, text(WAITING_NOTIFICATIONS))
                .values(status=NotificationStatus.FAILED, error=lost(attempts + 1))
            )
    db.session.execute(
        delete(EarlyStatus).where(EarlyStatus.created_at < utcnow() - EARLY_STATUS_KEPT)
    )
    work = [
        *(
            ("deliver_message" if s == MessageStatus.QUEUED else "reconcile_message", i)
            for i, s in again
        ),
        *(("send_notification", i) for i, attempts in notes if attempts < most),
        *(("activate_number", i) for i in numbers),
    ]
    for name, row_id in work:
        log.warning("job %s(%s) still to run: enqueued again", name, row_id)
        after_commit(name, row_id)
    db.session.commit()


def _count(ids: list[int], model) -> None:
    """One more attempt on each of these rows, in the sweep's transaction."""
    if ids:
        db.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        )


def _give_up(rows: list[tuple[int, str, int]]) -> None:
    """Fail the texts whose work was handed out JOB_MAX_TRIES times and lost each time; a text
    whose send timed out may have reached the contact, and says so."""
    for message_id, status, attempts in rows:
        reason = lost(attempts + 1)
        if status == MessageStatus.UNKNOWN:
            reason += " (the provider did not answer its send: it may have reached the contact)"
        log.error("text %s %s", message_id, reason)
        db.session.execute(
            update(Message)
            .where(Message.id == message_id, text(UNSENT_WHERE))
            .values(status=MessageStatus.FAILED, error_message=reason)
            .execution_options(synchronize_session=False)
        )
    if rows:
        # An open portal asks for the conversations changed since it last looked.
        db.session.execute(
            update(Conversation)
            .where(
                Conversation.id.in_(
                    select(Message.conversation_id).where(Message.id.in_([r[0] for r in rows]))
                )
            )
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
