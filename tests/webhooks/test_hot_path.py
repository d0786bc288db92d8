"""The inbound webhook's hot path (SPEC §5): the SQL statements a text costs before the provider
has its answer are pinned, so a change that adds a query to every text is seen in review."""

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


def test_an_inbound_text_costs_one_insert_before_its_answer(acme, client, statements):
    # The first text of a contact and a next one alike: the text is stored in one INSERT (its
    # number found inside it); contact, consent and conversation are a job's work, moments later.
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    assert statements == ["INSERT"]
    statements.clear()
    assert text_in(client, CUSTOMER, NUM, "Are you there?").status_code == 200
    assert statements == ["INSERT"]


def test_a_retried_text_and_an_unknown_number_cost_two_reads_more(acme, client, statements):
    assert text_in(client, CUSTOMER, NUM, "Hello", sid="SM" + "1" * 32).status_code == 200
    statements.clear()
    # The provider retries: nothing new is stored; the number and the stored text are looked up.
    assert text_in(client, CUSTOMER, NUM, "Hello", sid="SM" + "1" * 32).status_code == 200
    assert statements == ["INSERT", "SELECT", "SELECT"]
    statements.clear()
    assert text_in(client, CUSTOMER, "+15005550999", "Hello").status_code == 200
    assert statements == ["INSERT", "SELECT"]
