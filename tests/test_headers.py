"""Headers every answer carries: HSTS in production (webhooks included), `Allow` on every 405,
and `Cache-Control: no-store` on whatever a signed-in user is shown."""

import pytest

from app import create_app
from tests.support import CUSTOMER, NUM, Api, free_port, settings, sign, text_in

HSTS = "max-age=31536000; includeSubDomains"
PUBLIC = "https://sms.example.com"


@pytest.fixture
def production_app(app):
    """The app as production runs it (on the test database; logs left as text)."""
    return create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            APP_ENV="production",
            LOG_FORMAT="text",
            SECRET_KEY="k" * 40,
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            NOTIFY_FROM_NUMBER="+15005550006",
            PUBLIC_BASE_URL=PUBLIC,
            # Production needs one; out of reach here: the webhook's filing job is left to the
            # beat's sweep, as when Redis is down.
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        )
    )


def test_production_answers_tell_browsers_to_use_https_only(production_app, acme):
    client = production_app.test_client()
    assert client.get("/login").headers["Strict-Transport-Security"] == HSTS
    assert client.get("/no-such-page").headers["Strict-Transport-Security"] == HSTS
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": "SM" + "1" * 32, "From": CUSTOMER, "To": NUM, "Body": "Hi"}
    signed = client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(PUBLIC + path, params)}
    )
    assert signed.status_code == 200
    assert signed.headers["Strict-Transport-Security"] == HSTS, "answered ahead of Flask, too"
    forged = client.post(path, data=params, headers={"X-Twilio-Signature": "x"})
    assert (forged.status_code, forged.headers["Strict-Transport-Security"]) == (403, HSTS)


def test_a_developers_machine_sends_no_hsts(client, acme):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "Strict-Transport-Security" not in text_in(client, CUSTOMER, NUM, "Hi").headers


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("GET", "/logout", {"POST"}),
        ("DELETE", "/login", {"GET", "POST"}),
        ("GET", "/api/v1/conversations/1/claim", {"POST"}),
        ("PUT", "/api/v1/conversations", {"GET"}),
        ("GET", "/webhooks/twilio/status", {"POST"}),
        ("GET", "/webhooks/twilio/sms", {"POST"}),
    ],
)
def test_every_405_names_the_methods_allowed(client, acme, method, path, allowed):
    r = client.open(path, method=method)
    assert r.status_code == 405
    assert allowed <= {m.strip() for m in r.headers["Allow"].split(",")}
    if path.startswith("/api/"):
        assert r.json["error"]["code"] == "method_not_allowed"


def test_what_a_signed_in_user_is_shown_is_never_cached(app, acme, browser, world, client):
    text_in(client, CUSTOMER, NUM, "Hello")
    bob = browser("bob@acme.test")
    (item,) = Api(bob.client, world.tokens["bob@acme.test"]).tab("active")
    for path in [
        "/conversations",
        f"/conversations/{item['id']}",
        "/conversations/changes",
        "/profile",
        "/conversations/999999",
    ]:
        r = bob.client.get(path)
        assert r.headers["Cache-Control"] == "no-store", path
    admin = browser("admin@acme.test")
    for path in ["/admin/consent", "/admin/reports", "/admin/numbers"]:
        r = admin.client.get(path)
        assert (r.status_code, r.headers["Cache-Control"]) == (200, "no-store"), path
    api = Api(app.test_client(), world.tokens["bob@acme.test"])
    for path in ["/conversations?tab=active", f"/conversations/{item['id']}", "/users"]:
        r = api.get(path)
        assert (r.status_code, r.headers["Cache-Control"]) == (200, "no-store"), path


def test_static_files_keep_their_own_caching(client, acme, browser):
    r = browser("bob@acme.test").client.get("/static/css/app.css")
    assert r.status_code == 200
    assert "no-store" not in r.headers.get("Cache-Control", "")
