"""Background tasks: each loads its rows by id and calls one service; app/queue.py runs them.

A service asks for one by its name once its transaction commits
(`after_commit("deliver_message", message.id)`); a task's give-up records, where people see it,
that it could not be done.
"""

from datetime import timedelta

from flask import Flask, current_app

from app import queue, scheduler
from app.models.base import utcnow
from app.services import (
    activation,
    attachments,
    filing,
    notify,
    outbound,
    scheduled,
    stalled,
)

# How often the beat asks for a filing of any text still waiting, whatever kept it from its first
# filing (the clocks of a web machine and a worker's disagreeing, a failed try), and for any
# notification or outbound text whose job was never enqueued.
FILING_SWEEP_SECONDS = 60
STALLED_SWEEP_SECONDS = 60
STALLED_AFTER_SECONDS = 120  # beyond the retries a row's own job may still be making
# Scheduled texts leave within a minute of their time (SPEC §2.12).
SCHEDULED_SWEEP_SECONDS = 20


@queue.task(give_up=outbound.delivery_failed)
def deliver_message(message_id: int) -> None:
    """Hand a queued outbound text to the SMS provider."""
    outbound.deliver(message_id)


@queue.task(every=FILING_SWEEP_SECONDS)
def file_waiting_texts() -> None:
    """File the inbound texts the webhook stored: conversation, consent, replies, notifications."""
    filing.file_waiting()


@queue.task()
def keep_media(message_id: int) -> None:
    """Fetch an inbound text's pictures and files from the provider and keep them (when it gives
    up, what is left is fetched from the provider when a user opens it)."""
    attachments.keep_inbound(message_id)


@queue.task(every=SCHEDULED_SWEEP_SECONDS)
def send_scheduled() -> None:
    """Send the scheduled texts whose time has come, each checked again by the send layer."""
    scheduled.send_due()


@queue.task(give_up=outbound.lookup_failed)
def reconcile_message(message_id: int) -> None:
    """Settle a text whose send timed out, without sending it twice."""
    outbound.reconcile(message_id)


@queue.task(give_up=activation.failed)
def activate_number(number_id: int) -> None:
    """Ask the SMS provider to turn SMS on or off for a number in a pending state."""
    activation.complete(number_id)


@queue.task(every=STALLED_SWEEP_SECONDS)
def send_stalled() -> None:
    """Enqueue again the work committed whose job was lost (services/stalled.py). A row still in
    its first job's hands is left alone: that job may be retrying, or waiting to look up a
    timed-out send that may be retried too."""
    tries = current_app.config["JOB_MAX_TRIES"]
    retries = sum(queue.backoff(attempt) for attempt in range(tries - 1))
    stalled.enqueue_again(utcnow() - timedelta(seconds=STALLED_AFTER_SECONDS + 2 * retries))


@queue.task(give_up=notify.failed)
def send_notification(notification_id: int) -> None:
    """Send one notification e-mail or SMS."""
    notify.send(notification_id)


def init_app(app: Flask) -> None:
    """Give the app its queue, which runs these tasks (Celery workers, or this process), and,
    without workers, the scheduler that runs the periodic ones here."""
    queue.init_app(app)
    scheduler.init_app(app)
