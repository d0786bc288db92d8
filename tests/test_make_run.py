"""`make run`, the README's first command: migrates, seeds the demo, prints its logins, serves."""

import contextlib
import os
import signal
import subprocess

import requests

from tests.support import ROOT, free_port
from tests.support.waiting import eventually


def test_make_run_seeds_the_demo_and_serves_the_login_page(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    env.pop("TEST_DATABASE_URL", None)
    env.pop("PUBLIC_BASE_URL", None)  # the port given makes it
    log = tmp_path / "make-run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        answers: list[requests.Response] = []

        def answered() -> list[requests.Response]:
            assert proc.poll() is None, f"make run exited; its output:\n{log.read_text()}"
            with contextlib.suppress(requests.ConnectionError):
                answers.append(requests.get(f"http://127.0.0.1:{port}/login", timeout=2))
            return answers

        eventually(answered, 120, interval=0.3)
        output = log.read_text()
        assert answers, f"make run never served; its output:\n{output}"
        page = answers[0]
        assert page.status_code == 200
        assert "Log in" in page.text
        assert (
            "admin@demo.test" in output and "bob@demo.test" in output and "cat@demo.test" in output
        )
        assert "password: demo-password" in output and "dee@demo.test" in output
        assert f"Log in at http://127.0.0.1:{port}/login" in output
        assert f"http://localhost:{port}/dev/website" in output  # the widget's demo website
        phone = requests.get(f"http://127.0.0.1:{port}/dev/phone", timeout=5)
        assert "Main line" in phone.text and "Emergency line" in phone.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
