"""Password guessing is cut short: failed logins per e-mail and per address, refused links per
address, counted in Redis when REDIS_URL is set."""

import re

import pytest

from app import create_app
from app.extensions import db
from app.models import Conversation, User
from app.services import links, people
from tests.support import CUSTOMER, NUM, free_port, settings, text_in
from tests.support.auth import log_in
from tests.support.processes import empty_redis

REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own, flushed before and after
WINDOW = 15 * 60


def refused_for(r, reason: str) -> None:
    """The answer is the 429 page naming the reason and when to try again, with Retry-After."""
    assert r.status_code == 429, r.text
    retry_after = int(r.headers["Retry-After"])
    assert 0 < retry_after <= WINDOW
    minutes = re.search(rf"{re.escape(reason)} Try again in (\d+) minutes?\.", r.text)
    assert minutes, r.text
    assert 1 <= int(minutes[1]) <= WINDOW // 60


def test_the_eleventh_failed_login_for_an_email_is_429_even_with_the_right_password(client, acme):
    for attempt in range(10):
        # However the e-mail is typed, it is one e-mail.
        email = ["bob@acme.test", " BOB@acme.test ", "Bob@Acme.Test"][attempt % 3]
        assert log_in(client, email, "wrong-guess").status_code == 401
    r = log_in(client, "bob@acme.test")
    refused_for(r, "Too many tries for this e-mail.")
    assert '<form method="post"' in r.text, "the login page itself"
    assert client.get("/conversations").status_code == 302, "not logged in"
    assert log_in(client, "cat@acme.test").status_code == 302, "another e-mail still logs in"


def test_logging_in_often_never_locks_a_user_out(app, acme):
    for _ in range(12):
        client = app.test_client()
        assert log_in(client, "bob@acme.test").status_code == 302
    for _ in range(9):
        assert log_in(app.test_client(), "bob@acme.test", "wrong-guess").status_code == 401
    assert log_in(app.test_client(), "bob@acme.test").status_code == 302


def test_failed_logins_from_one_address_across_many_emails_are_cut_short(
    app, acme, client, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "5 per 15 minutes")
    for n in range(5):
        assert log_in(client, f"guess{n}@acme.test", "wrong-guess").status_code == 401
    refused_for(log_in(client, "bob@acme.test"), "Too many tries from your network.")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert log_in(elsewhere, "bob@acme.test").status_code == 302, "another address logs in"


def test_failed_logins_are_counted_in_redis_by_every_process(app, acme):
    with empty_redis(REDIS_URL, "the shared login count test") as url:

        def web_process():
            return create_app(
                settings(
                    SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url
                )
            )

        first = web_process()
        for _ in range(10):
            assert log_in(first.test_client(), "bob@acme.test", "wrong-guess").status_code == 401
        # A process started afterwards knows nothing in its memory: the count is in Redis.
        second = web_process()
        refused_for(
            log_in(second.test_client(), "bob@acme.test"), "Too many tries for this e-mail."
        )
        assert log_in(first.test_client(), "cat@acme.test").status_code == 302


def links_for_ivy(app, client) -> tuple[str, str]:
    """A good notification link and a good set-password link of Acme's identified user Ivy."""
    text_in(client, CUSTOMER, NUM, "Hello")
    with app.app_context():
        ivy = User.by_email("ivy@acme.test")
        conversation = db.session.scalar(db.select(Conversation))
        c_link = links.make(ivy, conversation).removeprefix("http://localhost")
        set_link = people.password_link(ivy).removeprefix("http://localhost")
    return c_link, set_link


@pytest.mark.parametrize("refused", ["/c/not-a-link", "/set-password/not-a-link"])
def test_refused_links_from_one_address_are_cut_short_on_both_link_pages(
    app, acme, client, monkeypatch, refused
):
    monkeypatch.setitem(app.config, "LINK_LIMIT_PER_IP", "3 per 15 minutes")
    c_link, set_link = links_for_ivy(app, client)
    for _ in range(5):
        assert client.get(c_link).status_code == 302, "good links do not count"
    for _ in range(3):
        assert client.get(refused).status_code in (400, 403)
    refused_for(client.get(c_link), "Too many links that do not work from your network.")
    refused_for(client.get(set_link), "Too many links that do not work from your network.")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.get(set_link).status_code == 200, "another address opens its link"


def test_logins_go_on_while_redis_is_out_of_reach(app, acme):
    down = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        )
    )
    assert log_in(down.test_client(), "bob@acme.test", "wrong-guess").status_code == 401
    assert log_in(down.test_client(), "bob@acme.test").status_code == 302
