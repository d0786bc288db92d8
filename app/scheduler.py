"""The periodic tasks without workers: with REDIS_URL unset there is no Celery beat, so the
process that serves the app runs each task that has an `every` itself, on APScheduler's clock.

It starts with the first request the process serves (not on import: the command line builds the
app too, before the database may be migrated), runs every task at once (catching up on what fell
due while the app was down), then each at its period. Two processes running it do no harm: each
task takes its rows with a conditional UPDATE or a row lock, so nothing is done twice.
"""

import logging
import threading
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app import queue
from app.extensions import db

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Start the scheduler with the first request, when the app runs without workers."""
    if app.config["REDIS_URL"] or not app.config["SCHEDULER_IN_PROCESS"]:
        return
    lock = threading.Lock()

    @app.before_request
    def start_scheduler():
        with lock:
            if "scheduler" not in app.extensions:
                app.extensions["scheduler"] = start(app)


def start(app: Flask) -> BackgroundScheduler:
    """A running scheduler with each periodic task: first run now, then every `every` seconds;
    a run missed while the last one was still busy is skipped, not piled up."""
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    for job in queue.REGISTRY.values():
        if job.every:
            scheduler.add_job(
                _run,
                "interval",
                args=(app, job),
                seconds=job.every,
                next_run_time=datetime.now(),
                id=job.name,
                coalesce=True,
                max_instances=1,
            )
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler


def _run(app: Flask, job: queue.Job) -> None:
    with app.app_context():
        try:
            job.run_in_process((), attempt=0)
        finally:
            db.session.remove()
