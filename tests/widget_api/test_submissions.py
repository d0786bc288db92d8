"""The widget's endpoint: origins, rate limits, bad input, and what a submission does (§2.7)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Consent, ConsentEvent, Conversation, Message, OutboxItem
from tests.support import NUM, count, seen_by_admin, sent_to, text_in
from tests.support.widget import SITE, form

VISITOR = "+15550100177"  # fictional (area code 555): the simulated carrier takes it


def submit(client, key, origin=SITE, **changes):
    return client.post(
        f"/api/widget/v1/{key}/submissions", json=form(**changes), headers={"Origin": origin}
    )


def db_ids(app, model) -> list[int]:
    with app.app_context():
        return db.session.scalars(select(model.id)).all()


def test_settings_are_given_to_allowed_sites_only(app, client, key):
    r = client.get(f"/api/widget/v1/{key}/config", headers={"Origin": SITE})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert r.json["sms_number"] == NUM and r.json["button_text"] == "Text us"
    assert "Acme Plumbing" in r.json["consent_text"] and "STOP" in r.json["consent_text"]
    r = client.get(f"/api/widget/v1/{key}/config", headers={"Origin": "https://evil.test"})
    assert r.status_code == 403
    assert r.json["error"]["code"] == "origin_not_allowed"
    # Our own pages (a same-origin GET carries no Origin): the settings, for no other site.
    r = client.get(f"/api/widget/v1/{key}/config")
    assert r.status_code == 200 and r.json["sms_number"] == NUM
    assert "Access-Control-Allow-Origin" not in r.headers
    assert client.get("/api/widget/v1/w_nope/config", headers={"Origin": SITE}).status_code == 404


def test_preflight_is_answered_for_allowed_sites_only(client, key):
    url = f"/api/widget/v1/{key}/submissions"
    ok = client.options(url, headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
    bad = client.options(url, headers={"Origin": "https://evil.test"})
    assert bad.status_code == 403
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_a_submission_opens_a_widget_conversation_answers_the_visitor_and_notifies(
    app, client, key, api
):
    r = submit(client, key)
    assert r.status_code == 201
    assert r.json == {"ok": True, "phone": VISITOR, "phone_display": "(555) 010-0177"}
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    (item,) = api("bob@acme.test").tab("active")
    assert (item["source"], item["contact"]["name"]) == ("widget", "Pat Doe")
    detail = api("bob@acme.test").get(f"/conversations/{item['id']}").json
    assert [(m["direction"], m["body"]) for m in detail["messages"]][0] == (
        "inbound",
        "Do you fix boilers?",
    )
    with app.app_context():
        assert sent_to(app, VISITOR) == [
            "Welcome to Acme Plumbing! Messages and data rates may apply. "
            "Msg frequency is recurring. Reply STOP to cancel."
        ]
        event = db.session.scalar(select(ConsentEvent))
        assert (event.state, event.source) == ("opted_in", "widget")
        assert "I agree to receive text messages from Acme Plumbing" in event.body
        assert SITE + "/contact" in event.body and "IP:" in event.body
        emailed = db.session.scalars(
            select(OutboxItem.recipient).where(OutboxItem.channel == "email")
        ).all()
        assert sorted(emailed) == ["bob@acme.test", "cat@acme.test"]


def test_a_visitor_already_opted_in_gets_a_short_confirmation(app, client, key):
    submit(client, key)
    submit(client, key, message="Also, a leaky tap.")
    texts = sent_to(app, VISITOR)
    assert (
        texts[-1] == "Thanks! Acme Plumbing got your message and will text you back here shortly."
    )
    assert count(app, Conversation) == 1, "the same conversation continues"


def test_a_visitor_who_had_opted_out_is_opted_in_again_by_the_form(app, client, key, api):
    text_in(client, VISITOR, NUM, "Hi")
    text_in(client, VISITOR, NUM, "STOP")
    assert submit(client, key).status_code == 201
    with app.app_context():
        ledger = db.session.execute(
            select(ConsentEvent.source, ConsentEvent.state).order_by(ConsentEvent.id)
        ).all()
        assert ledger == [
            ("first_text", "opted_in"),
            ("keyword", "opted_out"),
            ("widget", "opted_in"),
        ]
        assert db.session.scalar(select(Consent.state)) == "opted_in"
        last = db.session.scalar(select(Message).order_by(Message.id.desc()))
        assert (last.purpose, last.status) == ("opt_in", "delivered")
    (conversation_id,) = db_ids(app, Conversation)
    assert seen_by_admin(api, conversation_id)["events"][-2:] == ["opted_out", "opted_in"]


def test_a_visitor_opted_in_already_gets_no_opted_in_event(app, client, key, api):
    submit(client, key)
    submit(client, key, message="Also, a leaky tap.")
    (conversation_id,) = db_ids(app, Conversation)
    assert "opted_in" not in seen_by_admin(api, conversation_id)["events"]


def test_the_honeypot_answers_201_and_does_nothing(app, client, key):
    r = submit(client, key, website="http://spam.test")
    assert r.status_code == 201
    assert count(app, Message) == 0 and count(app, Conversation) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"phone": "999-9999"}, "phone"),
        ({"phone": "+1 000 000 0000"}, "phone"),
        ({"phone": "+88212345678"}, "phone"),  # international networks: an SMS pumping target
        ({"phone": "+881612345678"}, "phone"),  # satellite
        ({"phone": "+1 900 555 0100"}, "phone"),  # premium rate
        ({"phone": "+33 884 01 23 45"}, "phone"),  # shared cost
        ({"phone": "+44 20 7946 0000"}, "phone"),  # a landline
        ({"phone": "(500) 555-0177"}, "phone"),  # a personal number, forwarded anywhere
        ({"phone": ["+15550100177"]}, "phone"),
        ({"name": ["Pat", "Doe"]}, "name"),
        ({"message": {"text": "Hi"}}, "message"),
        ({"consent": False}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"message": "x" * 1001}, "message"),
        ({"message": "   "}, "message"),
        ({"name": ""}, "name"),
        ({"name": "n" * 81}, "name"),
    ],
)
def test_bad_input_gets_422_with_the_field_and_stores_nothing(app, client, key, changes, field):
    r = submit(client, key, **changes)
    assert r.status_code == 422
    assert field in r.json["error"]["fields"]
    assert r.headers["Access-Control-Allow-Origin"] == SITE, "the widget can read the errors"
    assert count(app, Message) == 0
    assert count(app, OutboxItem) == 0, "nothing is sent"


@pytest.mark.parametrize(
    ("phone", "e164"), [("+44 7911 123456", "+447911123456"), ("201-555-0123", "+12015550123")]
)
def test_real_mobile_numbers_are_taken(client, key, phone, e164):
    r = submit(client, key, phone=phone)
    assert (r.status_code, r.json["phone"]) == (201, e164)


def test_fictional_numbers_are_taken_with_the_simulated_carrier_only(app, client, key, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "twilio")
    r = submit(client, key)
    assert r.status_code == 422 and "phone" in r.json["error"]["fields"]
    assert count(app, Message) == 0


def test_a_site_that_is_not_allowed_is_refused_and_nothing_stored(app, client, key):
    r = submit(client, key, origin="https://evil.test")
    assert r.status_code == 403
    assert count(app, Message) == 0


def test_one_phone_is_limited(app, client, key, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_LIMIT_PER_PHONE", "2 per hour")
    assert [submit(client, key).status_code for _ in range(3)] == [201, 201, 429]
    r = submit(client, key)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.json["error"]["code"] == "rate_limited"
    assert r.headers["Access-Control-Allow-Origin"] == SITE, "the widget can say when to retry"
    assert submit(client, key, phone="+15550100188").status_code == 201, "other phones go on"


def test_one_ip_is_limited_whatever_the_phone(app, client, key, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_LIMIT_PER_IP", "3 per hour")
    codes = [submit(client, key, phone=f"+1555010018{i}").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    assert count(app, Message, Message.direction == "inbound") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--number", "+15005550999", "--origin", SITE], "is not a number of 'Acme Plumbing'"),
        (["--number", NUM, "--origin", "ftp://x"], "is not a website address"),
    ],
)
def test_create_widget_refuses_bad_input(app, acme, args, message):
    r = app.test_cli_runner().invoke(args=["create-widget", "--account", "Acme Plumbing", *args])
    assert r.exit_code != 0
    assert message in r.output


def test_admins_edit_a_widget_and_get_its_snippet(app, key, browser):
    from app.models import Widget

    admin = browser("admin@acme.test")
    with app.app_context():
        widget = db.session.scalar(select(Widget))
        url = f"/admin/widgets/{widget.id}"
        number_id = widget.tracking_number_id
    page = admin.get(url).text
    assert f'data-widget-key="{key}"' in page and "/widget.js" in page
    page = admin.post(
        url,
        name="Contact page",
        tracking_number_id=number_id,
        button_text="Chat by text",
        color="#aa3300",
        position="bottom-left",
        greeting="Hello!",
        consent_text="",
        allowed_origins=f"{SITE}\nhttps://shop.acme-plumbing.test/path",
        mobile_behaviour="sms_link",
    ).text
    assert "Widget saved." in page
    with app.app_context():
        widget = db.session.scalar(select(Widget))
        assert widget.allowed_origins == [SITE, "https://shop.acme-plumbing.test"]
        assert (widget.button_text, widget.position, widget.mobile_behaviour) == (
            "Chat by text",
            "bottom-left",
            "sms_link",
        )
    r = admin.client.post(
        url,
        data={
            "csrf_token": admin.token(),
            "tracking_number_id": number_id,
            "name": "X",
            "button_text": "X",
            "color": "red",
            "position": "middle",
            "greeting": "x",
            "allowed_origins": "",
            "mobile_behaviour": "form",
        },
    )
    assert r.status_code == 422
    for problem in ("A colour like #0d6efd.", "Name at least one website", "One of bottom-right"):
        assert problem in r.text
    r = admin.client.post(
        url,
        data={
            "csrf_token": admin.token(),
            "tracking_number_id": number_id,
            "name": "X",
            "allowed_origins": f"{SITE}\r\nmy shop dot com\r\n\r\nftp://files.acme.test",
        },
    )
    assert r.status_code == 422
    assert r.text.count("is not a website address.") == 2, "one error a bad line"
    assert "“my shop dot com” is not a website address." in r.text
    assert browser("bob@acme.test").client.get(url).status_code == 403
    assert browser("eve@other.test").client.get(url).status_code == 404
