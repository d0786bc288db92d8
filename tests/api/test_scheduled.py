"""Scheduled texts through the API (SPEC §2.12, §3): `send_at`, their edit and cancel while they
wait, and the send layer's second look when they leave."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select, update

from app import tasks
from app.extensions import db
from app.models import Account, Message, Notification
from tests.support import CUSTOMER, NUM, count, sent_to, text_in
from tests.support.race import at_once

BOB, CAT, ADMIN, EVE = "bob@acme.test", "cat@acme.test", "admin@acme.test", "eve@other.test"
ZONE_MINUS_5 = timezone(timedelta(hours=-5))


def iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def in_an_hour() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


@pytest.fixture
def claimed(conversation_id, api) -> int:
    assert api(BOB).post(f"/conversations/{conversation_id}/claim").status_code == 200
    return conversation_id


def schedule(api, conversation_id: int, at: datetime, body="Your quote is ready.", who=BOB):
    return api(who).post(
        f"/conversations/{conversation_id}/messages", json={"body": body, "send_at": iso(at)}
    )


def scheduler_runs_at(app, at: datetime) -> None:
    """The scheduler's run at `at`, as the beat or the in-process scheduler makes it."""
    with time_machine.travel(at, tick=False), app.app_context():
        tasks.send_scheduled()
        db.session.remove()


def message(api, conversation_id: int, message_id: int) -> dict:
    detail = api(ADMIN).get(f"/conversations/{conversation_id}").json
    return next(m for m in detail["messages"] if m["id"] == message_id)


def test_a_scheduled_text_waits_then_leaves_at_its_time(app, api, claimed):
    at = in_an_hour()
    r = schedule(api, claimed, at)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "scheduled"
    assert r.json["send_at"] == at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    assert r.json["held_for"] is None
    assert sent_to(app, CUSTOMER)[-1:] != ["Your quote is ready."]

    scheduler_runs_at(app, at - timedelta(seconds=1))
    assert message(api, claimed, r.json["id"])["status"] == "scheduled"
    scheduler_runs_at(app, at + timedelta(seconds=20))
    assert sent_to(app, CUSTOMER)[-1] == "Your quote is ready."
    assert message(api, claimed, r.json["id"])["status"] in ("sent", "delivered")


def test_the_time_may_be_given_in_any_offset(app, api, claimed):
    at = in_an_hour().astimezone(ZONE_MINUS_5)
    r = schedule(api, claimed, at)
    assert r.status_code == 201, r.json
    utc = at.astimezone(UTC).replace(tzinfo=None)
    assert r.json["send_at"] == utc.isoformat(timespec="seconds") + "Z"


def test_nothing_leaves_twice_when_two_schedulers_run_at_once(app, api, claimed):
    at = in_an_hour()
    ids = [schedule(api, claimed, at, body=f"Text {n}").json["id"] for n in range(5)]
    with time_machine.travel(at + timedelta(seconds=5), tick=False):
        errors = at_once(app, [tasks.send_scheduled] * 4)
    assert errors == []
    sent = [body for body in sent_to(app, CUSTOMER) if body.startswith("Text ")]
    assert sorted(sent) == [f"Text {n}" for n in range(5)]
    assert {message(api, claimed, i)["status"] for i in ids} <= {"sent", "delivered"}


def test_its_author_edits_it_while_it_waits(app, api, claimed):
    first = schedule(api, claimed, in_an_hour()).json
    later = in_an_hour() + timedelta(hours=2)
    path = f"/conversations/{claimed}/messages/{first['id']}"
    r = api(BOB)("PATCH", path, json={"body": "The quote, corrected.", "send_at": iso(later)})
    assert r.status_code == 200, r.json
    assert r.json["body"] == "The quote, corrected."
    assert r.json["send_at"] == later.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    scheduler_runs_at(app, in_an_hour() + timedelta(minutes=1))
    assert "The quote, corrected." not in sent_to(app, CUSTOMER)
    scheduler_runs_at(app, later + timedelta(seconds=1))
    assert sent_to(app, CUSTOMER)[-1] == "The quote, corrected."


def test_a_cancelled_text_stays_in_the_thread_and_never_leaves(app, api, claimed):
    at = in_an_hour()
    first = schedule(api, claimed, at).json
    r = api(BOB)("DELETE", f"/conversations/{claimed}/messages/{first['id']}")
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["error_message"]) == ("cancelled", "Cancelled by Bob Tester.")
    scheduler_runs_at(app, at + timedelta(minutes=1))
    assert "Your quote is ready." not in sent_to(app, CUSTOMER)
    assert message(api, claimed, first["id"])["status"] == "cancelled"


