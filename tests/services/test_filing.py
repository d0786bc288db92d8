"""An inbound text that fails to be filed (the database refuses its contact) is tried again a
bounded number of times, then shown failed with the id its error was logged under; it holds up
no other text."""

import re

import pytest
from sqlalchemy import select, text

from app import tasks
from app.extensions import db
from app.models import Message
from tests.support import CUSTOMER, NUM, text_in
from tests.support.waiting import eventually

BOB = "bob@acme.test"
REFUSED = "+15005550142"  # the phone whose contact the database will not store
LOGGED = re.compile(r"could not be filed in a conversation \(error logged as ([0-9a-f]{12})\)")


@pytest.fixture
def refused_contact(app):
    """The database refuses to store a contact for REFUSED, as a full disk would: an error that
    is no clash of keys."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_contact() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device' "
                    "USING ERRCODE = 'disk_full'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts FOR EACH ROW "
                    f"WHEN (NEW.phone = '{REFUSED}') EXECUTE FUNCTION refuse_contact()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts "
                    f"WHEN NEW.phone = '{REFUSED}' BEGIN SELECT json('no space left'); END"
                )
            )
    yield REFUSED
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER refuse_contact ON contacts"))
            conn.execute(text("DROP FUNCTION refuse_contact()"))
        else:
            conn.execute(text("DROP TRIGGER refuse_contact"))


def state(app, body: str) -> tuple[str, int, str | None, int | None]:
    """The inbound text's status, tries, reason and conversation."""
    with app.app_context():
        row = db.session.execute(
            select(
                Message.status, Message.attempts, Message.error_message, Message.conversation_id
            ).where(Message.body == body)
        ).one()
        db.session.remove()
    return tuple(row)


def test_a_text_that_cannot_be_filed_is_tried_job_max_tries_times_then_failed(
    app, acme, client, api, refused_contact, caplog
):
    assert text_in(client, refused_contact, NUM, "Hello?").status_code == 200  # it is stored
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    (item,) = api(BOB).tab("active")
    assert item["last_message_preview"] == "Hi, my sink is leaking"

    tries = app.config["JOB_MAX_TRIES"]
    assert eventually(lambda: state(app, "Hello?")[0] == "failed"), state(app, "Hello?")
    status, attempts, reason, conversation = state(app, "Hello?")
    assert (attempts, conversation) == (tries, None)
    logged = LOGGED.fullmatch(reason)
    assert logged, reason
    assert f"logged as {logged.group(1)}" in caplog.text
    assert "INSERT INTO contacts" in caplog.text, "the error itself is logged"


def test_the_filing_job_counts_each_failure_and_files_the_texts_after_it(
    app, acme, api, web_broker_down, refused_contact
):
    web = web_broker_down.test_client()  # stored only: the filing is the workers' (the beat's)
    assert text_in(web, refused_contact, NUM, "Hello?").status_code == 200
    assert text_in(web, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    tries = app.config["JOB_MAX_TRIES"]

    for run in range(1, tries):
        with web_broker_down.app_context():
            tasks.file_waiting_texts()
        assert state(app, "Hello?")[:2] == ("received", run)
        (item,) = api(BOB).tab("active")
        assert item["last_message_preview"] == "Hi, my sink is leaking"
    with web_broker_down.app_context():
        tasks.file_waiting_texts()
        tasks.file_waiting_texts()

    status, attempts, reason, _ = state(app, "Hello?")
    assert (status, attempts) == ("failed", tries)
    assert LOGGED.fullmatch(reason), reason
