"""The click-to-text widget in Chromium, embedded in a website of another origin: keyboard only,
hostile CSS, refused origins, escaping, the phone's `sms:` link, focus, errors from the server."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import Conversation, OutboxItem, Widget
from tests.support import NUM
from tests.support.axe import serious_violations
from tests.support.waiting import eventually

VISITOR = "+15550100199"
HOSTILE_CSS = "* { all: unset; color: red !important; font-size: 40px !important }"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Joe's Hardware</title>
<style>{css}</style></head>
<body><h1>Joe's Hardware</h1><p id="hours">Open 8 to 6.</p><a href="#hours">Opening hours</a>
{snippets}</body></html>"""
SENT = "Thanks! We'll text you at (555) 010-0199."


class Site:
    """A website on a second local server (another origin than the app) that embeds the widget."""

    def __init__(self):
        self.html = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's hook name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.html)))
                self.end_headers()
                self.wfile.write(site.html)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embedding(self, script_origin: str, key: str, copies: int = 1) -> str:
        """The page's address, now that it embeds the widget (the snippet pasted `copies` times)."""
        snippet = f'<script async src="{script_origin}/widget.js" data-widget-key="{key}"></script>'
        self.html = PAGE.format(css=HOSTILE_CSS, snippets=snippet * copies).encode()
        return f"{self.origin}/shop"


@pytest.fixture
def site():
    site = Site()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Each test starts with the widget's rate limits unspent (they live in memory, per process)."""
    with app.app_context():
        limiter.reset()


def create_widget(app, origin: str) -> str:
    """A widget on Acme's Main line, made the way SPEC §3 says; returns its key."""
    result = app.test_cli_runner().invoke(
        args=["create-widget", "--account", "Acme Plumbing", "--number", NUM, "--origin", origin]
    )
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def focused(page) -> str:
    """The id (or class) of the element with the focus, looking inside shadow roots."""
    return page.evaluate(
        """() => { let e = document.activeElement;
                   while (e && e.shadowRoot && e.shadowRoot.activeElement)
                       e = e.shadowRoot.activeElement;
                   return e ? e.id || e.className : ""; }"""
    )


def tab_to(page, what: str, limit: int = 20) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == what:
            return
    raise AssertionError(f"Tab never reached {what}")


def fill_in(page, name: str, phone: str, message: str, consent: bool = True) -> None:
    page.get_by_role("button", name="Text us").click()
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Mobile number", exact=True).fill(phone)
    page.get_by_label("Message", exact=True).fill(message)
    page.get_by_role("checkbox").set_checked(consent)
    page.get_by_role("button", name="Send").click()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_visitor_texts_with_the_keyboard_only_on_a_hostile_page(
    app, acme, api, client, open_as, live_server, site
):
    page = open_as()
    page.goto(site.embedding(live_server, create_widget(app, site.origin)))
    launcher = page.get_by_role("button", name="Text us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    # The page's CSS is hostile indeed; the widget does not care.
    assert page.eval_on_selector("#hours", "e => getComputedStyle(e).fontSize") == "40px"
    look = "e => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.position]; }"
    assert launcher.evaluate(look) == ["15px", "rgb(255, 255, 255)", "fixed"]

    tab_to(page, "smsw-launcher")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Text Acme Plumbing")
    expect(dialog).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    name_look = page.get_by_label("Your name", exact=True).evaluate(look)
    assert name_look[:2] == ["15px", "rgb(31, 35, 40)"]
    assert focused(page) == "smsw-name"
    assert serious_violations(page, within=".smsw-host") == [], "the open form, to axe-core"
    page.keyboard.type("Pat Visitor")
    page.keyboard.press("Tab")
    assert focused(page) == "smsw-phone"
    page.keyboard.type("(555) 010-0199")
    page.keyboard.press("Tab")
    assert focused(page) == "smsw-message"
    page.keyboard.type("Do you sell 3/4 inch copper fittings?")
    page.keyboard.press("Tab")
    assert focused(page) == "smsw-consent"
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page) == "smsw-send"
    page.keyboard.press("Enter")
    expect(dialog.locator(".smsw-done")).to_have_text(SENT)
    expect(dialog.locator(".smsw-done")).to_be_focused()

    (item,) = api("bob@acme.test").tab("active")
    assert (item["source"], item["contact"]["phone"]) == ("widget", VISITOR)
    detail = api("bob@acme.test").get(f"/conversations/{item['id']}").json
    assert (detail["messages"][0]["direction"], detail["messages"][0]["body"]) == (
        "inbound",
        "Do you sell 3/4 inch copper fittings?",
    )

    def phone_screen():
        r = client.get("/dev/phone/thread", query_string={"phone": VISITOR, "number": NUM})
        return "Welcome to Acme Plumbing!" in r.text and r.text

    assert eventually(phone_screen), "the visitor never got the opt-in text"


