"""The SQL statements the app runs, counted as a test sees them."""

import contextlib

from sqlalchemy import event

from app.extensions import db


@contextlib.contextmanager
def statements(app):
    """The first word of each SQL statement run while the app makes its answer to a request (not
    the jobs that run once it has gone out, while its body is read)."""
    seen: list[str] = []
    state = {"in_request": False}
    answer = app.wsgi_app

    def answering(environ, start_response):
        state["in_request"] = True
        try:
            return answer(environ, start_response)
        finally:
            state["in_request"] = False

    def count(conn, cursor, statement, parameters, context, executemany):
        if state["in_request"]:
            seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    app.wsgi_app = answering
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
        app.wsgi_app = answer
