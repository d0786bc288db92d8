"""The round trips to the database the app makes, counted as a test sees them."""

import contextlib

from sqlalchemy import event

from app.extensions import db


@contextlib.contextmanager
def statements(app, anywhere: bool = False):
    """What the app sends the database while it makes its answer to a request (not the jobs that
    run once it has gone out, while its body is read), one entry a round trip: the first word of
    each SQL statement, "BEGIN" and "COMMIT" or "ROLLBACK" around each transaction (PostgreSQL's
    driver sends them as statements of their own; none with autocommit), and "PING" for each
    liveness check of a pooled connection (`pool_pre_ping`: a connection taken again from the
    pool is checked before it is handed out; a new one is not). `anywhere`: every round trip
    of the app's engine while the block runs, in a request or not (a job's)."""
    seen: list[str] = []
    state = {"in_request": False}
    answer = app.wsgi_app

    def answering(environ, start_response):
        state["in_request"] = True
        try:
            return answer(environ, start_response)
        finally:
            state["in_request"] = False

    def note(what: str) -> None:
        if anywhere or state["in_request"]:
            seen.append(what)

    def count(conn, cursor, statement, parameters, context, executemany):
        note(statement.split(None, 1)[0].upper())

    def transaction(what: str):
        def listener(conn) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                note(what)

        return listener

    with app.app_context():
        engine = db.engine
    dialect = engine.dialect
    ping = dialect.do_ping

    def counted_ping(dbapi_connection) -> bool:
        # The pool pings through the dialect, not through a cursor the engine's events see.
        note("PING")
        return ping(dbapi_connection)

    listeners = [
        ("before_cursor_execute", count),
        ("begin", transaction("BEGIN")),
        ("commit", transaction("COMMIT")),
        ("rollback", transaction("ROLLBACK")),
    ]
    app.wsgi_app = answering
    dialect.do_ping = counted_ping
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
        del dialect.do_ping
        app.wsgi_app = answer