def test_page_of_an_origin_not_allowed_shows_why_and_stores_nothing(
    app, acme, open_as, live_server, site
):
    page = open_as()
    page.goto(site.embedding(live_server, create_widget(app, "https://joes-hardware.example")))
    page.get_by_role("button", name="Text us").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This website is not allowed to send texts to us."
    )
    expect(page.get_by_label("Your name", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Close")).to_be_focused()
    assert count(app, Conversation) == 0
    assert count(app, OutboxItem) == 0


def test_hostile_name_is_text_in_the_widget_and_the_portal(app, acme, open_as, live_server, site):
    attack = "<script>alert(1)</script>"
    dialogs = []
    page = open_as()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site.embedding(live_server, create_widget(app, site.origin)))
    fill_in(page, attack, "(555) 010-0199", "<img src=x onerror=alert(2)>")
    expect(page.locator(".smsw-done")).to_have_text(SENT)

    portal = open_as("bob@acme.test")
    portal.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    portal.locator("#list .row-item", has_text="<img src=x").click()
    expect(portal.locator("#thread h1")).to_have_text(attack)
    expect(portal.locator("#timeline .body").first).to_have_text("<img src=x onerror=alert(2)>")
    # The page's own data for the composer's pickers is JSON, never run; nothing else is a script.
    code = '#thread script:not([type="application/json"]), #thread img'
    assert portal.locator(code).count() == 0
    assert attack not in portal.locator("#thread").inner_html()
    portal.wait_for_timeout(500)
    assert dialogs == []


def test_on_a_phone_the_button_opens_the_messages_app(app, acme, chromium, live_server, site):
    key = create_widget(app, site.origin)
    greeting = "Hi! Need a plumber? Tell us what & where."
    with app.app_context():
        widget = db.session.scalar(select(Widget).where(Widget.key == key))
        widget.mobile_behaviour, widget.greeting = "sms_link", greeting
        db.session.commit()
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(site.embedding(live_server, key))
        link = page.get_by_role("link", name="Text us")
        body = quote(greeting, safe="!'()*")  # encodeURIComponent's alphabet
        expect(link).to_have_attribute("href", f"sms:{NUM}?&body={body}")
        assert body == "Hi!%20Need%20a%20plumber%3F%20Tell%20us%20what%20%26%20where."
        expect(page.get_by_role("dialog")).to_have_count(0)
    finally:
        context.close()


def test_escape_closes_and_tab_stays_in_the_open_dialog(app, acme, open_as, live_server, site):
    page = open_as()
    page.goto(site.embedding(live_server, create_widget(app, site.origin), copies=2))
    launcher = page.get_by_role("button", name="Text us")
    launcher.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.locator(".smsw-host").count() == 1  # pasted twice, drawn once
    assert page.evaluate("window.SmsWidget.version") == "1.0.0"

    cycle = ["smsw-name", "smsw-phone", "smsw-message", "smsw-consent", "smsw-send", "smsw-x"]
    assert focused(page) == "smsw-name"
    seen = []
    for _ in range(len(cycle) + 1):
        page.keyboard.press("Tab")
        seen.append(focused(page))
    assert seen == cycle[1:] + cycle[:2]  # round and round, never out to the page
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "smsw-x"
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "smsw-send"

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.evaluate("window.SmsWidget.open()")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.evaluate("window.SmsWidget.close()")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_server_field_errors_show_next_to_their_fields(
    app, acme, client, open_as, live_server, site
):
    key = create_widget(app, site.origin)
    page = open_as()
    page.goto(site.embedding(live_server, key))
    fill_in(page, "Pat Visitor", "12", "Hello", consent=False)

    answer = client.post(
        f"/api/widget/v1/{key}/submissions",
        json={"name": "Pat", "phone": "12", "message": "Hello", "consent": False},
        headers={"Origin": site.origin},
    ).json["error"]
    assert set(answer["fields"]) == {"phone", "consent"}
    for field in ("phone", "consent"):
        control = page.locator(f"#smsw-{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", f"smsw-{field}-error")
        expect(page.locator(f"#smsw-{field}-error")).to_have_text(" ".join(answer["fields"][field]))
    expect(page.get_by_label("Your name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text(answer["message"])
    expect(page.get_by_label("Mobile number", exact=True)).to_be_focused()

    page.get_by_label("Mobile number", exact=True).fill("(555) 010-0199")
    expect(page.locator("#smsw-phone")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#smsw-phone-error")).to_be_hidden()
    expect(page.locator("#smsw-consent-error")).to_be_visible()  # not fixed yet
    page.get_by_role("checkbox").check()
    expect(page.locator("#smsw-consent-error")).to_be_hidden()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".smsw-done")).to_have_text(SENT)
    assert count(app, Conversation) == 1


def test_network_failure_can_be_retried_and_rate_limit_says_when(
    app, acme, open_as, live_server, site, monkeypatch
):
    monkeypatch.setitem(app.config, "WIDGET_LIMIT_PER_PHONE", "1 per hour")
    page = open_as()
    page.goto(site.embedding(live_server, create_widget(app, site.origin)))
    page.route("**/submissions", lambda route: route.abort())
    fill_in(page, "Pat Visitor", "(555) 010-0199", "Are you open Sunday?")
    expect(page.get_by_role("alert")).to_contain_text("Check your connection and try again.")
    page.unroute("**/submissions")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".smsw-done")).to_have_text(SENT)

    page.get_by_role("button", name="Close").click()
    fill_in(page, "Pat Visitor", "(555) 010-0199", "And Monday?")
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^Too many messages — please try again in \d+ minutes?\.$")
    )
    assert count(app, Conversation) == 1


