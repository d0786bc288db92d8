"""Scheduled texts leave within a minute of their time (SPEC §2.12): with workers, asked for by
Celery's beat; without them, by the scheduler the serving process runs, which also catches up on
what fell due while the app was down."""

from datetime import timedelta

from sqlalchemy import update

from app import create_app
from app.extensions import db
from app.models import Message
from app.models.base import utcnow
from app.tasks import send_scheduled
from tests.support import CUSTOMER, sent_to, settings
from tests.support.waiting import eventually

BOB = "bob@acme.test"
MINUTE = 60


def test_the_beat_asks_for_scheduled_texts_more_than_once_a_minute(app):
    beat = app.extensions["celery"].conf.beat_schedule
    (entry,) = (e for e in beat.values() if e["task"] == send_scheduled.name)
    assert entry["schedule"] < MINUTE


def test_without_workers_the_served_app_sends_what_fell_due_while_it_was_down(
    app, api, conversation_id, database_uri
):
    api(BOB).post(f"/conversations/{conversation_id}/claim")
    later = (utcnow() + timedelta(hours=1)).isoformat() + "Z"
    r = api(BOB).post(
        f"/conversations/{conversation_id}/messages",
        json={"body": "See you at 3.", "send_at": later},
    )
    assert r.json["status"] == "scheduled"
    with app.app_context():  # its time came and went while nothing was running
        db.session.execute(update(Message).values(send_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    assert "See you at 3." not in sent_to(app, CUSTOMER)

    served = create_app(settings(SQLALCHEMY_DATABASE_URI=database_uri, SCHEDULER_IN_PROCESS=True))
    assert "scheduler" not in served.extensions, "started before serving anything"
    served.test_client().get("/healthz")
    try:
        assert eventually(lambda: "See you at 3." in sent_to(app, CUSTOMER))
    finally:
        served.extensions["scheduler"].shutdown()
    assert sent_to(app, CUSTOMER).count("See you at 3.") == 1
