"""The portal through its pages and forms: login, tabs, claim, reply, participants, close, CSRF."""

import re
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import segments
from app.extensions import db
from app.models import Account, Message
from app.services import reports
from tests.support import CUSTOMER, NUM, PASSWORD, csrf_token, seen_by_admin, text_in
from tests.support.sql import statements


def test_pages_need_a_login(client, acme):
    r = client.get("/conversations")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def test_wrong_password_is_refused(client, acme):
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "email": "bob@acme.test",
            "password": "nope-nope",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 401
    assert "do not match" in r.text


def test_login_without_csrf_token_is_refused(client, acme):
    r = client.post("/login", data={"email": "bob@acme.test", "password": PASSWORD})
    assert r.status_code == 400


def test_identified_only_user_cannot_log_in_with_a_password(client, acme):
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": "ivy@acme.test", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 401


def test_new_text_shows_in_both_sms_users_active_tab_then_moves_to_team(app, acme, client, browser):
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    bob, cat = browser("bob@acme.test"), browser("cat@acme.test")
    for who in (bob, cat):
        page = who.get("/conversations?tab=active").text
        assert "My sink is leaking" in page
        assert "(500) 555-0199" in page
    conversation_id = int(
        re.search(r"/conversations/(\d+)", bob.get("/conversations").text).group(1)
    )
    page = bob.post(f"/conversations/{conversation_id}/claim").text
    assert "You claimed the conversation." in page
    assert "My sink is leaking" not in cat.get("/conversations?tab=active").text
    assert "My sink is leaking" in cat.get("/conversations?tab=team").text
    page = cat.post(f"/conversations/{conversation_id}/claim").text
    assert "Already claimed by Bob Tester." in page
    page = cat.get(f"/conversations/{conversation_id}").text
    assert "Only Bob Tester and participants can reply." in page


def test_actions_not_offered_say_why(app, acme, client, browser):
    text_in(client, CUSTOMER, NUM, "Hello?")
    bob, admin = browser("bob@acme.test"), browser("admin@acme.test")
    conversation_id = int(
        re.search(r"/conversations/(\d+)", bob.get("/conversations").text).group(1)
    )
    page = bob.get(f"/conversations/{conversation_id}").text
    assert ">Close</button>" not in page and "Add participant</button>" not in page
    assert "Only the claimer, a participant or an admin can close it." in page
    assert "Only the claimer or an admin can add participants." in page
    page = admin.get(f"/conversations/{conversation_id}").text
    assert ">Close</button>" in page and "Add participant</button>" in page
    assert "can close it" not in page and "can add participants" not in page
    bob.post(f"/conversations/{conversation_id}/claim")
    page = bob.get(f"/conversations/{conversation_id}").text
    assert ">Close</button>" in page and 'class="meta reason' not in page


def test_claim_and_send_then_close_from_the_thread(app, acme, client, browser):
    text_in(client, CUSTOMER, NUM, "Are you open Sunday?")
    bob = browser("bob@acme.test")
    conversation_id = int(
        re.search(r"/conversations/(\d+)", bob.get("/conversations").text).group(1)
    )
    page = bob.get(f"/conversations/{conversation_id}").text
    assert "Claim and send" in page
    page = bob.post(
        f"/conversations/{conversation_id}/messages", body="Yes, 9 to 5.", claim="1"
    ).text
    assert "Text sent." in page
    assert "Yes, 9 to 5." in page
    assert "Bob Tester claimed the conversation" in page
    assert "delivered" in page
    page = bob.post(f"/conversations/{conversation_id}/close").text
    assert "Conversation closed." in page
    assert "The conversation is closed." in page
    assert "Yes, 9 to 5." in bob.get("/conversations?tab=closed").text


def test_a_reply_of_several_lines_is_sent_as_the_composer_counted_it(
    app, acme, client, browser, api
):
    """A browser posts each line break as CR LF; the phone gets one line feed, as counted."""
    text_in(client, CUSTOMER, NUM, "Can you send the address?")
    (item,) = api("bob@acme.test").tab("active")
    first, second = "x" * 79, "y" * 80  # 160 characters with the line break: one segment
    page = browser("bob@acme.test").post(
        f"/conversations/{item['id']}/messages", body=f"{first}\r\n{second}", claim="1"
    )
    assert "Text sent." in page.text
    (direction, body) = seen_by_admin(api, item["id"])["messages"][-1]
    assert (direction, body) == ("outbound", f"{first}\n{second}")
    assert segments.count(body)[:2] == (160, 1)


