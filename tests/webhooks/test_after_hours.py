"""The after-hours reply (SPEC §2.12): outside business hours, with the reply on, a contact's
text is answered once per closed period of its conversation, through the tracked outbound path
(an `auto` message of the thread); never a keyword, never an opted-out pair, never while off or
open. The clock is moved with time-machine; the texts come through the signed webhook."""

import functools
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Message, TrackingNumber
from app.services import business_hours, inbound
from tests.support import CUSTOMER, NUM, sent_to, text_in
from tests.support.race import at_once
from tests.support.sql import statements

CLOSED_TEXT = "Thanks for your text! Acme Plumbing is closed right now; "
# Acme is open Monday to Friday 09:00–17:00 in New York (EST in January: UTC−5).
MONDAY_EVENING = datetime(2026, 1, 12, 23, 0, tzinfo=UTC)  # 18:00
MONDAY_NIGHT = datetime(2026, 1, 13, 2, 30, tzinfo=UTC)  # 21:30
TUESDAY_MORNING = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)  # 10:00, open
TUESDAY_EVENING = datetime(2026, 1, 13, 23, 30, tzinfo=UTC)  # 18:30
WEDNESDAY_MORNING = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)  # 10:00, a closed day


def set_up(app, reply: bool = True, hours: bool = True) -> None:
    """Acme's hours (weekdays 09:00–17:00 in New York, Wednesday 14 January closed) and the
    after-hours reply on or off."""
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        if hours:
            week = {"timezone": "America/New_York"}
            week.update({day: ["09:00–17:00"] for day in business_hours.WEEKDAYS[:5]})
            business_hours.save_week(account, week)
            business_hours.add_closed_day(account, {"day": "2026-01-14", "name": "Inventory"})
        account.after_hours_reply = reply
        db.session.commit()


@pytest.fixture
def after_hours(app, acme):
    set_up(app)


def text_at(client, moment: datetime, body: str, phone: str = CUSTOMER) -> None:
    with time_machine.travel(moment, tick=False):
        assert text_in(client, phone, NUM, body).status_code == 200


