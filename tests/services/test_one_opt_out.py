"""One opt-out for the whole account (SPEC §2.4, the FCC's "revoke all" rule): on by default, an
opt-out on one number (a keyword, the carrier's 21610, an agent confirming a request to stop)
opts the contact out of every number of the account, each in the ledger with the same cause; an
opt-in keyword re-subscribes only its own number; with the setting off, only the one number."""

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ConsentEvent, Message, OutboxItem
from tests.support import CUSTOMER, NUM, text_in

ADMIN, BOB = "admin@acme.test", "bob@acme.test"
SIDE = "+15005550102"  # a second active number, Bob's
SPARE = "+15005550103"  # SMS off, never texted by the customer
OPT_OUT_TEXT = "Your request to unsubscribe has been processed."
OPT_IN_AGAIN_TEXT = "You have been re-subscribed"


@pytest.fixture
def lines(acme, client) -> None:
    """Acme with three numbers; the customer has an open conversation on Main and Side lines."""
    acme.number("Acme Plumbing", SIDE, sms_users=[BOB], label="Side line")
    acme.number("Acme Plumbing", SPARE, active=False, label="Spare line")
    text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    text_in(client, CUSTOMER, SIDE, "And the boiler too")


def one_opt_out(browser, on: bool) -> None:
    """The admin turns the setting on or off on the consent ledger page."""
    page = browser(ADMIN).post(
        "/admin/consent/settings", **({"opt_out_everywhere": "on"} if on else {})
    )
    assert page.status_code == 200, page.text


def ledger(browser) -> list[tuple[str, str, str, str, str]]:
    """The consent ledger as the admin downloads it: (number, state, how, by, text), oldest
    first."""
    r = browser(ADMIN).client.get("/admin/consent.csv")
    assert r.status_code == 200, r.text
    return [
        (row["tracking number"], row["state"], row["source"], row["by"], row["text"])
        for row in csv.DictReader(io.StringIO(r.text))
    ]


def states(browser) -> dict[str, str]:
    """Each number's consent now, as the ledger's latest entry for it says."""
    return {number: state for number, state, *_ in ledger(browser)}


def opted_out_rows(browser) -> list[tuple[str, str, str, str]]:
    return [
        (n, how, by, text) for n, state, how, by, text in ledger(browser) if state == "opted_out"
    ]


def conversations(api) -> dict[str, int]:
    """Bob's open conversations with the customer, by number."""
    return {c["tracking_number"]["number"]: c["id"] for c in api(BOB).tab("active")}


def events(api, conversation_id: int) -> list[tuple[str, str | None]]:
    detail = api(BOB).get(f"/conversations/{conversation_id}").json
    return [(e["type"], e["user"] and e["user"]["email"]) for e in detail["events"]]


def texted(app) -> list[tuple[str, str]]:
    """Everything the customer's phone received: (from which number, the text), in order."""
    with app.app_context():
        rows = db.session.execute(
            select(OutboxItem.sender, OutboxItem.body)
            .where(OutboxItem.recipient == CUSTOMER)
            .order_by(OutboxItem.id)
        )
        return [tuple(row) for row in rows]


def confirmations(app) -> list[str]:
    """The numbers the opt-out confirmation came from."""
    return [sender for sender, body in texted(app) if body.startswith(OPT_OUT_TEXT)]


def causes(app) -> set[int | None]:
    """The messages the ledger's opt-outs name as their cause."""
    with app.app_context():
        return set(
            db.session.scalars(
                select(ConsentEvent.message_id).where(ConsentEvent.state == "opted_out")
            )
        )


def message_id(app, body: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Message.id).where(Message.body == body))


def reply(api, conversation_id: int, body: str):
    return api(BOB).post(
        f"/conversations/{conversation_id}/messages", json={"body": body, "claim": True}
    )


def test_a_stop_to_one_number_opts_the_contact_out_of_every_number(
    app, lines, client, api, browser
):
    ids = conversations(api)
    text_in(client, CUSTOMER, NUM, "STOP")
    assert states(browser) == {NUM: "opted_out", SIDE: "opted_out", SPARE: "opted_out"}
    assert opted_out_rows(browser) == [
        (NUM, "Keyword", "", "STOP"),
        (SIDE, "Keyword", "", "STOP"),
        (SPARE, "Keyword", "", "STOP"),
    ]
    assert causes(app) == {message_id(app, "STOP")}
    assert confirmations(app) == [NUM], "the confirmation is sent once, from the number texted"
    assert ("opted_out", None) in events(api, ids[SIDE]), "the other thread says so too"
    r = reply(api, ids[SIDE], "Shall we come on Monday?")
    assert (r.status_code, r.json["error"]["code"]) == (409, "opted_out")