def test_form_post_without_csrf_token_changes_nothing(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    bob = browser("bob@acme.test")
    (item,) = api("bob@acme.test").tab("active")
    r = bob.client.post(f"/conversations/{item['id']}/claim")
    assert r.status_code == 400
    assert api("bob@acme.test").get(f"/conversations/{item['id']}").json["claimed_by"] is None


def test_admin_reassigns_and_adds_participants_from_the_thread(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    users = {u["email"]: u["id"] for u in api("admin@acme.test").get("/users").json["items"]}
    admin = browser("admin@acme.test")
    page = admin.post(f"/conversations/{item['id']}/reassign", user_id=users["cat@acme.test"]).text
    assert "Ada Tester reassigned it to Cat Tester" in page
    page = admin.post(
        f"/conversations/{item['id']}/participants", user_id=users["dan@acme.test"]
    ).text
    assert "Ada Tester added Dan Tester" in page
    assert item["id"] in api("dan@acme.test").tab_ids("active")


def test_contact_text_is_escaped(app, acme, client, browser):
    text_in(client, CUSTOMER, NUM, "<img src=x onerror=alert(1)>")
    page = browser("bob@acme.test").get("/conversations").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_pages_send_a_content_security_policy_without_inline_script(client, acme):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_another_accounts_conversation_is_not_found(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    eve = browser("eve@other.test")
    assert eve.client.get(f"/conversations/{item['id']}").status_code == 404
    assert "Hello" not in eve.get("/conversations").text
    r = eve.client.post(
        f"/conversations/{item['id']}/claim",
        data={"csrf_token": csrf_token(eve.get("/conversations").text)},
    )
    assert r.status_code == 404


def test_admin_pages_are_for_admins(app, acme, browser):
    assert browser("bob@acme.test").client.get("/admin/numbers").status_code == 403
    page = browser("admin@acme.test").get("/admin/numbers").text
    assert "(500) 555-0101" in page and "Turn SMS off" in page


def tab_badge(html: str, title: str) -> str | None:
    match = re.search(rf"{title} <span class=\"badge[^>]*>([^<]+)<", html)
    return match.group(1) if match else None


def test_tab_badges_count_unread_conversations_up_to_99_plus(app, acme, client, browser):
    bob = browser("bob@acme.test")
    for i in range(3):
        text_in(client, f"+1500555{i:04d}", NUM, "Hello")
    assert tab_badge(bob.get("/conversations").text, "Active") == "3"
    for i in range(3, 101):
        text_in(client, f"+1500555{i:04d}", NUM, "Hello")
    # Beyond 99 the badge stops counting.
    assert tab_badge(bob.get("/conversations").text, "Active") == "99+"


def test_times_are_shown_in_the_accounts_time_zone(app, acme, client, browser):
    text_in(client, CUSTOMER, NUM, "What time do you open?")
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        reports.set_timezone(account, "America/New_York")
        at = db.session.scalar(select(Message.created_at).where(Message.direction == "inbound"))
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    bob = browser("bob@acme.test")
    conversation_id = int(
        re.search(r"/conversations/(\d+)", bob.get("/conversations").text).group(1)
    )
    page = bob.get(f"/conversations/{conversation_id}").text
    assert local.strftime("%b %d, %H:%M") in page
    assert at.strftime("%b %d, %H:%M") not in page  # five hours apart
    assert "When (America/New_York)" in page


def test_a_read_mark_is_written_when_the_thread_holds_a_text_not_seen_yet(
    app, acme, client, browser
):
    """Opening a thread marks its new texts read; opening it again, with nothing new, writes
    nothing (no wait for the disk on every view), and a newer text is marked read when seen."""
    text_in(client, CUSTOMER, NUM, "Hi, is anyone there?")
    bob = browser("bob@acme.test")
    url = re.search(r"/conversations/\d+", bob.get("/conversations").text).group(0)
    assert 'class="row-item unread' in bob.get("/conversations").text
    with statements(app) as first:
        bob.get(url)
    assert "INSERT" in first
    assert 'class="row-item unread' not in bob.get("/conversations").text
    with statements(app) as again:
        assert "Hi, is anyone there?" in bob.get(url).text
    assert "INSERT" not in again and "UPDATE" not in again
    text_in(client, CUSTOMER, NUM, "Hello?")
    assert 'class="row-item unread' in bob.get("/conversations").text
    with statements(app) as newer:
        assert "Hello?" in bob.get(url).text
    assert "INSERT" in newer
    assert 'class="row-item unread' not in bob.get("/conversations").text


def test_a_thread_page_asks_as_much_however_many_people_wrote_in_it(
    app, acme, client, browser, api
):
    """No query per sender or per person an event names: a busy thread costs what a quiet one
    does, so a page cannot slow down as a conversation grows."""
    text_in(client, CUSTOMER, NUM, "Hi, is anyone there?")
    (item,) = api("bob@acme.test").tab("active")
    url = f"/conversations/{item['id']}"
    api("bob@acme.test").post(f"{url}/messages", json={"body": "Bob here.", "claim": True})
    bob = browser("bob@acme.test")
    bob.get(url)
    text_in(client, CUSTOMER, NUM, "Still there?")  # unread on both pages: each writes its mark
    with statements(app) as quiet:
        assert bob.get(url).status_code == 200
    users = {u["email"]: u["id"] for u in api("admin@acme.test").get("/users").json["items"]}
    for email in ("cat@acme.test", "dan@acme.test", "admin@acme.test"):
        api("bob@acme.test").post(f"{url}/participants", json={"user_id": users[email]})
        api(email).post(f"{url}/messages", json={"body": f"{email} here."})
        text_in(client, CUSTOMER, NUM, "Thanks!")
    with statements(app) as busy:
        page = bob.get(url).text
    assert all(f"{email} here." in page for email in ("cat@acme.test", "dan@acme.test"))
    assert "Bob Tester added Dan Tester" in page
    assert len(busy) == len(quiet), (quiet, busy)
