"""Logging in: afterwards the browser goes only to a plain path of this site."""

import pytest

from tests.auth.conftest import log_in
from tests.conftest import PASSWORD


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
