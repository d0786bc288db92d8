"""The job queue: tasks enqueued by name, run by Celery workers or in this process, and enqueued
only once the transaction that asked for them has committed.

A service asks for a job inside its transaction, `after_commit("deliver_message", message.id)`;
the session's hook enqueues it when that transaction commits and forgets it when it rolls back,
so no job runs before the rows it reads are there, and none runs for rows that never were. The
tasks themselves (app/tasks.py) take ids and are idempotent; this module imports no service.

With REDIS_URL set jobs go to Celery workers; without it they run in this process, each in an app
context of its own, right after the response is sent when there is one (so a webhook never waits
for them). A job that fails for a reason that may pass (SMTP down, the provider's 5xx:
`Transient`) is retried with exponential backoff; when the retries run out, its `give_up` records
a visible failure. Any other exception (a bug, an answer of a shape nobody expected) would fail
the same way each time: it is logged under an error id (the Celery task's id, or a fresh one in
process) and the job gives up at once, its reason naming that id. Nothing is lost silently. Work
whose job could not be enqueued after its commit (Redis out of reach) is found again by the
beat's sweep (services/stalled.py), which hands it out JOB_MAX_TRIES times at most.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from celery import Celery, Task
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db
from app.services.errors import Transient, Unexpected, new_error_id

log = logging.getLogger(__name__)
REGISTRY: dict[str, "Job"] = {}
# The names the broker knows the tasks by since the first release: a job enqueued before an
# upgrade still finds its task after it.
TASK_NAME = "app.jobs.{}"
# Where a session keeps the jobs its transaction asked for, then those its commit released.
PENDING, COMMITTED = "jobs_pending", "jobs_committed"
_soon_lock = threading.Lock()


def backoff(attempt: int) -> float:
    """Seconds before retry number `attempt` (0-based): base, 2×base, 4×base, …"""
    return current_app.config["JOB_RETRY_BASE_SECONDS"] * 2**attempt


class Job:
    """A task: a function that can be run now (`job(...)`) or enqueued (`job.delay(...)`)."""

    def __init__(self, fn: Callable, give_up: Callable | None = None, every: float | None = None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = TASK_NAME.format(fn.__name__)
        self.give_up = give_up
        self.every = every
        REGISTRY[fn.__name__] = self

    def __call__(self, *args):
        return self.fn(*args)

    def delay(self, *args, countdown: float = 0) -> None:
        """Enqueue the job at once (`after_commit` calls this when the commit that made its rows
        is done)."""
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
            self.now(*args)

    def now(self, *args) -> None:
        """Run the job here and now, whatever REDIS_URL says, in an app context of its own as in
        a worker, its failures handled as a job's (for the command line, which cannot wait for a
        worker that may not be running yet)."""
        with current_app._get_current_object().app_context():
            self.run_in_process(args, attempt=0)
            db.session.remove()

    def soon(self, seconds: float) -> None:
        """Enqueue the job, which takes no arguments, to run `seconds` from now, unless this
        process enqueued it less than `seconds` ago: that run is still to come and will do this
        call's work too."""
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


def task(give_up: Callable | None = None, every: float | None = None):
    """Decorator: make a function a task, enqueued by its name, with an optional give-up handler
    taking its args and the error (a `Transient` whose retries ran out, or `Unexpected`); with
    `every`, the beat asks for it each `every` seconds (it then takes no arguments)."""
    return lambda fn: Job(fn, give_up, every)


def after_commit(name: str, *args, countdown: float = 0, here: bool = False) -> None:
    """Enqueue the task `name` with `args` once the session's transaction commits (`countdown`
    seconds later; `here`: run in this process whatever REDIS_URL says, before the commit
    returns); forgotten if the transaction, or the savepoint it was asked in, rolls back."""
    if name not in REGISTRY:
        raise LookupError(f"no task is named {name!r}")
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any statement forgets it too
    session.info.setdefault(PENDING, []).append(
        (session.get_nested_transaction(), name, args, countdown, here)
    )


def enqueue(name: str, *args) -> None:
    """Enqueue the task `name` with `args` now: for rows committed out of the session."""
    REGISTRY[name].delay(*args)


def soon(name: str, seconds: float) -> None:
    """Enqueue the task `name`, which takes no arguments, to run `seconds` from now, unless this
    process asked for it less than `seconds` ago (that run will do this call's work too): for a
    task that picks up whatever is waiting, asked for after each commit that leaves work for it."""
    REGISTRY[name].soon(seconds)


@event.listens_for(db.session, "after_commit")
def _committed(session: Session) -> None:
    # A savepoint released: what was asked in it waits for the transaction around it.
    if not session.in_nested_transaction():
        session.info.setdefault(COMMITTED, []).extend(session.info.pop(PENDING, []))


@event.listens_for(db.session, "after_soft_rollback")
def _rolled_back(session: Session, ended: SessionTransaction) -> None:
    # A savepoint rolled back forgets what was asked in it; the transaction's end forgets the rest.
    if ended.nested:
        kept = [job for job in session.info.get(PENDING, []) if not _within(job[0], ended)]
        session.info[PENDING] = kept


@event.listens_for(db.session, "after_transaction_end")
def _ended(session: Session, ended: SessionTransaction) -> None:
    # Enqueued here rather than in after_commit: the transaction's connection is back in the pool
    # and the session may begin another, so a job run in this process at once finds it all done.
    if ended.parent is not None:
        return
    session.info.pop(PENDING, None)  # rolled back, or closed without a commit
    for _, name, args, countdown, here in session.info.pop(COMMITTED, []):
        job = REGISTRY[name]
        if here:
            job.now(*args)
        else:
            job.delay(*args, countdown=countdown)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether `transaction` is `ended` or was begun inside it."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def after_answer() -> list | None:
    """The jobs to run once the answer being made has gone out, or None outside any answer: a
    request Flask handles, or one the app answers ahead of Flask. Each keeps its list in `g`, so a
    job run in an app context of its own during a request runs its own jobs, not the request's."""
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


def init_app(app: Flask) -> None:
    """Create the Celery app (Flask's celery_init_app pattern) with every task, and run
    in-process jobs after each response."""
    celery = celery_init_app(app)
    for item in REGISTRY.values():
        # shared=False: tests build several apps in one process; each keeps its own tasks.
        celery.task(name=item.name, bind=True, max_retries=None, shared=False)(_task_body(item))

    @app.before_request
    def run_jobs_after_this_response():
        g.jobs_after_response = []

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
            # `celery beat` (the Procfile's beat) asks for each task that has an `every`; an ask
            # expires rather than piling up while no worker runs.
            "beat_schedule": {
                item.fn.__name__.replace("_", "-"): {
                    "task": item.name,
                    "schedule": item.every,
                    "options": {"expires": item.every},
                }
                for item in REGISTRY.values()
                if item.every
            },
        }
    )
    app.extensions["celery"] = celery
    return celery
