"""Production mode: start-up checks that refuse a developer's settings, /healthz, and one JSON
log line per request."""

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import event

from app import CSP, create_app
from app.config import DEV_PUBLIC_BASE_URL, DEV_SECRET_KEY
from app.extensions import db
from app.logs import JsonFormatter
from app.models import User
from app.production import NotReadyForProduction
from tests.support import BASE_URL, CUSTOMER, NUM, settings, sign, text_in
from tests.support.processes import empty_redis
from tests.support.sql import statements

READY = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "SMS_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "secret-token",
    "PUBLIC_BASE_URL": "https://texts.example.com",
    "NOTIFY_FROM_NUMBER": "+15005550006",
    "REDIS_URL": "redis://redis.internal:6379/0",  # never reached: nothing here counts or queues
}


def production(database_uri, **overrides):
    return create_app(settings(SQLALCHEMY_DATABASE_URI=database_uri, **{**READY, **overrides}))


def test_production_starts_with_real_settings(database_uri):
    assert production(database_uri).config["APP_ENV"] == "production"


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SMS_PROVIDER": "simulator"}, "SMS_PROVIDER is the simulated carrier"),
        ({"TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN"),
        ({"NOTIFY_FROM_NUMBER": ""}, "NOTIFY_FROM_NUMBER is missing"),
        ({"PUBLIC_BASE_URL": DEV_PUBLIC_BASE_URL}, "PUBLIC_BASE_URL is missing"),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL is missing"),
        ({"PUBLIC_BASE_URL": "http://texts.example.com"}, "PUBLIC_BASE_URL is not HTTPS"),
        # Rate limits and jobs in process memory are per process: each would let a full count by.
        ({"REDIS_URL": ""}, "REDIS_URL is missing"),
    ],
)
def test_production_refuses_a_developers_setting_and_names_it(database_uri, overrides, named):
    with pytest.raises(NotReadyForProduction) as refused:
        production(database_uri, **overrides)
    assert named in str(refused.value)
    assert str(refused.value).count("\n- ") == 1  # only the one at fault


def test_production_session_cookie_is_secure_http_only_and_same_site(database_uri):
    r = production(database_uri).test_client().get("/login", base_url="https://texts.example.com")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}


def test_production_starts_without_a_notify_number_when_a_messaging_service_sends(
    database_uri,
):
    app = production(
        database_uri, NOTIFY_FROM_NUMBER="", TWILIO_MESSAGING_SERVICE_SID="MG" + "0" * 32
    )
    assert app.config["APP_ENV"] == "production"


def test_production_lists_every_problem_at_once(database_uri):
    with pytest.raises(NotReadyForProduction) as refused:
        production(database_uri, SECRET_KEY=DEV_SECRET_KEY, SMS_PROVIDER="simulator")
    assert "SECRET_KEY" in str(refused.value) and "SMS_PROVIDER" in str(refused.value)


def test_development_runs_on_the_defaults(database_uri):
    app = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=database_uri,
            SECRET_KEY=DEV_SECRET_KEY,
            PUBLIC_BASE_URL=DEV_PUBLIC_BASE_URL,
        )
    )
    assert app.config["SMS_PROVIDER"] == "simulator"


def test_healthz_answers_ok_with_the_database_and_no_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "checks": {"database": "ok", "redis": "not configured"}}
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_naming_redis_when_it_does_not_answer(database_uri):
    app = create_app(
        settings(SQLALCHEMY_DATABASE_URI=database_uri, REDIS_URL="redis://127.0.0.1:1/0")
    )
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.json["status"] == "failing"
    assert r.json["checks"]["database"] == "ok"
    assert r.json["checks"]["redis"].startswith("failing")


def test_healthz_is_503_naming_the_database_when_it_does_not_answer(tmp_path):
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'sms.db'}"
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=missing))
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.json["checks"]["database"].startswith("failing")


def test_healthz_checks_a_running_redis(database_uri):
    with empty_redis("redis://127.0.0.1:6379/15", "the Redis health check test") as url:
        app = create_app(settings(SQLALCHEMY_DATABASE_URI=database_uri, REDIS_URL=url))
        r = app.test_client().get("/healthz")
    assert (r.status_code, r.json["checks"]["redis"]) == (200, "ok")