def test_a_text_that_has_left_is_409_already_sent(app, api, claimed):
    at = in_an_hour()
    first = schedule(api, claimed, at).json
    scheduler_runs_at(app, at + timedelta(seconds=1))
    path = f"/conversations/{claimed}/messages/{first['id']}"
    for method, payload in (("PATCH", {"body": "Too late"}), ("DELETE", None)):
        r = api(BOB)(method, path, json=payload)
        assert r.status_code == 409, method
        assert r.json["error"]["code"] == "already_sent"
    assert message(api, claimed, first["id"])["body"] == "Your quote is ready."


def test_only_its_author_or_an_admin_changes_it(app, api, claimed):
    first = schedule(api, claimed, in_an_hour()).json
    path = f"/conversations/{claimed}/messages/{first['id']}"
    r = api(CAT)("PATCH", path, json={"body": "Mine now"})
    assert (r.status_code, r.json["error"]["code"]) == (403, "forbidden")
    assert api(EVE)("DELETE", path).status_code == 404  # another account's: not there at all
    assert api(ADMIN)("DELETE", path).json["error_message"] == "Cancelled by Ada Tester."


@pytest.mark.parametrize(
    "when, why",
    [
        ("release", "Claim the conversation before replying."),
        ("stop", "The contact has opted out of texts from this number."),
        ("close", "The conversation is closed."),
    ],
)
def test_one_that_can_no_longer_go_ends_cancelled_with_the_reason(
    app, api, client, claimed, when, why
):
    at = in_an_hour()
    first = schedule(api, claimed, at).json
    if when == "stop":
        text_in(client, CUSTOMER, NUM, "STOP")
    else:
        assert api(BOB).post(f"/conversations/{claimed}/{when}").status_code == 200
    scheduler_runs_at(app, at + timedelta(seconds=1))
    found = message(api, claimed, first["id"])
    assert (found["status"], found["error_message"]) == ("cancelled", f"Not sent: {why}")
    assert "Your quote is ready." not in sent_to(app, CUSTOMER)


def test_a_participant_who_was_removed_no_longer_sends_it(app, api, world, claimed):
    cat_id = next(u["id"] for u in api(BOB).get("/users").json["items"] if u["email"] == CAT)
    api(BOB).post(f"/conversations/{claimed}/participants", json={"user_id": cat_id})
    at = in_an_hour()
    first = schedule(api, claimed, at, who=CAT).json
    assert first["status"] == "scheduled"
    api(BOB)("DELETE", f"/conversations/{claimed}/participants/{cat_id}")
    scheduler_runs_at(app, at + timedelta(seconds=1))
    found = message(api, claimed, first["id"])
    assert found["status"] == "cancelled"
    assert found["error_message"] == "Not sent: Only Bob Tester and participants can reply."


def later(**kw) -> str:
    return iso(datetime.now(UTC) + timedelta(**kw))


