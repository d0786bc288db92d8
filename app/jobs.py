"""Background jobs: thin wrappers that load rows by id and call a service.

Jobs are enqueued only after the caller's commit, take ids, and are idempotent. With REDIS_URL set
they go to Celery workers; without it they run in this process right after the response is sent
(so a webhook never waits for them). A job that fails for a reason that may pass (SMTP down, the
provider's 5xx: `Transient`) is retried with exponential backoff; when the retries run out, its
`give_up` records a visible failure. Any other exception (a bug, an answer of a shape nobody
expected) would fail the same way each time: it is logged under an error id (the Celery task's id,
or a fresh one in process) and the job gives up at once, its reason naming that id. Nothing is
lost silently. Work whose job could not be enqueued after its commit (Redis out of reach) is found
again by the beat's sweep (services/stalled.py), which hands it out JOB_MAX_TRIES times at most.
"""

import functools
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta

from celery import Celery, Task
from flask import Flask, current_app, g, has_request_context

from app.extensions import db

log = logging.getLogger(__name__)
REGISTRY: dict[str, "Job"] = {}
_soon_lock = threading.Lock()
FILING_SWEEP_SECONDS = 60
STALLED_SWEEP_SECONDS = 60
STALLED_AFTER_SECONDS = 120  # beyond the retries a row's own job may still be making


class Transient(Exception):
    """A failure that may pass: the job is tried again later."""


class Unexpected(Exception):
    """What a give-up is told of a failure nobody foresaw: logged under `error_id`, not tried
    again."""

    def __init__(self, error_id: str):
        super().__init__(f"error logged as {error_id}")
        self.error_id = error_id


