"""Who hears about a text, by which channel, how often, and the signed link they get (§2.5)."""

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app import segments
from app.extensions import db
from app.models import Notification, OutboxItem, User
from app.models.base import utcnow
from app.services import directory, inbound, links
from tests.support import CUSTOMER, NUM, csrf_token, sent_to, text_in


class Clock:
    """The notification pacing's clock, moved by the test."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("app.services.notify.utcnow", clock)
    return clock


def told(app, since_id: int = 0) -> list[tuple[str, str, int]]:
    """(user e-mail, channel, texts) of each notification after `since_id`, in order."""
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.id > since_id).order_by(Notification.id)
        )
        return [(n.user.email, n.channel, n.texts) for n in rows]


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.max(Notification.id))) or 0


def set_channels(app, picks: dict[str, tuple[bool, bool]]) -> None:
    with app.app_context():
        from app.models import TrackingNumber

        number = TrackingNumber.by_number(NUM)
        for email in picks:
            user = User.by_email(email)
            user.phone = user.phone or "+15005550123"
        directory.set_sms_users(
            number,
            [directory.SmsUserChoice(User.by_email(e), *channels) for e, channels in picks.items()],
        )


def test_notification_email_reaches_smtp_and_its_link_opens_the_conversation(
    app, acme, client, smtp
):
    text_in(client, CUSTOMER, NUM, "My sink is leaking, can you come today?")
    by_recipient = {rcpt[0]: message for rcpt, message in smtp.messages}
    assert set(by_recipient) == {"bob@acme.test", "cat@acme.test"}
    message = by_recipient["bob@acme.test"]
    assert message["Subject"] == "A new text from (500) 555-0199 on Main line"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "My sink is leaking, can you come today?" in plain and "My sink is leaking" in html
    link = re.search(r"http://localhost(/c/\S+)", plain).group(1)
    assert link in html
    r = client.get(link)  # Bob has a password and is logged out: through the login page
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login = client.get(r.headers["Location"])
    assert "@" not in r.headers["Location"], "the e-mail is not in the address"
    assert re.search(r'<input[^>]*id="email"[^>]*value="bob@acme.test"', login.text)
    assert re.search(r'<input[^>]*autofocus[^>]*id="password"', login.text)
    r = client.post(
        r.headers["Location"],
        data={
            "email": "bob@acme.test",
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(login.text),
        },
    )
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert "My sink is leaking, can you come today?" in page.text
    assert "Claim and send" in page.text


def test_an_identified_user_is_logged_in_by_the_link_and_can_claim_and_reply(app, acme, client):
    set_channels(app, {"ivy@acme.test": (True, False)})
    text_in(client, CUSTOMER, NUM, "Hello?")
    body = sent_to(app, "ivy@acme.test")[0]
    link = re.search(r"http://localhost(/c/\S+)", body).group(1)
    page = client.get(link, follow_redirects=True)
    assert "Ivy Tester" in page.text and "Hello?" in page.text
    conversation_id = int(re.search(r"/conversations/(\d+)/claim", page.text).group(1))
    r = client.post(
        f"/conversations/{conversation_id}/messages",
        data={"body": "Ivy here!", "claim": "1", "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )
    assert "Text sent." in r.text and "Ivy Tester claimed the conversation" in r.text


@pytest.mark.parametrize(
    ("setup", "trigger", "expected"),
    [
        ("unclaimed", "text", [("bob@acme.test", "email"), ("cat@acme.test", "email")]),
        ("claimed by bob", "text", [("bob@acme.test", "email")]),
        ("dan participates", "text", [("bob@acme.test", "email"), ("dan@acme.test", "email")]),
        ("dan participates", "bob replies", [("dan@acme.test", "email")]),
        ("bob sms only", "text", [("bob@acme.test", "sms"), ("cat@acme.test", "email")]),
        (
            "bob both",
            "text",
            [("bob@acme.test", "email"), ("bob@acme.test", "sms"), ("cat@acme.test", "email")],
        ),
        ("cat paused", "text", [("bob@acme.test", "email")]),
        ("cat deactivated", "text", [("bob@acme.test", "email")]),
    ],
)
def test_who_is_notified(app, acme, client, api, clock, setup, trigger, expected):
    text_in(client, CUSTOMER, NUM, "First text")
    (item,) = api("admin@acme.test").tab("active")
    cid = item["id"]
    users = {u["email"]: u["id"] for u in api("admin@acme.test").get("/users").json["items"]}
    if setup in ("claimed by bob", "dan participates"):
        api("bob@acme.test").post(f"/conversations/{cid}/claim")
    if setup == "dan participates":
        api("bob@acme.test").post(
            f"/conversations/{cid}/participants", json={"user_id": users["dan@acme.test"]}
        )
    if setup == "bob sms only":
        set_channels(app, {"bob@acme.test": (False, True), "cat@acme.test": (True, False)})
    if setup == "bob both":
        set_channels(app, {"bob@acme.test": (True, True), "cat@acme.test": (True, False)})
    with app.app_context():
        cat = User.by_email("cat@acme.test")
        cat.notifications_paused = setup == "cat paused"
        cat.active = setup != "cat deactivated"
        db.session.commit()
    clock.advance(6)
    since = last_id(app)
    if trigger == "text":
        text_in(client, CUSTOMER, NUM, "Second text")
    else:
        assert (
            api("bob@acme.test")
            .post(f"/conversations/{cid}/messages", json={"body": "On it"})
            .status_code
            == 201
        )
    assert sorted((email, channel) for email, channel, _ in told(app, since)) == sorted(expected)


def test_sms_notification_carries_contact_label_text_and_link_in_one_segment(
    app, acme, client, monkeypatch
):
    set_channels(app, {"bob@acme.test": (False, True)})
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://texts.acme-plumbing.example")
    with app.app_context():
        inbound.receive(
            NUM,
            CUSTOMER,
            "\u201cHi \U0001f600 my kitchen sink is leaking all over the floor, please send "
            "someone\u201d",
            None,
        )
        sms = db.session.scalar(select(OutboxItem).where(OutboxItem.recipient == "+15005550123"))
    assert sms.sender == "+15005550000"
    assert segments.count(sms.body)[1:] == (1, "GSM-7")
    assert sms.body.startswith('(500) 555-0199 (Main line): ""Hi my kitchen sink is')
    link = re.search(r"https://texts\.acme-plumbing\.example(/c/\S+)$", sms.body).group(1)
    r = client.get(link)  # the whole link: Bob is sent through the login page
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_sms_notification_keeps_the_whole_head_when_the_text_fits(app, acme, client):
    set_channels(app, {"bob@acme.test": (False, True)})
    text_in(client, CUSTOMER, NUM, "Leak \u2013 today?")
    body = sent_to(app, "+15005550123")[0]
    assert body.startswith(
        'Acme Plumbing: a new text from (500) 555-0199 (Main line): "Leak - today?"'
    )
    assert segments.count(body)[1:] == (1, "GSM-7")


def test_a_burst_is_one_notification_and_the_next_after_five_minutes_counts_the_rest(
    app, acme, client, clock
):
    for i in range(5):
        text_in(client, CUSTOMER, NUM, f"text {i}")
        clock.advance(0.2)
    assert told(app) == [("bob@acme.test", "email", 1), ("cat@acme.test", "email", 1)]
    clock.advance(5)
    since = last_id(app)
    text_in(client, CUSTOMER, NUM, "still there?")
    assert told(app, since) == [("bob@acme.test", "email", 5), ("cat@acme.test", "email", 5)]
    with app.app_context():
        subjects = db.session.scalars(
            select(OutboxItem.subject).where(OutboxItem.channel == "email")
        ).all()
    assert subjects[-1] == "5 new texts from (500) 555-0199 on Main line"


def link_for(app, email: str, conversation_id: int) -> str:
    from app.models import Conversation

    with app.app_context():
        user = User.by_email(email)
        return links.make(user, db.session.get(Conversation, conversation_id)).removeprefix(
            "http://localhost"
        )


class SignedAt(TimestampSigner):
    """A signer whose clock says `at` (seconds since the epoch)."""

    def __init__(self, *args, at: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        return self.at


def link_signed_at(app, email: str, conversation_id: int, at: float) -> str:
    """The link `link_for` makes, as if made at `at`."""
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"],
        salt="conversation-link",
        signer=SignedAt,
        signer_kwargs={"at": int(at)},
    )
    token = link_for(app, email, conversation_id).removeprefix("/c/")
    return f"/c/{serializer.dumps(serializer.loads(token))}"


def test_links_that_are_tampered_expired_or_of_a_deactivated_user_are_refused(
    app, acme, client, conversation_id
):
    set_channels(app, {"ivy@acme.test": (True, False)})
    good = link_for(app, "ivy@acme.test", conversation_id)
    assert client.get(good[:-2] + ("AA" if not good.endswith("AA") else "BB")).status_code == 403
    expired = link_signed_at(app, "ivy@acme.test", conversation_id, at=1_000_000)
    r = client.get(expired)
    assert r.status_code == 403 and "expired" in r.text
    with app.app_context():
        User.by_email("ivy@acme.test").active = False
        db.session.commit()
    assert client.get(good).status_code == 403
    assert client.get("/conversations").status_code == 302, "nobody was logged in"


@pytest.mark.parametrize(("days", "past_the_end", "opens"), [(2, -60, True), (2, 60, False)])
def test_a_link_works_until_the_configured_days_are_up(
    app, acme, client, conversation_id, monkeypatch, days, past_the_end, opens
):
    set_channels(app, {"ivy@acme.test": (True, False)})
    monkeypatch.setitem(app.config, "NOTIFICATION_LINK_MAX_AGE", days * 24 * 3600)
    made = time.time() - days * 24 * 3600 - past_the_end
    r = client.get(link_signed_at(app, "ivy@acme.test", conversation_id, at=made))
    if opens:
        assert r.status_code == 302 and f"/conversations/{conversation_id}" in r.headers["Location"]
    else:
        assert r.status_code == 403 and "expired" in r.text


def test_another_users_link_does_not_open_the_conversation_in_this_session(
    app, acme, browser, conversation_id
):
    cat = browser("cat@acme.test")
    r = cat.client.get(link_for(app, "bob@acme.test", conversation_id))
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert cat.client.get("/conversations").status_code == 302, "Cat's session was ended"


def test_paused_users_choose_it_on_their_profile(app, acme, browser, client):
    cat = browser("cat@acme.test")
    assert "Notifications paused." in cat.post("/profile", paused="on").text
    since = last_id(app)
    text_in(client, CUSTOMER, NUM, "Hello")
    assert told(app, since) == [("bob@acme.test", "email", 1)]
    assert "Notifications on." in cat.post("/profile").text
