"""Send later from the portal's composer (SPEC §2.12), as plain forms: quick picks and a date and
time on the account's clock; the thread's Scheduled list with edit and cancel; quiet hours said
before a text is sent."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, update

from app import tasks
from app.extensions import db
from app.models import Account, Message
from app.services import business_hours
from tests.support import CUSTOMER, NUM, sent_to, text_in

BOB = "bob@acme.test"
CHICAGO = ZoneInfo("America/Chicago")
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=CHICAGO)  # a Monday


@pytest.fixture
def chicago(app, acme):
    with app.app_context():
        db.session.execute(update(Account).values(timezone="America/Chicago"))
        db.session.commit()


@pytest.fixture
def thread(app, chicago, client, browser) -> str:
    """Bob's claimed conversation with a customer who texted at noon (Chicago), a Monday."""
    with time_machine.travel(NOON, tick=False):
        text_in(client, CUSTOMER, NUM, "Can you come this week?")
    with app.app_context():
        conversation_id = db.session.scalar(select(Message.conversation_id))
    browser(BOB).post(f"/conversations/{conversation_id}/claim")
    return f"/conversations/{conversation_id}"


def waiting(app) -> list[Message]:
    with app.app_context():
        found = db.session.scalars(select(Message).where(Message.status == "scheduled")).all()
        db.session.expunge_all()
        return list(found)


def test_in_an_hour_schedules_it_and_the_thread_lists_it(app, thread, browser):
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        page = browser(BOB).post(f"{thread}/messages", body="On my way soon.", later="in_an_hour")
        assert "Text scheduled for Dec 07, 13:05." in page.text
        (text,) = waiting(app)
        assert text.send_at == datetime(2026, 12, 7, 19, 5)  # 13:05 CST in UTC
        page = browser(BOB).get(thread).text
    assert "Scheduled</h2>" in page
    assert "On my way soon." in page and "leaves" in page
    assert "Cancel this text" in page and 'value="2026-12-07T13:05"' in page
    assert "On my way soon." not in sent_to(app, CUSTOMER)


def test_tomorrow_9_is_9_on_the_accounts_clock(app, thread, browser):
    with time_machine.travel(NOON, tick=False):
        browser(BOB).post(f"{thread}/messages", body="Morning!", later="tomorrow_9")
    (text,) = waiting(app)
    assert text.send_at == datetime(2026, 12, 8, 15, 0)  # 9:00 CST


def test_a_date_and_time_of_ones_own_is_on_the_accounts_clock(app, thread, browser):
    with time_machine.travel(NOON, tick=False):
        browser(BOB).post(
            f"{thread}/messages", body="See you.", later="at", send_at="2026-12-09T10:30"
        )
    (text,) = waiting(app)
    assert text.send_at == datetime(2026, 12, 9, 16, 30)


@pytest.mark.parametrize(
    "form, said",
    [
        ({"later": "at"}, "Give a date and a time to send it at."),
        ({"later": "at", "send_at": "next tuesday"}, "Choose when to send it"),
        ({"later": "at", "send_at": "2026-12-07T11:00"}, "That time has passed"),
        ({"later": "at", "send_at": "2028-01-01T09:00"}, "at most a year from now"),
        ({"later": "someday"}, "Choose when to send it"),
    ],
)
def test_a_bad_time_keeps_the_draft_unsent_and_says_why(app, thread, browser, form, said):
    with time_machine.travel(NOON, tick=False):
        page = browser(BOB).post(f"{thread}/messages", body="Hello", **form).text
    assert said in page
    assert waiting(app) == []
    assert "Hello" not in sent_to(app, CUSTOMER)


def test_its_author_edits_and_cancels_it(app, thread, browser):
    with time_machine.travel(NOON, tick=False):
        browser(BOB).post(f"{thread}/messages", body="First draft", later="tomorrow_9")
        (text,) = waiting(app)
        page = (
            browser(BOB)
            .post(
                f"{thread}/messages/{text.id}/edit", body="Second draft", send_at="2026-12-08T10:00"
            )
            .text
        )
        assert "Text scheduled for Dec 08, 10:00." in page
        (text,) = waiting(app)
        assert (text.body, text.send_at) == ("Second draft", datetime(2026, 12, 8, 16, 0))
        page = browser(BOB).post(f"{thread}/messages/{text.id}/cancel").text
    assert "Scheduled text cancelled." in page
    assert waiting(app) == []
    assert "Cancelled by Bob Tester." in page
    with time_machine.travel(datetime(2026, 12, 8, 17, 0, tzinfo=UTC), tick=False):
        with app.app_context():
            tasks.send_scheduled()
    assert "Second draft" not in sent_to(app, CUSTOMER)


def test_the_composer_says_before_sending_that_quiet_hours_will_hold_the_text(app, thread, browser):
    evening = NOON + timedelta(days=1, hours=9)  # Tuesday 21:00, the customer silent a day
    with time_machine.travel(evening, tick=False):
        page = browser(BOB).get(thread).text
        assert "Quiet hours for the contact: a text sent now waits until Dec 09, 08:00." in page
        page = browser(BOB).post(f"{thread}/messages", body="Tomorrow at 10?").text
    assert "Quiet hours for the contact: the text leaves Dec 09, 08:00." in page
    assert "held for the contact's quiet hours" in page
    assert "Tomorrow at 10?" not in sent_to(app, CUSTOMER)


def test_no_quiet_hours_note_while_the_contact_texted_within_a_day(app, thread, browser):
    with time_machine.travel(NOON + timedelta(hours=9), tick=False):  # 21:00 the same day
        page = browser(BOB).get(thread).text
        assert "Quiet hours for the contact" not in page
        browser(BOB).post(f"{thread}/messages", body="Yes, Thursday.")
    assert sent_to(app, CUSTOMER)[-1] == "Yes, Thursday."


def test_the_thread_says_when_the_business_is_closed_and_when_it_opens(app, thread, browser):
    with app.app_context():
        account = db.session.scalar(select(Account))
        weekdays = {day: ["09:00–17:00"] for day in business_hours.WEEKDAYS[:5]}
        business_hours.save_week(account, {"timezone": "America/Chicago", **weekdays})
    with time_machine.travel(NOON, tick=False):  # Monday noon: open
        assert "Outside business hours" not in browser(BOB).get(thread).text
    with time_machine.travel(NOON + timedelta(hours=8), tick=False):  # Monday 20:00
        page = browser(BOB).get(thread).text
    assert "Outside business hours · opens Dec 08, 09:00" in page
