"""The inbound webhook's hot path (SPEC §5): the SQL statements a text costs before Twilio has its
answer are pinned, so a change that adds a query to every text is seen in review."""

import pytest
from flask import request_finished, request_started
from sqlalchemy import event

from app.extensions import db
from tests.conftest import CUSTOMER, NUM, text_in


@pytest.fixture
def statements(app):
    """The SQL statements run while a request is handled (not the jobs after its answer)."""
    seen: list[str] = []
    state = {"in_request": False}

    def started(sender, **extra):
        state["in_request"] = True

    def finished(sender, response, **extra):
        state["in_request"] = False

    def count(conn, cursor, statement, parameters, context, executemany):
        if state["in_request"]:
            seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    request_started.connect(started, app)
    request_finished.connect(finished, app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
        request_started.disconnect(started, app)
        request_finished.disconnect(finished, app)


def test_statements_per_inbound_text_are_pinned(acme, client, statements):
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    first = list(statements)
    statements.clear()
    assert text_in(client, CUSTOMER, NUM, "Are you there?").status_code == 200
    # A first text finds the number, checks the SID is new, stores the text, creates the contact,
    # its consent (and event), the conversation, queues the welcome and commits.
    assert len(first) == 16, first
    # A next one: number, SID, the text, contact, consent, open conversation, two updates.
    assert statements == [
        "SELECT",
        "SELECT",
        "INSERT",
        "SELECT",
        "SELECT",
        "SELECT",
        "UPDATE",
        "UPDATE",
    ]