def test_start_re_subscribes_only_the_number_it_was_sent_to(app, lines, client, api, browser):
    ids = conversations(api)
    text_in(client, CUSTOMER, NUM, "STOP")
    text_in(client, CUSTOMER, NUM, "START")
    assert states(browser) == {NUM: "opted_in", SIDE: "opted_out", SPARE: "opted_out"}
    assert [s for s, body in texted(app) if body.startswith(OPT_IN_AGAIN_TEXT)] == [NUM]
    assert reply(api, ids[NUM], "Welcome back!").status_code == 201
    r = reply(api, ids[SIDE], "Welcome back?")
    assert (r.status_code, r.json["error"]["code"]) == (409, "opted_out")


def test_with_the_setting_off_a_stop_opts_out_only_its_number(app, lines, client, api, browser):
    one_opt_out(browser, on=False)
    ids = conversations(api)
    text_in(client, CUSTOMER, NUM, "STOP")
    assert states(browser) == {NUM: "opted_out", SIDE: "opted_in"}
    assert confirmations(app) == [NUM]
    assert "opted_out" not in [type_ for type_, _ in events(api, ids[SIDE])]
    assert reply(api, ids[SIDE], "Shall we come on Monday?").status_code == 201


def test_a_carrier_unsubscribed_error_opts_the_contact_out_of_every_number(
    app, lines, client, api, browser, monkeypatch
):
    ids = conversations(api)
    monkeypatch.setattr(app.extensions["sms"], "unsubscribed", frozenset({CUSTOMER}))
    r = reply(api, ids[NUM], "Shall we come on Monday?")
    assert r.status_code == 201
    failed = api(BOB).get(f"/conversations/{ids[NUM]}").json["messages"][-1]
    assert (failed["status"], failed["error_code"]) == ("failed", "21610")
    assert states(browser) == {NUM: "opted_out", SIDE: "opted_out", SPARE: "opted_out"}
    rows = opted_out_rows(browser)
    assert [(n, how) for n, how, _, _ in rows] == [
        (NUM, "Carrier"),
        (SIDE, "Carrier"),
        (SPARE, "Carrier"),
    ]
    assert len({text for *_, text in rows}) == 1 and "unsubscribed" in rows[0][3]
    assert causes(app) == {r.json["id"]}
    assert ("opted_out", None) in events(api, ids[SIDE])
    r = reply(api, ids[SIDE], "Or on Tuesday?")
    assert (r.status_code, r.json["error"]["code"]) == (409, "opted_out")


def test_an_agent_confirming_a_request_to_stop_opts_the_contact_out_of_every_number(
    app, lines, client, api, browser
):
    text_in(client, CUSTOMER, NUM, "please stop texting me")
    ids = conversations(api)
    page = browser(BOB).post(f"/conversations/{ids[NUM]}/opt-out").text
    assert "The contact is opted out and was told so." in page
    assert states(browser) == {NUM: "opted_out", SIDE: "opted_out", SPARE: "opted_out"}
    assert opted_out_rows(browser) == [
        (NUM, "Opted out by staff", BOB, ""),
        (SIDE, "Opted out by staff", BOB, ""),
        (SPARE, "Opted out by staff", BOB, ""),
    ]
    assert confirmations(app) == [NUM]
    assert ("opted_out", BOB) in events(api, ids[SIDE])
    r = reply(api, ids[SIDE], "Shall we come on Monday?")
    assert (r.status_code, r.json["error"]["code"]) == (409, "opted_out")


def test_a_number_already_opted_out_keeps_its_one_entry(app, lines, client, browser):
    one_opt_out(browser, on=False)
    text_in(client, CUSTOMER, SIDE, "STOP")
    one_opt_out(browser, on=True)
    text_in(client, CUSTOMER, NUM, "Stop.")
    assert opted_out_rows(browser) == [
        (SIDE, "Keyword", "", "STOP"),
        (NUM, "Keyword", "", "Stop."),
        (SPARE, "Keyword", "", "Stop."),
    ]
    assert confirmations(app) == [SIDE, NUM]


def test_a_stop_to_a_number_already_opted_out_still_stops_the_others(app, lines, client, browser):
    one_opt_out(browser, on=False)
    text_in(client, CUSTOMER, NUM, "STOP")
    one_opt_out(browser, on=True)
    text_in(client, CUSTOMER, NUM, "STOP ALL")
    assert opted_out_rows(browser) == [
        (NUM, "Keyword", "", "STOP"),
        (SIDE, "Keyword", "", "STOP ALL"),
        (SPARE, "Keyword", "", "STOP ALL"),
    ]
    assert confirmations(app) == [NUM], "the number texted had confirmed it already"
