"""Logging in: an unknown e-mail costs the same work as a wrong password, and after login the
browser goes only to a plain path of this site."""

import pytest
from werkzeug import security

from app.models import User
from tests.support import PASSWORD
from tests.support.auth import log_in


@pytest.fixture
def hash_checks(monkeypatch):
    """Every password hash check the app makes (hash, password), done by werkzeug as always."""
    checks = []
    check = security.check_password_hash

    def recorded(pwhash: str, password: str) -> bool:
        checks.append((pwhash, password))
        return check(pwhash, password)

    monkeypatch.setattr(security, "check_password_hash", recorded)
    return checks


@pytest.mark.parametrize(
    "email", ["nobody@acme.test", "ivy@acme.test"], ids=["unknown", "no-password"]
)
def test_an_unknown_email_costs_one_hash_check_as_a_wrong_password_does(
    app, acme, client, hash_checks, email
):
    assert log_in(client, "bob@acme.test", "wrong-guess").status_code == 401
    assert log_in(client, email, "wrong-guess").status_code == 401
    (bob_hash, bob_tried), (other_hash, other_tried) = hash_checks
    with app.app_context():
        assert bob_hash == User.by_email("bob@acme.test").password_hash
    assert bob_tried == other_tried == "wrong-guess"
    method = app.config["PASSWORD_HASH_METHOD"]
    assert bob_hash.startswith(f"{method}$") and other_hash.startswith(f"{method}$")
    assert other_hash != bob_hash


@pytest.mark.parametrize(
    "next_path",
    ["/%0D%0Ax", "/%0Ax", "/%09x", "//evil.test/", "/%5Cevil.test", "https://evil.test/", "/%20x"],
)
def test_a_next_that_is_not_a_plain_path_logs_in_to_the_portal(client, acme, next_path):
    assert client.get(f"/login?next={next_path}").status_code == 200
    r = log_in(client, "bob@acme.test", PASSWORD, next_path=next_path)
    assert (r.status_code, r.headers["Location"]) == (302, "/")
    assert client.get(f"/login?next={next_path}").headers["Location"] == "/", "logged in already"
    assert client.get("/conversations").status_code == 200


def test_a_plain_next_path_is_where_login_goes(client, acme):
    r = log_in(client, "bob@acme.test", PASSWORD, next_path="/conversations%3Ftab%3Dteam")
    assert (r.status_code, r.headers["Location"]) == (302, "/conversations?tab=team")