def test_admin_preview_shows_the_form_in_its_colour_and_follows_the_edits(
    app, acme, open_as, live_server
):
    key = create_widget(app, "https://joes-hardware.example")  # not the app's own origin
    with app.app_context():
        widget = db.session.scalar(select(Widget).where(Widget.key == key))
        widget.color, widget.button_text = "#aa3300", "Chat by text"
        db.session.commit()
        widget_id = widget.id
    page = open_as("admin@acme.test")
    refusals = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refusals.append(m.text))
    response = page.goto(f"{live_server}/admin/widgets/{widget_id}")
    assert "style-src 'self';" in response.headers["content-security-policy"]  # no inline CSS
    look = "e => { const s = getComputedStyle(e); return [s.position, s.backgroundColor]; }"
    launcher = page.get_by_role("button", name="Chat by text")
    launcher.click()
    dialog = page.get_by_role("dialog", name="Text Acme Plumbing")
    expect(dialog.get_by_label("Your name", exact=True)).to_be_visible()
    expect(dialog.get_by_role("alert")).to_have_text("")
    assert launcher.evaluate(look) == ["fixed", "rgb(170, 51, 0)"]
    assert dialog.get_by_role("button", name="Send").evaluate(look)[1] == "rgb(170, 51, 0)"

    page.fill("#button_text", "Text our team")
    page.fill("#greeting", "Ask us anything!")
    page.fill("#consent_text", "Yes, text me about my request. Reply STOP to opt out.")
    expect(page.locator("#consent_text")).to_be_focused()  # the preview takes no focus
    launcher = page.get_by_role("button", name="Text our team")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(dialog).to_contain_text("Ask us anything!")
    expect(dialog.get_by_role("checkbox")).to_have_accessible_name(
        "Yes, text me about my request. Reply STOP to opt out."
    )
    page.fill("#consent_text", "")
    expect(dialog.get_by_role("checkbox")).to_have_accessible_name(
        re.compile(r"^By sending, I agree to receive text messages from Acme Plumbing")
    )
    page.locator("#color").fill("#118833")
    expect(launcher).to_have_css("background-color", "rgb(17, 136, 51)")
    page.locator("#position").select_option("bottom-left")
    expect(launcher).to_have_css("left", "20px")
    assert refusals == []
