"""Work committed but never enqueued (the broker out of reach right after the commit) is picked up
by the beat's sweep: sent once, while what was queued a moment ago is left to its own job."""

from datetime import timedelta

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import Message, Notification, NotificationPace, OutboxItem, TrackingNumber
from tests.support import CUSTOMER, NUM, Api, text_in

DAN = "dan@acme.test"


def reply_with_broker_down(client: Api, conversation_id: int, body: str) -> None:
    """A reply whose commit went through, and whose jobs could not be enqueued after it: the
    agent is told it is on its way (it is: the sweep sends it), not that it failed."""
    r = client.post(f"/conversations/{conversation_id}/messages", json={"body": body})
    assert r.status_code == 201
    assert r.json["status"] == "queued"


def committed(app, body: str) -> tuple[str, list[str]]:
    """The reply's status and the statuses of the notifications about it."""
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.body == body))
        notes = db.session.scalars(
            select(Notification.status).where(Notification.message_id == message.id)
        ).all()
        return message.status, list(notes)


def sent(app) -> list[tuple[str, str]]:
    """(recipient, text or subject) of everything sent, in order."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return [(row.recipient, row.subject or row.body) for row in rows]


def age(app, body: str, minutes: int) -> None:
    """Move the reply, its notifications and when they were made `minutes` into the past."""
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.body == body))
        notes = select(Notification).where(Notification.message_id == message.id)
        paces = select(NotificationPace).where(
            NotificationPace.conversation_id == message.conversation_id
        )
        for row in (message, *db.session.scalars(notes)):
            row.created_at -= timedelta(minutes=minutes)
        for pace in db.session.scalars(paces):
            pace.last_sent_at -= timedelta(minutes=minutes)
        db.session.commit()


def sweep(app) -> None:
    with app.app_context():
        tasks.send_stalled()


def test_the_sweep_sends_a_stalled_reply_and_its_notification_once_and_leaves_fresh_ones(
    app, acme, api, conversation_id, broker_down
):
    users = {u["email"]: u["id"] for u in api("admin@acme.test").get("/users").json["items"]}
    bob = api("bob@acme.test")
    assert bob.post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/participants", json={"user_id": users[DAN]})
    assert r.status_code == 200, r.json
    reply_with_broker_down(broker_down("bob@acme.test"), conversation_id, "On my way")
    assert committed(app, "On my way") == ("queued", ["queued"])
    age(app, "On my way", minutes=10)
    reply_with_broker_down(broker_down("bob@acme.test"), conversation_id, "Ten minutes out")
    before = sent(app)

    sweep(app)
    sweep(app)

    assert committed(app, "On my way") == ("delivered", ["sent"])
    assert committed(app, "Ten minutes out") == ("queued", ["queued"])
    assert sorted(sent(app)[len(before) :]) == [
        (CUSTOMER, "On my way"),
        (DAN, "A new text from (500) 555-0199 on Main line"),
    ]


def test_a_text_that_came_while_the_broker_was_down_is_answered_and_filed_by_the_beat(
    app, acme, api, web_broker_down
):
    r = text_in(web_broker_down.test_client(), CUSTOMER, NUM, "Is the shop open?")
    assert r.status_code == 200  # kept: Twilio is not asked to send it again
    assert api("bob@acme.test").tab("active") == []
    with app.app_context():
        tasks.file_waiting_texts()  # what the beat asks a worker for each minute
    (item,) = api("bob@acme.test").tab("active")
    assert item["last_message_preview"] == "Is the shop open?"


def test_the_sweep_finishes_a_numbers_sms_change_and_settles_a_timed_out_text(
    app, acme, api, conversation_id
):
    """A number left turning SMS on, and a text whose lookup was never enqueued."""
    bob = api("bob@acme.test")
    bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Hi!", "claim": True})
    with app.app_context():
        number = db.session.scalar(select(TrackingNumber).where(TrackingNumber.number == NUM))
        number.sms_state = "pending_deactivation"
        message = db.session.scalar(select(Message).where(Message.body == "Hi!"))
        message.status, message.provider_sid = "unknown", None
        message.created_at -= timedelta(minutes=10)
        db.session.commit()
    before = sent(app)

    sweep(app)

    with app.app_context():
        assert (
            db.session.scalar(select(TrackingNumber.sms_state).where(TrackingNumber.number == NUM))
            == "off"
        )
    assert committed(app, "Hi!")[0] == "delivered"
    assert sent(app)[len(before) :] == [(CUSTOMER, "Hi!")]  # not found at the carrier: sent once


def attempts(app, body: str) -> tuple[int, list[int]]:
    """How often the sweep handed out the reply's work, and its notifications'."""
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.body == body))
        notes = db.session.scalars(
            select(Notification.attempts).where(Notification.message_id == message.id)
        ).all()
        return message.attempts, list(notes)


def test_the_sweep_hands_lost_work_out_at_most_job_max_tries_times_then_shows_it_failed(
    app, acme, api, conversation_id, broker_down, web_broker_down, browser, caplog
):
    users = {u["email"]: u["id"] for u in api("admin@acme.test").get("/users").json["items"]}
    bob = api("bob@acme.test")
    assert bob.post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/participants", json={"user_id": users[DAN]})
    assert r.status_code == 200, r.json
    reply_with_broker_down(broker_down("bob@acme.test"), conversation_id, "On my way")
    age(app, "On my way", minutes=10)
    tries = app.config["JOB_MAX_TRIES"]
    before = sent(app)

    for sweeps in range(1, tries + 1):
        with web_broker_down.app_context():  # the broker is lost again each time
            tasks.send_stalled()
        assert attempts(app, "On my way") == (sweeps, [sweeps])
        assert committed(app, "On my way") == ("queued", ["queued"])
    with web_broker_down.app_context():
        tasks.send_stalled()
        tasks.send_stalled()

    assert committed(app, "On my way") == ("failed", ["failed"])
    assert attempts(app, "On my way") == (tries, [tries])
    assert sent(app) == before
    enqueued = [r.getMessage() for r in caplog.records if "enqueued again" in r.getMessage()]
    assert len(enqueued) == 2 * tries, enqueued  # the reply's and the notification's
    reason = f"could not be sent: tried {tries + 1} times, the work was lost each time"
    page = browser("bob@acme.test").get(f"/conversations/{conversation_id}").text
    assert f"failed: {reason}" in page
    assert f"E-mail notification to Dan Tester failed: {reason}" in page
