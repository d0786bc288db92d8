"""Fixtures of the login tests: Acme's admin acting on people."""

import pytest

from tests.support.auth import user_id


@pytest.fixture
def admin(acme, browser):
    """Acme's admin, logged in: `admin("deactivate", email)` acts on that user's row."""
    session = browser("admin@acme.test")

    def act(action: str, email: str):
        r = session.post(f"/admin/people/{user_id(session.client.application, email)}/{action}")
        assert r.status_code == 200, r.text
        return r.text

    return act
