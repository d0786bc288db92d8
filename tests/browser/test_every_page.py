"""Every page a person opens, in Chromium at desktop and phone size, on the demo account: none
scrolls sideways (measured with the page's clip lifted), a thread shows its composer, and
axe-core (the npm package in tests/browser/axe, loaded into the page) finds nothing serious or
critical. The tour names every page of the app, so a new page cannot be left out."""

import re

import pytest
from sqlalchemy import select

from app.demo import seed
from app.extensions import db
from app.models import Conversation, SavedReply, Tag, TrackingNumber, User, Widget
from app.models.conversation import ConversationStatus
from tests.support.axe import serious_violations

SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]
# Pages no person opens: downloads, the live-update question, a media file, a link's landing
# (it redirects), machines' endpoints, the widget's script and the simulated phone's thread part.
NOT_PAGES = re.compile(
    r"^(api\.|webhooks\.|widget_api\.|(bootstrap\.)?static$|health\.|.*csv$|portal\.(changes|events)$"
    r"|portal\.(shared_)?media$|portal\.index$|auth\.conversation_link$|auth\.set_password$"
    r"|dev\.phone_(thread|media)$|admin_reports\.page$|portal\.saved_reply_file$)"
)


def tour(app) -> dict[str, tuple[str | None, str]]:
    """Every page, with the demo's rows for the ids in its path."""
    with app.app_context():
        bob = User.by_email("bob@demo.test")
        open_one = db.session.scalar(
            Conversation.visible_to(bob)
            .where(Conversation.status == ConversationStatus.OPEN, Conversation.claimed_by == bob)
            .order_by(Conversation.id.desc())
        )
        ids = {
            "conversation": open_one.id,
            "contact": open_one.contact_id,
            "number": db.session.scalar(select(TrackingNumber.id).order_by(TrackingNumber.id)),
            "widget": db.session.scalar(select(Widget.id)),
            "shared": db.session.scalar(select(SavedReply.id).where(SavedReply.user_id.is_(None))),
            "own": db.session.scalar(select(SavedReply.id).where(SavedReply.user_id == bob.id)),
            "tag": db.session.scalar(select(Tag.id)),
        }
    admin, agent = "admin@demo.test", "bob@demo.test"
    return {
        "auth.login": (None, "/login"),
        "portal.conversations": (agent, "/conversations"),
        "portal.conversation": (agent, f"/conversations/{ids['conversation']}"),
        "portal.new_conversation": (agent, "/conversations/new"),
        "portal.contact": (agent, f"/contacts/{ids['contact']}"),
        "portal.profile": (agent, "/profile"),
        "portal.own_saved_reply": (agent, f"/profile/saved-replies/{ids['own']}"),
        "reports.page": (agent, "/reports"),
        "admin.numbers": (admin, "/admin/numbers"),
        "admin.sms_users": (admin, f"/admin/numbers/{ids['number']}/sms-users"),
        "admin.people_page": (admin, "/admin/people"),
        "admin.widgets": (admin, f"/admin/widgets/{ids['widget']}"),
        "admin.sms_customization": (admin, "/admin/customization/sms"),
        "admin.business_hours_page": (admin, "/admin/business-hours"),
        "admin.saved_replies_page": (admin, f"/admin/saved-replies/{ids['shared']}"),
        "admin.tags_page": (admin, f"/admin/tags/{ids['tag']}"),
        "admin.consent_ledger": (admin, "/admin/consent"),
        "admin.carrier_registration": (admin, "/admin/registration"),
        "dev.phone": (None, "/dev/phone"),
        "dev.outbox": (None, "/dev/outbox"),
        "dev.website": (None, "/dev/website"),
    }


@pytest.fixture
def demo_pages(app):
    with app.app_context():
        seed.seed()
    return tour(app)


def test_the_tour_names_every_page_of_the_app(app, demo_pages):
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not NOT_PAGES.match(rule.endpoint)
    }
    assert pages == set(demo_pages)


@pytest.mark.parametrize("width, height", SIZES)
def test_no_page_scrolls_sideways_and_axe_finds_nothing_serious(
    demo_pages, open_as, live_server, width, height
):
    pages = {}
    for endpoint, (who, path) in demo_pages.items():
        pages.setdefault(who, []).append((endpoint, path))
    problems = {}
    for who, visits in pages.items():
        page = open_as(who, width, height, seed.PASSWORD)
        for endpoint, path in visits:
            answer = page.goto(f"{live_server}{path}")
            assert answer.status == 200, (endpoint, answer.status)
            wide = page.evaluate(
                "() => { for (const el of [document.documentElement, document.body])"
                " el.style.overflow = 'visible';"
                " return document.documentElement.scrollWidth - innerWidth; }"
            )
            if wide > 0:
                problems[endpoint] = f"{wide}px wider than the screen"
            if found := serious_violations(page):
                problems[endpoint] = found
            if endpoint == "portal.conversation":
                composer = page.evaluate(
                    "(() => { const r = document.getElementById('body').getBoundingClientRect();"
                    " return r.top >= 0 && r.bottom <= innerHeight; })()"
                )
                if not composer:
                    problems[endpoint] = "the composer is not in view"
    assert problems == {}
