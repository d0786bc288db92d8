"""The race harness of the tests and the benchmarks: calls let go in threads at the same instant."""

import contextlib
import threading
import time

from app.extensions import db

TIMEOUT = 60  # seconds a racer may take to get ready, and then to finish


def at_once(app, calls) -> list[Exception]:
    """Run each call in a thread of its own, all let go at the same instant; the exceptions they
    raised (a thread's would be lost). With an `app`, each runs inside an app context and the
    threads' database connections go back to the server afterwards."""
    return at_once_when_ready(app, [lambda call=call: call for call in calls])


def at_once_when_ready(app, setups) -> list[Exception]:
    """Like `at_once`, for calls that first need things of their own (rows loaded in their
    thread's session, say) that must not delay the start: each setup runs in its thread before
    the start and returns the call to let go. The exceptions of setups and calls, and a
    `TimeoutError` for each racer that did not finish."""
    barrier = threading.Barrier(len(setups), timeout=TIMEOUT)
    errors: list[Exception] = []

    def run(setup) -> None:
        with app.app_context() if app else contextlib.nullcontext():
            try:
                try:
                    call = setup()
                except Exception:
                    barrier.abort()  # the others must not wait for a racer that cannot start
                    raise
                barrier.wait()
                call()
            except Exception as e:
                errors.append(e)
            finally:
                if app:
                    db.session.remove()

    threads = [threading.Thread(target=run, args=(setup,), daemon=True) for setup in setups]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 2 * TIMEOUT
    for t in threads:
        t.join(timeout=max(0, deadline - time.monotonic()))
    errors += [TimeoutError(f"{t.name} did not finish") for t in threads if t.is_alive()]
    if app:
        with app.app_context():
            db.engine.dispose()
    return errors
