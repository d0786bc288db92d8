"""The production topology end to end: PostgreSQL, Redis, two gunicorn processes (two machines
behind a load balancer) and a Celery worker, each a process of its own.

A customer's text comes in through web process ONE; the worker e-mails its notifications to a real
SMTP server, each with a link to the conversation; an agent opens the link and claims the
conversation through web process TWO, replies through ONE, and the simulated carrier delivers the
reply. Midway, the worker is killed while it sends an e-mail: a new worker takes over that job, and
every e-mail and every text goes out exactly once. Needs PostgreSQL (TEST_DATABASE_URL) and Redis on
127.0.0.1:6379: without Redis the test skips loudly, except on CI, where that is a failure."""

import re
import sys
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxItem
from tests.support import (
    BASE_URL,
    CUSTOMER,
    NUM,
    PASSWORD,
    csrf_token,
    free_port,
    notifications,
    settings,
)
from tests.support import text_in as signed_text_in
from tests.support.processes import (
    celery_worker,
    queued,
    taken_ages,
    wait_until_serving,
    worker_env,
)
from tests.support.waiting import eventually

# Seconds before a job taken by a worker that died is handed out again (production: 600).
VISIBILITY_TIMEOUT = 5
# The Procfile's commands (one pool process per worker, one gunicorn worker per "machine").
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
CELERY_WORKER = celery_worker("--concurrency=1")

BOB, CAT = "bob@acme.test", "cat@acme.test"
FIRST_TEXT = "Hi, my sink is leaking"
REPLY = "On our way: a plumber is with you by noon."
DEADLINE = 60  # seconds any one step may take at most, generous for a loaded machine


def production_env(app, redis_url: str, smtp_port: int) -> dict[str, str]:
    """The one environment every process of the topology runs with."""
    config = settings(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=redis_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
    )
    return {
        **worker_env(config),
        "JOB_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
    }


class Web:
    """A web process as callers on the network reach it (Twilio's webhooks, the API)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def post(self, path: str, **kw) -> requests.Response:
        return requests.post(self.base_url + path, timeout=30, **kw)

    def api(self, token: str, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(
            method, f"{self.base_url}/api/v1{path}", headers=headers, timeout=30, **kw
        )


def start_web(processes, name: str, env: dict[str, str]):
    """A gunicorn process on a free port of its own; returns (process, Web)."""
    port = free_port()
    process = processes(name, GUNICORN, {**env, "PORT": str(port)})
    return process, Web(f"http://127.0.0.1:{port}")


def texts_carried(app) -> list[tuple[str, str, str]]:
    """Every text the simulated carrier took to a phone: (from, to, body)."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxItem).where(OutboxItem.channel == "sms_mt").order_by(OutboxItem.id)
        )
        found = [(row.sender, row.recipient, row.body) for row in rows]
        db.session.remove()
    return found


