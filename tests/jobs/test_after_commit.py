"""A job asked for inside a transaction is enqueued once that transaction commits, and forgotten
when it, or the savepoint it was asked in, rolls back (app/queue.py `after_commit`)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Message
from app.queue import after_commit
from tests.support import CUSTOMER, sent_to


@pytest.fixture
def waiting(api, conversation_id, broker_down):
    """Two replies committed by a web process whose queue is out of reach: queued, unsent."""
    assert api("bob@acme.test").post(f"/conversations/{conversation_id}/claim").status_code == 200
    bob = broker_down("bob@acme.test")
    ids = []
    for body in ("First reply", "Second reply"):
        r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": body})
        assert r.status_code == 201 and r.json["status"] == "queued", r.json
        ids.append(r.json["id"])
    return ids


def statuses(app, ids: list[int]) -> list[str]:
    """The texts' statuses as committed, read in an app context of their own."""
    with app.app_context():
        found = dict(db.session.execute(select(Message.id, Message.status)).all())
        return [found[i] for i in ids]


def touch(message_id: int) -> None:
    """Change the text in the session, as a service's transaction would."""
    db.session.get(Message, message_id).error_message = "being changed"


def test_a_job_runs_once_its_transaction_commits(app, waiting):
    first, second = waiting
    with app.app_context():
        touch(first)
        after_commit("deliver_message", first)
        assert statuses(app, waiting) == ["queued", "queued"]
        db.session.commit()
    assert statuses(app, waiting) == ["delivered", "queued"]
    assert sent_to(app, CUSTOMER)[-1] == "First reply"


def test_a_job_asked_for_in_a_transaction_that_rolls_back_never_runs(app, waiting):
    first, _ = waiting
    with app.app_context():
        touch(first)
        after_commit("deliver_message", first)
        db.session.rollback()
        touch(first)
        db.session.commit()  # the session's next transaction
    assert statuses(app, waiting) == ["queued", "queued"]
    assert "First reply" not in sent_to(app, CUSTOMER)


def test_a_savepoint_released_leaves_the_jobs_to_the_transaction_around_it(app, waiting):
    first, _ = waiting
    with app.app_context():
        touch(first)
        after_commit("deliver_message", first)
        with db.session.begin_nested():  # as notify's pacing does
            touch(first)
        assert statuses(app, waiting) == ["queued", "queued"]
        db.session.rollback()
        touch(first)
        db.session.commit()
    assert statuses(app, waiting) == ["queued", "queued"]
    assert "First reply" not in sent_to(app, CUSTOMER)


def test_a_savepoint_rolled_back_forgets_only_the_jobs_asked_for_inside_it(app, waiting):
    first, second = waiting
    with app.app_context():
        touch(first)
        after_commit("deliver_message", first)
        savepoint = db.session.begin_nested()
        touch(second)
        after_commit("deliver_message", second)
        savepoint.rollback()
        db.session.commit()
    assert statuses(app, waiting) == ["delivered", "queued"]
    assert "Second reply" not in sent_to(app, CUSTOMER)


def test_a_task_name_nobody_registered_is_refused_at_once(app):
    with app.app_context(), pytest.raises(LookupError, match="deliver_mesage"):
        after_commit("deliver_mesage", 1)
