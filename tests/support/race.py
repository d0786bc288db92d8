"""The race harness of the tests and the benchmarks: calls let go in threads at the same instant."""

import threading

from app.extensions import db


def at_once(app, calls) -> list[Exception]:
    """Run each call in a thread of its own, inside an app context, all let go at the same
    instant; the exceptions they raised (a thread's would be lost). The threads' database
    connections go back to the server afterwards."""
    barrier = threading.Barrier(len(calls))
    errors: list[Exception] = []

    def run(call) -> None:
        with app.app_context():
            barrier.wait()
            try:
                call()
            except Exception as e:
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with app.app_context():
        db.engine.dispose()
    return errors