BAD_SEND_AT = [
    pytest.param(later(minutes=-1), id="in-the-past"),
    pytest.param(later(days=366), id="over-a-year-ahead"),
    pytest.param("2027-01-05T09:00:00", id="without-an-offset"),
    pytest.param("tomorrow at nine", id="not-a-time"),
    pytest.param("9999-12-31T23:59:59-14:00", id="beyond-year-9999-in-utc"),
    pytest.param(1767225600, id="a-number"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("send_at", BAD_SEND_AT)
def test_a_bad_send_at_is_422_naming_it_with_nothing_written(app, api, claimed, send_at):
    before = count(app, Message)
    r = api(BOB).post(
        f"/conversations/{claimed}/messages", json={"body": "Hello", "send_at": send_at}
    )
    assert r.status_code == 422, r.json
    assert "send_at" in r.json["error"]["fields"]
    assert count(app, Message) == before


@pytest.mark.parametrize("send_at", BAD_SEND_AT)
def test_a_bad_new_time_is_422_and_the_text_is_unchanged(app, api, claimed, send_at):
    first = schedule(api, claimed, in_an_hour()).json
    path = f"/conversations/{claimed}/messages/{first['id']}"
    r = api(BOB)("PATCH", path, json={"send_at": send_at})
    assert r.status_code == 422, r.json
    assert "send_at" in r.json["error"]["fields"]
    assert message(api, claimed, first["id"])["send_at"] == first["send_at"]


def test_scheduling_in_a_closed_conversation_is_409_closed(app, api, claimed):
    api(BOB).post(f"/conversations/{claimed}/close")
    r = schedule(api, claimed, in_an_hour())
    assert (r.status_code, r.json["error"]["code"]) == (409, "closed")


def test_an_edit_with_unknown_fields_or_an_empty_body_is_422(app, api, claimed):
    first = schedule(api, claimed, in_an_hour()).json
    path = f"/conversations/{claimed}/messages/{first['id']}"
    assert api(BOB)("PATCH", path, json={"claim": True}).status_code == 422
    r = api(BOB)("PATCH", path, json={"body": "  "})
    assert (r.status_code, list(r.json["error"]["fields"])) == (422, ["body"])


def test_a_text_of_another_conversation_is_404(app, api, client, claimed):
    first = schedule(api, claimed, in_an_hour()).json
    text_in(client, "+15550100999", NUM, "Another customer")
    other = max(api(BOB).tab_ids("active"))
    r = api(BOB)("DELETE", f"/conversations/{other}/messages/{first['id']}")
    assert r.status_code == 404


# Quiet hours (SPEC §2.12): the account's zone decides for the tests' 555 numbers, which map to
# no zone of their own.


def set_zone(app, zone: str) -> None:
    with app.app_context():
        db.session.execute(update(Account).values(timezone=zone))
        db.session.commit()


def last_outbound(app) -> Message:
    with app.app_context():
        found = db.session.scalars(
            select(Message).where(Message.direction == "outbound").order_by(Message.id.desc())
        ).first()
        db.session.expunge_all()
        return found


def test_a_reply_to_a_contact_silent_for_a_day_waits_for_8_in_their_zone(app, api, client, acme):
    set_zone(app, "America/Chicago")
    night = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)  # 22:00 CST on 7 December
    with time_machine.travel(night - timedelta(hours=25), tick=False):
        text_in(client, CUSTOMER, NUM, "Do you fix boilers?")
        (item,) = api(BOB).tab("active")
        api(BOB).post(f"/conversations/{item['id']}/claim")
    with time_machine.travel(night, tick=False):
        r = api(BOB).post(f"/conversations/{item['id']}/messages", json={"body": "Still there?"})
    assert r.status_code == 201, r.json
    assert (r.json["status"], r.json["held_for"]) == ("scheduled", "quiet_hours")
    assert r.json["send_at"] == "2026-12-08T14:00:00Z"  # 8:00 CST
    scheduler_runs_at(app, datetime(2026, 12, 8, 13, 59, 59, tzinfo=UTC))
    assert "Still there?" not in sent_to(app, CUSTOMER)
    scheduler_runs_at(app, datetime(2026, 12, 8, 14, 0, 5, tzinfo=UTC))
    assert sent_to(app, CUSTOMER)[-1] == "Still there?"


def test_a_reply_to_a_contact_who_texted_within_a_day_goes_at_once_at_night(app, api, client, acme):
    set_zone(app, "America/Chicago")
    night = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)  # 22:00 CST
    with time_machine.travel(night - timedelta(hours=23), tick=False):
        text_in(client, CUSTOMER, NUM, "Are you open tomorrow?")
        (item,) = api(BOB).tab("active")
        api(BOB).post(f"/conversations/{item['id']}/claim")
    with time_machine.travel(night, tick=False):
        r = api(BOB).post(f"/conversations/{item['id']}/messages", json={"body": "Yes, from 8."})
    assert r.json["status"] != "scheduled"
    assert sent_to(app, CUSTOMER)[-1] == "Yes, from 8."


def test_a_text_scheduled_into_quiet_hours_is_held_until_the_window_opens(app, api, claimed):
    set_zone(app, "America/New_York")
    with time_machine.travel(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), tick=False):
        r = schedule(api, claimed, datetime(2026, 12, 8, 2, 30, tzinfo=UTC))  # 21:30 EST
    assert (r.json["status"], r.json["held_for"]) == ("scheduled", "quiet_hours")
    assert r.json["send_at"] == "2026-12-08T13:00:00Z"  # 8:00 EST


def test_a_start_to_a_hawaii_number_at_22_there_is_held_until_8_there(app, api, acme):
    hawaii = "+18085550123"
    night = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # 22:00 HST on 7 December
    with time_machine.travel(night, tick=False):
        r = api(BOB).post(
            "/conversations", json={"from": NUM, "to": hawaii, "body": "Hi!", "consent": True}
        )
    assert r.status_code == 201, r.json
    detail = api(BOB).get(f"/conversations/{r.json['id']}").json
    (text,) = detail["messages"]
    assert (text["status"], text["held_for"]) == ("scheduled", "quiet_hours")
    assert text["send_at"] == "2026-12-08T18:00:00Z"  # 8:00 HST
    assert sent_to(app, hawaii) == []


def test_teammates_hear_of_a_scheduled_text_when_it_leaves_not_before(app, api, claimed):
    cat_id = next(u["id"] for u in api(BOB).get("/users").json["items"] if u["email"] == CAT)
    api(BOB).post(f"/conversations/{claimed}/participants", json={"user_id": cat_id})

    def told_cat() -> int:
        return count(app, Notification, Notification.user_id == cat_id)

    before = told_cat()
    later = datetime.now(UTC) + timedelta(minutes=10)  # past the 5 minutes' pacing of §2.5
    with time_machine.travel(later, tick=False):
        schedule(api, claimed, later + timedelta(hours=1))
    assert told_cat() == before
    scheduler_runs_at(app, later + timedelta(hours=1, seconds=1))
    assert told_cat() == before + 1
