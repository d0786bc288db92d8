"""Work committed whose job was never enqueued (the broker out of reach right after the commit,
or the process gone): found again by the beat's sweep, each minute.

Each job does its work once however often it runs, and takes its row under a lock, so a row
enqueued again while its first job still waits is handled once.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text

from app import jobs
from app.extensions import db
from app.models import EarlyStatus, Message, Notification, TrackingNumber
from app.models.base import utcnow
from app.models.conversation import UNSENT_WHERE
from app.models.notification import QUEUED_WHERE as WAITING_NOTIFICATIONS

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # a text sent later than this would surprise its reader
EARLY_STATUS_KEPT = timedelta(days=1)  # callbacks for texts never stored (notifications)


def enqueue_again(before: datetime) -> None:
    """Enqueue the jobs of replies, lookups and notifications still waiting since before
    `before` (and after a day before it), and of numbers whose SMS change is pending; let go of
    delivery callbacks for texts never stored."""
    since = before - LOOKBACK
    # Written as the partial indexes are, so the database finds them.
    messages = db.session.execute(
        select(Message.id, Message.status)
        .where(text(UNSENT_WHERE), Message.created_at.between(since, before))
        .order_by(Message.id)
    ).all()
    notes = db.session.scalars(
        select(Notification.id)
        .where(text(WAITING_NOTIFICATIONS), Notification.created_at.between(since, before))
        .order_by(Notification.id)
    ).all()
    numbers = db.session.scalars(
        select(TrackingNumber.id).where(TrackingNumber.sms_state.like("pending%"))
    ).all()
    db.session.execute(
        delete(EarlyStatus).where(EarlyStatus.created_at < utcnow() - EARLY_STATUS_KEPT)
    )
    db.session.commit()
    work = [
        *(
            (jobs.deliver_message if s == "queued" else jobs.reconcile_message, i)
            for i, s in messages
        ),
        *((jobs.send_notification, i) for i in notes),
        *((jobs.activate_number, i) for i in numbers),
    ]
    for job, row_id in work:
        log.warning("job %s(%s) still to run: enqueued again", job.name, row_id)
        job.delay(row_id)