def answers(app, phone: str = CUSTOMER) -> list[str | None]:
    """What the business sent the phone, by purpose, in order."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.purpose)
                .where(Message.direction == "outbound", Message.to_number == phone)
                .order_by(Message.id)
            )
        )


def test_two_texts_of_one_evening_get_one_reply_and_the_next_evening_one_more(
    app, after_hours, client, api
):
    text_at(client, MONDAY_EVENING, "Hi, my sink is leaking")
    text_at(client, MONDAY_NIGHT, "Are you there?")
    # A new contact's first text: the welcome first, then when they will hear back.
    assert answers(app) == ["opt_in", "after_hours"]
    text_at(client, TUESDAY_MORNING, "Still leaking")
    assert answers(app) == ["opt_in", "after_hours"], "open: no after-hours reply"
    text_at(client, TUESDAY_EVENING, "Hello again")
    assert answers(app) == ["opt_in", "after_hours", "after_hours"]
    (item,) = api("bob@acme.test").tab("active")
    messages = api("bob@acme.test").get(f"/conversations/{item['id']}").json["messages"]
    replies = [m for m in messages if m["body"].startswith(CLOSED_TEXT)]
    assert [(m["direction"], m["kind"], m["status"]) for m in replies] == [
        ("outbound", "auto", "delivered")
    ] * 2
    assert item["last_message_at"].startswith("2026-01-13T23:30"), "the contact's text stays last"


def test_a_closed_day_is_after_hours_and_its_period_began_the_evening_before(
    app, after_hours, client
):
    text_at(client, TUESDAY_EVENING, "Are you open tomorrow?")
    text_at(client, WEDNESDAY_MORNING, "Hello?")
    assert answers(app) == ["opt_in", "after_hours"], "Tuesday 17:00 to Thursday 09:00 is one"


def test_the_reply_is_the_accounts_text_with_the_company_filled_in(app, after_hours, client):
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        account.after_hours_text = "{company} opens at 9. Reply STOP to opt out."
        db.session.commit()
    text_at(client, MONDAY_EVENING, "Hi")
    assert sent_to(app, CUSTOMER)[-1] == "Acme Plumbing opens at 9. Reply STOP to opt out."


@pytest.mark.parametrize(
    ("keyword", "sent"),
    [
        pytest.param("HELP", ["opt_in", "help"], id="help"),
        pytest.param("stop", ["opt_in", "opt_out"], id="stop"),
        # Keywords that change nothing for a pair that never opted out: still keywords.
        pytest.param("START", ["opt_in"], id="start-while-opted-in"),
        pytest.param("Yes.", ["opt_in"], id="yes-while-opted-in"),
    ],
)
def test_a_keyword_never_gets_the_after_hours_reply(app, after_hours, client, keyword, sent):
    text_at(client, TUESDAY_MORNING, "Hi")  # during the day: the evening's keyword comes alone
    text_at(client, TUESDAY_EVENING, keyword)
    assert answers(app) == sent


def test_a_first_text_that_is_a_keyword_gets_only_its_answer(app, after_hours, client):
    text_at(client, MONDAY_EVENING, "HELP")
    text_at(client, MONDAY_EVENING, "START", phone="+15005550177")
    assert answers(app) == ["help"]
    assert answers(app, "+15005550177") == ["opt_in"], "START from a new pair: its welcome only"


def test_an_opted_out_pair_gets_no_after_hours_reply(app, after_hours, client):
    text_at(client, TUESDAY_MORNING, "Hi")
    text_at(client, TUESDAY_MORNING, "STOP")
    text_at(client, TUESDAY_EVENING, "Actually, one question")
    assert answers(app) == ["opt_in", "opt_out"]
    text_at(client, TUESDAY_EVENING, "START")
    text_at(client, TUESDAY_EVENING, "So, about that question")
    assert answers(app) == ["opt_in", "opt_out", "opt_in_again", "after_hours"]


def test_no_reply_while_it_is_off(app, acme, client):
    set_up(app, reply=False)
    text_at(client, MONDAY_EVENING, "Hi")
    assert answers(app) == ["opt_in"]


def test_no_reply_during_business_hours(app, after_hours, client):
    text_at(client, TUESDAY_MORNING, "Hi")
    text_at(client, TUESDAY_MORNING, "Anyone?")
    assert answers(app) == ["opt_in"]


def test_no_reply_while_the_hours_are_not_set(app, acme, client):
    set_up(app, hours=False)
    text_at(client, MONDAY_NIGHT, "Hi")
    assert answers(app) == ["opt_in"]


def test_while_off_the_reply_costs_a_text_no_statement_and_while_on_only_the_hours(
    app, acme, client
):
    def statements_of_a_next_text(body: str) -> list[str]:
        with time_machine.travel(TUESDAY_MORNING, tick=False), statements(app) as seen:
            assert text_in(client, CUSTOMER, NUM, body).status_code == 200
        return list(seen)

    set_up(app, reply=False)
    text_at(client, TUESDAY_MORNING, "Hi")
    off = statements_of_a_next_text("Second")
    with app.app_context():
        Account.by_name("Acme Plumbing").after_hours_reply = True
        db.session.commit()
    on = statements_of_a_next_text("Third")
    assert len(on) == len(off) + 1, (off, on)  # the grid and the closed days, in one statement


def test_texts_of_one_conversation_filed_at_once_get_one_reply(postgres, acme):
    """Ten texts of a contact stored together after hours, their filings run at the same instant:
    one after-hours reply."""
    app = postgres
    set_up(app)
    client = app.test_client()
    text_at(client, TUESDAY_MORNING, "Hi")
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        with app.app_context():
            number = TrackingNumber.by_number(NUM)
            texts = [inbound.new_text(number, CUSTOMER, f"Text {i}") for i in range(10)]
            db.session.commit()
            ids = [m.id for m in texts]
        assert at_once(app, [functools.partial(inbound.take_in, i) for i in ids]) == []
    with app.app_context():
        filed = db.session.scalar(
            select(func.count()).where(
                Message.direction == "inbound", Message.conversation_id.is_not(None)
            )
        )
        assert filed == 11
    assert answers(app) == ["opt_in", "after_hours"]