def request_lines(caplog) -> list[dict]:
    """The request log records, as the JSON formatter writes them."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "app.requests"]


def test_each_request_is_one_structured_line_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="app.requests")
    r = client.get("/login?next=/conversations", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    (line,) = request_lines(caplog)
    assert line["level"] == "INFO" and line["logger"] == "app.requests"
    assert {k: line[k] for k in ("request_id", "method", "path", "endpoint", "status")} == {
        "request_id": "abc-123",
        "method": "GET",
        "path": "/login",
        "endpoint": "auth.login",
        "status": 200,
    }
    assert line["duration_ms"] >= 0 and line["remote_addr"] == "127.0.0.1"
    assert client.get("/login").headers["X-Request-ID"] != "abc-123"  # a new one each time


def test_an_inbound_text_is_one_structured_line_with_its_id_and_the_security_headers(
    client, caplog
):
    # Inbound texts are answered ahead of Flask's request handling, and logged all the same.
    caplog.set_level(logging.INFO, logger="app.requests")
    params = {"MessageSid": "SM" + "7" * 32, "From": CUSTOMER, "To": NUM, "Body": "Hello"}
    r = client.post(
        "/webhooks/twilio/sms",
        data=params,
        headers={
            "X-Twilio-Signature": sign(f"{BASE_URL}/webhooks/twilio/sms", params),
            "X-Request-ID": "abc-123",
        },
    )
    assert (r.status_code, r.mimetype, r.headers["X-Request-ID"]) == (200, "text/xml", "abc-123")
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    forged = client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": "x"})
    assert forged.status_code == 403
    lines = request_lines(caplog)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/webhooks/twilio/sms", 200),
        ("POST", "/webhooks/twilio/sms", 403),
    ]
    assert lines[0]["request_id"] == "abc-123" and lines[0]["endpoint"] == "webhooks.sms"
    assert lines[1]["request_id"] == forged.headers["X-Request-ID"] != "abc-123"
    assert lines[0]["duration_ms"] >= 0 and lines[0]["remote_addr"] == "127.0.0.1"


def test_sign_in_tokens_in_links_never_reach_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="app.requests")
    client.get("/c/secret-sign-in-token")
    client.get("/set-password/secret-invite-token")
    paths = [line["path"] for line in request_lines(caplog)]
    assert paths == ["/c/<token>", "/set-password/<token>"]
    assert "secret" not in caplog.text


def test_json_lines_carry_the_exception(caplog):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("app.test").exception("failed")
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["message"] == "failed" and "ValueError: boom" in line["exception"]


def test_beat_asks_each_minute_for_the_texts_notifications_and_replies_still_waiting(app):
    # The Procfile's beat: each entry names a job the workers know, and expires rather than
    # piling up while no worker runs; scheduled texts are asked for three times a minute.
    celery = app.extensions["celery"]
    entries = celery.conf.beat_schedule.values()
    assert {entry["task"]: entry["schedule"] for entry in entries} == {
        "app.jobs.file_waiting_texts": 60,
        "app.jobs.send_stalled": 60,
        "app.jobs.send_scheduled": 20,
    }
    for entry in entries:
        assert entry["task"] in celery.tasks
        assert entry["options"]["expires"] == entry["schedule"]
    procfile = (Path(__file__).parent.parent / "Procfile").read_text()
    assert "beat: celery -A wsgi:celery beat" in procfile


def test_a_signed_in_page_is_logged_with_its_user_and_reads_nothing_after_its_commit(
    app, acme, client, api, browser, caplog
):
    # The thread page commits its read mark last; the log line's user id must not load the
    # user again after that commit expired it.
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    bob = browser("bob@acme.test")
    caplog.set_level(logging.INFO, logger="app.requests")
    with app.app_context():
        engine = db.engine
        bob_id = User.by_email("bob@acme.test").id
    committed = []
    with statements(app) as seen:

        def commit(conn):
            committed.append(len(seen))

        event.listen(engine, "commit", commit)
        try:
            assert bob.get(f"/conversations/{item['id']}").status_code == 200
        finally:
            event.remove(engine, "commit", commit)
    assert committed == [len(seen)], "the commit is the last statement of the page"
    (line,) = request_lines(caplog)
    assert (line["endpoint"], line["user_id"]) == ("portal.conversation", bob_id)
