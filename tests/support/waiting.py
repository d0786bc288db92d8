"""The one way a test waits: poll what a user would check until it comes true, within a deadline."""

import threading
import time


def eventually(check, seconds: float = 10, interval: float = 0.05):
    """The value of `check()` once it is truthy, polled every `interval` until `seconds` have
    passed; then its last (falsy) value. For what happens on other threads or processes (jobs,
    a live server, a browser): `assert eventually(lambda: …)`."""
    deadline = time.monotonic() + seconds
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


def jobs_settled(seconds: float = 30) -> bool:
    """Whether, within `seconds`, every retry the in-process job runner has scheduled (each on a
    `threading.Timer` of this process) has fired and finished: after it, no retry of what came
    before can still happen, so a count checked then is final."""

    def no_timer_left() -> bool:
        return not any(isinstance(t, threading.Timer) for t in threading.enumerate())

    return eventually(no_timer_left, seconds)
