"""Live updates pushed: the events process tells an open portal `change` when its account's
conversations change (PostgreSQL's notifications), and only its own account's."""

import sys
import time

import psycopg
import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import Conversation
from tests.support import CUSTOMER, NUM, free_port, settings, text_in
from tests.support.events import Stream, events_server, session_cookie
from tests.support.processes import Process, worker_env
from tests.support.waiting import eventually, jobs_settled

OTHER_NUM = "+15005550102"
CHANGE = "event: change\ndata:"
STILL_HERE = ": still here"


def test_a_web_process_holds_no_stream_so_the_page_polls(acme, browser, client):
    bob = browser("bob@acme.test")
    page = bob.get("/conversations")
    assert 'data-events-url="/conversations/events"' in page.text
    assert bob.client.get("/conversations/events").status_code == 204
    assert client.get("/conversations/events").status_code in (302, 401)


@pytest.fixture
def events(postgres, monkeypatch):
    monkeypatch.setitem(postgres.config, "LIVE_KEEPALIVE_SECONDS", 0.5)
    with events_server(postgres) as (url, hub):
        yield url, hub


def told(stream: Stream) -> str:
    """The next event a stream tells, past its keep-alive comments."""
    while (event := stream.next()) == STILL_HERE:
        pass
    return event


def told_within(stream: Stream, seconds: float = 1.5) -> list[str]:
    """Every event a stream tells in the next `seconds`, past its keep-alive comments (one comes
    every half second, so reading never waits long)."""
    deadline = time.monotonic() + seconds
    events = []
    while time.monotonic() < deadline:
        events.append(stream.next())
    return [event for event in events if event != STILL_HERE]


def test_a_new_text_is_told_to_its_accounts_streams_only(acme, browser, client, events):
    url, hub = events
    acme.number("Other Co", OTHER_NUM, sms_users=["eve@other.test"])
    bob = Stream(url, session_cookie(browser("bob@acme.test")))
    eve = Stream(url, session_cookie(browser("eve@other.test")))
    assert bob.status == eve.status == 200
    assert bob.response.getheader("Content-Type") == "text/event-stream"
    assert bob.next() == eve.next() == "retry: 3000"

    # Each text, and what follows it (the opt-in answer on its way), changes its account only.
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    assert told(bob) == CHANGE
    assert jobs_settled()
    told_within(bob)
    assert told_within(eve) == []  # woken with Bob's stream, it would have said so by now

    text_in(client, "+15005550177", OTHER_NUM, "Hello Other Co")
    assert told(eve) == CHANGE
    assert told_within(bob) == []
    bob.close()
    eve.close()


def test_a_claim_and_a_reply_are_changes_and_a_burst_is_told_once(
    acme, browser, client, api, events, conversation_id
):
    url, hub = events
    cat = Stream(url, session_cookie(browser("cat@acme.test")))
    assert cat.next() == "retry: 3000"
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    assert told(cat) == CHANGE
    told_within(cat)
    for n in range(5):
        text_in(client, CUSTOMER, NUM, f"Are you coming? ({n})")
    # A stream waits a second after each `change`: what comes meanwhile is told once after it.
    assert 1 <= told_within(cat, 2.5).count(CHANGE) <= 3
    cat.close()


def test_no_session_or_an_ended_one_hears_nothing(acme, browser, events):
    url, hub = events
    assert Stream(url).status == 401
    assert Stream(url, "session=forged.value.here").status == 401
    bob = browser("bob@acme.test")
    cookie = session_cookie(bob)
    bob.post("/logout")
    assert Stream(url, cookie).status == 401
    assert hub.open == 0


def test_a_stream_ends_in_time_and_a_full_process_says_poll(
    acme, browser, events, postgres, monkeypatch
):
    url, hub = events
    cookie = session_cookie(browser("bob@acme.test"))
    monkeypatch.setitem(postgres.config, "LIVE_STREAM_SECONDS", 1)
    short = Stream(url, cookie)
    events_told = []
    while (event := short.next()) is not None:
        events_told.append(event)
    assert events_told[0] == "retry: 3000"  # and then the stream ended: the browser opens another
    monkeypatch.setitem(postgres.config, "LIVE_STREAM_SECONDS", 300)
    monkeypatch.setitem(postgres.config, "LIVE_STREAMS", 1)
    first = Stream(url, cookie)
    assert first.status == 200
    assert Stream(url, cookie).status == 204
    first.close()


def test_postgresql_tells_of_new_and_moved_conversations_once_per_transaction(
    acme, client, postgres, conversation_id
):
    dsn = make_url(postgres.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as listener:
        listener.execute("LISTEN conversation_changes")
        with postgres.app_context():
            conversation = db.session.get(Conversation, conversation_id)
            account_id = conversation.account_id
            # Touching anything but `updated_at` is no change the portal shows.
            this = update(Conversation).where(Conversation.id == conversation_id)
            db.session.execute(this.values(last_message_preview="Hi"))
            db.session.commit()
            assert list(listener.notifies(timeout=0.3)) == []
            for _ in range(3):
                db.session.execute(this.values(updated_at=text("updated_at + interval '1 second'")))
            db.session.commit()
        told = [n.payload for n in listener.notifies(timeout=0.5)]
        assert told == [str(account_id)]
        text_in(client, "+15005550166", NUM, "A new customer")  # and the opt-in answer sent
        told = [n.payload for n in listener.notifies(timeout=0.5)]
        assert told and set(told) == {str(account_id)}


def test_the_events_process_as_the_procfile_starts_it(acme, browser, client, postgres, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "events", "--port", str(port)]
    process = Process("events", command, worker_env(postgres.config), tmp_path / "events.log")
    url = f"http://127.0.0.1:{port}"
    try:
        cookie = session_cookie(browser("bob@acme.test"))
        bob = eventually(lambda: opened(url, cookie), 60)
        assert bob, process.output()
        assert bob.next() == "retry: 3000"
        text_in(client, CUSTOMER, NUM, "My sink is leaking")
        assert told(bob) == CHANGE
        bob.close()
    finally:
        process.stop()
    assert process.popen.returncode == 0, process.output()


def opened(url: str, cookie: str) -> Stream | None:
    """A stream opened on the events process at `url`, once it listens."""
    try:
        stream = Stream(url, cookie)
    except ConnectionError:
        return None
    return stream if stream.status == 200 else None


def test_the_events_process_needs_postgresql(tmp_path):
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}"))
    result = app.test_cli_runner().invoke(args=["events"])
    assert result.exit_code == 1
    assert "Live updates are pushed from PostgreSQL only" in result.output