def emails_recorded(app) -> Counter[str]:
    """How many e-mails the app recorded as sent, by recipient."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxItem).where(OutboxItem.channel == "email"))
        found = Counter(row.recipient for row in rows)
        db.session.remove()
    return found


def test_a_text_crosses_two_web_processes_and_a_killed_worker_and_each_send_happens_once(
    postgres, acme, redis_url, holding_smtp, processes
):
    inbox, smtp_port = holding_smtp
    env = production_env(postgres, redis_url, smtp_port)
    one_process, one = start_web(processes, "gunicorn-one", env)
    two_process, two = start_web(processes, "gunicorn-two", env)
    first_worker = processes("celery-worker-1", CELERY_WORKER, env)
    wait_until_serving(one_process, one.base_url)
    wait_until_serving(two_process, two.base_url)
    bob, cat = acme.tokens[BOB], acme.tokens[CAT]

    # The customer's text, signed as Twilio signs it (over PUBLIC_BASE_URL), reaches ONE.
    r = signed_text_in(one, CUSTOMER, NUM, FIRST_TEXT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml")

    def active() -> list[dict]:
        return two.api(bob, "GET", "/conversations", params={"tab": "active"}).json()["items"]

    # The webhook stored the text; the worker files it in a new conversation moments later.
    assert eventually(lambda: len(active()) == 1, DEADLINE), "no conversation was opened"
    (item,) = active()
    conversation_id = item["id"]

    # The worker is inside a notification job: the mail server has the e-mail and holds its
    # answer. Killed now, the worker dies before the server accepted anything, so the e-mail was
    # not delivered and "exactly once" below is a fair expectation. (Killed after the server's
    # 250 but before the job's commit, a redelivered job would send that e-mail a second time.)
    assert eventually(lambda: inbox.holding.is_set() or not first_worker.alive(), DEADLINE)
    assert first_worker.alive(), "the worker died by itself"
    assert inbox.holding.is_set(), "no notification reached the mail server"
    first_worker.kill()
    assert inbox.dropped.wait(DEADLINE), "the worker's connection to the mail server stayed up"
    assert inbox.accepted() == {}
    queued_notes = {(BOB, "email"): ("queued", None), (CAT, "email"): ("queued", None)}
    assert notifications(postgres) == queued_notes

    # Nothing is lost: the killed worker's job is still on the broker, taken and unacknowledged.
    assert len(taken_ages(redis_url)) == 1
    # A replacement starts at once; the job is handed to it once the visibility timeout has
    # passed since it was taken (running workers look for such jobs every 10 s).
    second_worker = processes("celery-worker-2", CELERY_WORKER, env)

    sent = {(BOB, "email"): ("sent", None), (CAT, "email"): ("sent", None)}
    done = eventually(
        lambda: notifications(postgres) == sent or not second_worker.alive(), DEADLINE
    )
    assert second_worker.alive(), "the new worker died"
    assert done, f"not all sent: {notifications(postgres)}, tries {inbox.attempts}"
    assert inbox.accepted() == {BOB: 1, CAT: 1}

    # Bob's e-mail links to the conversation; the load balancer sends him to TWO, which asks him
    # to log in and then shows the conversation; his session works on ONE as well.
    (message,) = [message for recipient, message in inbox.messages if recipient == BOB]
    body = message.get_body(("plain",)).get_content()
    assert FIRST_TEXT in body
    link = re.search(rf"{re.escape(BASE_URL)}/c/\S+", body)
    assert link, body
    browser = requests.Session()
    page = browser.get(two.base_url + link.group(0).removeprefix(BASE_URL), timeout=30)
    url = urlsplit(page.url)
    assert (url.path, parse_qs(url.query)["next"]) == (
        "/login",
        [f"/conversations/{conversation_id}"],
    )
    login = {"email": BOB, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    thread = browser.post(page.url, data=login, timeout=30)
    assert thread.status_code == 200
    assert thread.url == f"{two.base_url}/conversations/{conversation_id}"
    assert FIRST_TEXT in thread.text
    assert FIRST_TEXT in browser.get(f"{one.base_url}/conversations/{conversation_id}").text

    # Bob claims through TWO; Cat, through ONE, hears he was faster; Bob replies through ONE.
    r = two.api(bob, "POST", f"/conversations/{conversation_id}/claim")
    assert r.status_code == 200, r.text
    assert r.json()["claimed_by"]["email"] == BOB
    r = one.api(cat, "POST", f"/conversations/{conversation_id}/claim")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "already_claimed"
    r = one.api(bob, "POST", f"/conversations/{conversation_id}/messages", json={"body": REPLY})
    assert r.status_code == 201, r.text
    reply_id = r.json()["id"]

    def seen_on_two() -> dict:
        r = two.api(bob, "GET", f"/conversations/{conversation_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def reply_status() -> str:
        return next(m["status"] for m in seen_on_two()["messages"] if m["id"] == reply_id)

    assert eventually(lambda: reply_status() == "delivered", DEADLINE), reply_status()

    # Nothing is left on the broker, queued or taken: no job can still run, so what was sent
    # below is final.
    assert eventually(lambda: queued(redis_url) == 0 and taken_ages(redis_url) == [], DEADLINE)
    conversation = seen_on_two()
    assert conversation["claimed_by"]["email"] == BOB
    inbound = [m["body"] for m in conversation["messages"] if m["direction"] == "inbound"]
    assert inbound == [FIRST_TEXT]
    outbound = [m for m in conversation["messages"] if m["direction"] == "outbound"]
    # The opt-in answer to the first text and Bob's reply, each delivered and carried once.
    assert [(m["kind"], m["status"]) for m in outbound] == [
        ("auto", "delivered"),
        ("text", "delivered"),
    ]
    assert outbound[-1]["body"] == REPLY
    assert texts_carried(postgres) == [(NUM, CUSTOMER, m["body"]) for m in outbound]
    # Each e-mail was sent once; the held one was tried twice (the killed worker's try, which
    # the server dropped, and the new worker's).
    assert inbox.accepted() == {BOB: 1, CAT: 1}
    assert sorted(inbox.attempts.values()) == [1, 2]
    assert emails_recorded(postgres) == {BOB: 1, CAT: 1}
    assert notifications(postgres) == sent
    assert second_worker.alive()
