"""Background jobs: thin wrappers that load rows by id and call a service.

Jobs are enqueued only after the caller's commit, take ids, and are idempotent. With no job queue
configured they run in this process right away, so the embedded default needs nothing else.
"""

import functools
import logging
import threading

from flask import current_app

from app.extensions import db

log = logging.getLogger(__name__)


class Job:
    """A function that can be run now (`job(...)`) or enqueued (`job.delay(...)`)."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def delay(self, *args, countdown: float = 0) -> None:
        """Run the job after the caller's commit (or `countdown` seconds later, in a thread of this
        process); a failure is logged, never raised."""
        if countdown > 0:
            app = current_app._get_current_object()
            timer = threading.Timer(countdown, self._run_in, (app, args))
            timer.daemon = True
            timer.start()
            return
        self._run(args)

    def _run(self, args) -> None:
        try:
            self.fn(*args)
        except Exception:
            db.session.rollback()
            log.exception("job %s%r failed", self.fn.__name__, args)

    def _run_in(self, app, args) -> None:
        with app.app_context():
            self._run(args)
            db.session.remove()


def job(fn) -> Job:
    return Job(fn)


@job
def deliver_message(message_id: int) -> None:
    """Hand a queued outbound text to the SMS provider."""
    from app.services import outbound

    outbound.deliver(message_id)


@job
def activate_number(number_id: int) -> None:
    """Ask the SMS provider to turn SMS on or off for a number in a pending state."""
    from app.services import activation

    activation.complete(number_id)
