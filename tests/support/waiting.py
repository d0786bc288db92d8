"""The one way a test waits: poll what a user would check until it comes true, within a deadline."""

import time


def eventually(check, seconds: float = 10, interval: float = 0.05):
    """The value of `check()` once it is truthy, polled every `interval` until `seconds` have
    passed; then its last (falsy) value. For what happens on other threads or processes (jobs,
    a live server, a browser): `assert eventually(lambda: …)`."""
    deadline = time.monotonic() + seconds
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value
