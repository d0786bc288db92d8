"""No text is lost around an SMS change: a text that comes while its number's change is pending
(with Twilio the webhook points here before the provider's success is recorded) waits, and is
filed once the number is active, or ignored once it is off."""

import threading

import pytest
from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import Message, TrackingNumber
from app.sms.simulator import SimulatedCarrier
from tests.support import CUSTOMER, NUM, sent_to, text_in
from tests.support.waiting import eventually

PAGE = "/admin/numbers"
NEW = "+15005550177"
BOB = "bob@acme.test"


class HeldCarrier(SimulatedCarrier):
    """The simulated carrier, answering a (de)activation only once the test lets it, and then
    refusing it when told to."""

    def __init__(self, refuse: frozenset[str]):
        super().__init__(refuse=refuse, activation_delay=0.01)  # the job waits in a thread
        self.go = threading.Event()

    def activate(self, number: str) -> None:
        assert self.go.wait(10), "the carrier was never let to answer"
        super().activate(number)

    def deactivate(self, number: str) -> None:
        assert self.go.wait(10), "the carrier was never let to answer"
        super().deactivate(number)


def sms_state(app, e164: str) -> str:
    with app.app_context():
        state = db.session.scalar(
            select(TrackingNumber.sms_state).where(TrackingNumber.number == e164)
        )
        db.session.remove()
    return state


def inbound(app, body: str) -> tuple[str, int | None]:
    """The inbound text's status and conversation."""
    with app.app_context():
        row = db.session.execute(
            select(Message.status, Message.conversation_id).where(
                Message.body == body, Message.direction == "inbound"
            )
        ).one()
        db.session.remove()
    return tuple(row)


@pytest.mark.parametrize(
    "turn, refused, filed",
    [("on", False, True), ("on", True, False), ("off", False, False), ("off", True, True)],
    ids=["on", "on-refused", "off", "off-refused"],
)
def test_a_text_that_comes_while_sms_is_being_turned_on_or_off_waits_for_the_outcome(
    app, acme, world, client, browser, api, monkeypatch, turn, refused, filed
):
    number = NUM
    if turn == "on":
        number = NEW
        world.number("Acme Plumbing", NEW, sms_users=[BOB], active=False, label="Spring ads")
    carrier = HeldCarrier(refuse=frozenset([number]) if refused else frozenset())
    monkeypatch.setitem(app.extensions, "sms", carrier)
    with app.app_context():
        number_id = db.session.scalar(
            select(TrackingNumber.id).where(TrackingNumber.number == number)
        )
    browser("admin@acme.test").post(f"{PAGE}/{number_id}/sms", sms=turn)
    assert sms_state(app, number).startswith("pending")

    assert text_in(client, CUSTOMER, number, "Is the shop open today?").status_code == 200
    assert inbound(app, "Is the shop open today?") == ("received", None)
    with app.app_context():
        tasks.file_waiting_texts()  # what the beat asks for each minute: the text still waits
    assert inbound(app, "Is the shop open today?") == ("received", None)
    assert sent_to(app, CUSTOMER) == []

    carrier.go.set()
    ends = "active" if (turn == "on") != refused else "off"
    assert eventually(lambda: sms_state(app, number) == ends)
    if filed:
        assert eventually(lambda: inbound(app, "Is the shop open today?")[1] is not None)
        (item,) = api(BOB).tab("active")
        assert item["last_message_preview"] == "Is the shop open today?"
        assert eventually(lambda: len(sent_to(app, CUSTOMER)) == 1)
        assert sent_to(app, CUSTOMER)[0].startswith("Welcome to Acme Plumbing!")
        assert eventually(lambda: sent_to(app, BOB) != [])
    else:
        assert inbound(app, "Is the shop open today?") == ("ignored", None)
        assert api(BOB).tab("active") == []
        assert sent_to(app, CUSTOMER) == []