def new_error_id() -> str:
    """A short id naming one logged error, for a user to quote."""
    return uuid.uuid4().hex[:12]


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt` (0-based): base, 2×base, 4×base, …"""
    return current_app.config["JOB_RETRY_BASE_SECONDS"] * 2**attempt


class Job:
    """A function that can be run now (`job(...)`) or enqueued (`job.delay(...)`)."""

    def __init__(self, fn, give_up=None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = f"app.jobs.{fn.__name__}"
        self.give_up = give_up
        REGISTRY[self.name] = self

    def __call__(self, *args):
        return self.fn(*args)

    def delay(self, *args, countdown: float = 0) -> None:
        """Enqueue the job (call this after the commit that made its rows)."""
        app = current_app._get_current_object()
        if app.config["REDIS_URL"]:
            try:
                app.extensions["celery"].tasks[self.name].apply_async(args, countdown=countdown)
            except Exception:
                # The commit before stands, and the beat's sweep enqueues its work again: the
                # request that made it must not be told it failed (a retried reply goes twice).
                log.exception("job %s%r not enqueued: the beat's sweep will", self.name, args)
        elif countdown > 0:
            self._later(app, args, countdown, attempt=0)
        elif (pending := after_answer()) is not None:
            pending.append((self, args))
        else:
            self.run_in_process(args, attempt=0)

    def now(self, *args) -> None:
        """Run the job here and now, whatever REDIS_URL says, its failures handled as a job's
        (for the command line, which cannot wait for a worker that may not be running yet)."""
        self.run_in_process(args, attempt=0)

    def soon(self, seconds: float) -> None:
        """Enqueue the job, which takes no arguments, to run `seconds` from now, unless this
        process enqueued it less than `seconds` ago: that run is still to come and will do this
        call's work too. For a job that picks up whatever is waiting, asked for after each commit
        that leaves work for it."""
        app = current_app._get_current_object()
        now = time.monotonic()
        with _soon_lock:
            due = app.extensions.setdefault("jobs_due", {})
            if due.get(self.name, 0) > now:
                return
            due[self.name] = now + seconds
        self.delay(countdown=seconds)

    def run_in_process(self, args, attempt: int) -> None:
        """Run here; retry later in a thread of this process when the failure may pass."""
        try:
            self.fn(*args)
        except Transient as e:
            db.session.rollback()
            if attempt + 1 < current_app.config["JOB_MAX_TRIES"]:
                log.warning("job %s%r failed (%s); trying again", self.name, args, e)
                self._later(current_app._get_current_object(), args, backoff(attempt), attempt + 1)
            else:
                self.failed(args, e)
        except Exception:
            self.broke(args, new_error_id())

    def failed(self, args, error: Exception) -> None:
        """The retries ran out (`error` a Transient), or the job broke (`error` Unexpected):
        record it where people will see it."""
        log.error("job %s%r gave up: %s", self.name, args, error)
        if self.give_up is None:
            return
        try:
            self.give_up(*args, error)
        except Exception:
            # The row stays waiting, and the beat's sweep hands its work out again (counted).
            db.session.rollback()
            log.exception("job %s%r could not record that it gave up", self.name, args)

    def broke(self, args, error_id: str) -> None:
        """An exception nobody foresaw, being handled: logged under `error_id`, then given up at
        once, since trying again would only fail the same way."""
        db.session.rollback()
        log.exception(
            "job %s%r failed on an unexpected error, logged as %s", self.name, args, error_id
        )
        self.failed(args, Unexpected(error_id))

    def _later(self, app: Flask, args, seconds: float, attempt: int) -> None:
        def run():
            with app.app_context():
                self.run_in_process(args, attempt)
                db.session.remove()

        timer = threading.Timer(seconds, run)
        timer.daemon = True
        timer.start()


def after_answer() -> list | None:
    """The jobs to run once the answer being made has gone out, or None outside any answer: a
    request Flask handles, or one the app answers ahead of Flask (which keeps its list in `g`)."""
    if has_request_context():
        return g.setdefault("jobs_after_response", [])
    return g.get("jobs_after_response")


def then_run(app: Flask, body: Iterable[bytes], pending: list) -> Iterator[bytes]:
    """A response's body, then the jobs `pending` once it has been written: not when the server
    closes the response, since Werkzeug's server first waits for the client to hang up, which a
    browser may take its time to do. `finally` also covers a body never read (HEAD, a client
    gone)."""
    try:
        yield from body
    finally:
        with app.app_context():
            for item, args in pending:
                item.run_in_process(args, attempt=0)
            db.session.remove()


def job(give_up=None):
    """Decorator: make a function a Job, with an optional give-up handler taking its args and
    the error (a `Transient` whose retries ran out, or `Unexpected`)."""
    return lambda fn: Job(fn, give_up)


def init_jobs(app: Flask) -> None:
    """Create the Celery app (Flask's celery_init_app pattern) and run in-process jobs after
    each response."""
    celery = celery_init_app(app)
    for name, item in REGISTRY.items():
        # shared=False: tests build several apps in one process; each keeps its own tasks.
        celery.task(name=name, bind=True, max_retries=None, shared=False)(_task_body(item))

    @app.after_request
    def run_jobs_after_response(response):
        pending = g.pop("jobs_after_response", None)
        if pending:
            response.response = then_run(app, response.response, pending)
        return response


def _task_body(item: Job):
    def body(task, *args):
        try:
            item.fn(*args)
        except Transient as e:
            db.session.rollback()
            if task.request.retries + 1 >= current_app.config["JOB_MAX_TRIES"]:
                item.failed(args, e)
                return
            raise task.retry(exc=e, countdown=backoff(task.request.retries)) from e
        except Exception:
            # Not retried (Celery would only retry what `task.retry` asks for): given up at once.
            item.broke(args, task.request.id)

    body.__name__ = item.fn.__name__
    return body


def celery_init_app(app: Flask) -> Celery:
    """Flask's documented pattern: tasks run inside the app's context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(
        {
            "broker_url": app.config["REDIS_URL"] or "memory://",
            "task_ignore_result": True,
            # A worker killed mid-job leaves the job on the queue for another worker.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            # With Redis, an unacknowledged job (its worker was killed) is handed to another
            # worker once this much time has passed since it was taken.
            # Running workers look for such jobs every 10 s (kombu's default is every 100 s).
            "broker_transport_options": {
                "visibility_timeout": app.config["JOB_VISIBILITY_TIMEOUT"],
                "unacked_restore_interval": 10,
                "unacked_restore_throttle": 1,
            },
            "broker_connection_retry_on_startup": True,
            # `celery beat` (the Procfile's beat) asks now and then for a filing of any text
            # still waiting, whatever kept it from its first filing (the clocks of a web machine
            # and a worker's disagreeing, a failed try).
            "beat_schedule": {
                "file-waiting-texts": {
                    "task": file_waiting_texts.name,
                    "schedule": FILING_SWEEP_SECONDS,
                    "options": {"expires": FILING_SWEEP_SECONDS},
                },
                # And for any notification or outbound text whose job was never enqueued.
                "send-stalled": {
                    "task": send_stalled.name,
                    "schedule": STALLED_SWEEP_SECONDS,
                    "options": {"expires": STALLED_SWEEP_SECONDS},
                },
            },
        }
    )
    app.extensions["celery"] = celery
    return celery


def _delivery_failed(message_id: int, error: Exception) -> None:
    from app.services import outbound

    outbound.delivery_failed(message_id, error)


@job(give_up=_delivery_failed)
def deliver_message(message_id: int) -> None:
    """Hand a queued outbound text to the SMS provider."""
    from app.services import outbound

    outbound.deliver(message_id)


@job()
def file_waiting_texts() -> None:
    """File the inbound texts the webhook stored: conversation, consent, replies, notifications."""
    from app.services import inbound

    inbound.file_waiting()


def _lookup_failed(message_id: int, error: Exception) -> None:
    from app.services import outbound

    outbound.lookup_failed(message_id, error)


@job(give_up=_lookup_failed)
def reconcile_message(message_id: int) -> None:
    """Settle a text whose send timed out, without sending it twice."""
    from app.services import outbound

    outbound.reconcile(message_id)


def _activation_failed(number_id: int, error: Exception) -> None:
    from app.services import activation

    activation.failed(number_id, error)


@job(give_up=_activation_failed)
def activate_number(number_id: int) -> None:
    """Ask the SMS provider to turn SMS on or off for a number in a pending state."""
    from app.services import activation

    activation.complete(number_id)


@job()
def send_stalled() -> None:
    """Enqueue again the work committed whose job was lost (services/stalled.py). A row still in
    its first job's hands is left alone: that job may be retrying, or waiting to look up a
    timed-out send that may be retried too."""
    from app.models.base import utcnow
    from app.services import stalled

    retries = sum(backoff(attempt) for attempt in range(current_app.config["JOB_MAX_TRIES"] - 1))
    stalled.enqueue_again(utcnow() - timedelta(seconds=STALLED_AFTER_SECONDS + 2 * retries))


def _notification_failed(notification_id: int, error: Exception) -> None:
    from app.services import notify

    notify.failed(notification_id, error)


@job(give_up=_notification_failed)
def send_notification(notification_id: int) -> None:
    """Send one notification e-mail or SMS."""
    from app.services import notify

    notify.send(notification_id)
