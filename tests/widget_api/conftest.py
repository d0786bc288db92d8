"""Fixtures of the widget's endpoint: a widget of Acme's Main line, and fresh rate limits."""

import pytest

from app.extensions import limiter
from tests.support import NUM
from tests.support.widget import SITE


@pytest.fixture(autouse=True)
def fresh_limits(app):
    with app.app_context():
        limiter.reset()
    yield


@pytest.fixture
def key(app, acme):
    r = app.test_cli_runner().invoke(
        args=[
            "create-widget",
            "--account",
            "Acme Plumbing",
            "--number",
            NUM,
            "--origin",
            SITE + "/",
        ]
    )
    assert r.exit_code == 0, r.output
    assert 'data-widget-key="' in r.output
    return r.output.strip().splitlines()[-1]
