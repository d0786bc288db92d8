"""Consent per (contact, tracking number), its ledger, and the keywords of SPEC §2.4.

Keyword matching follows carrier practice and the FCC's 2025 revocation rule: the whole message,
trimmed, case-insensitive, trailing punctuation ignored. Longer texts that ask to stop are not acted
on silently: they raise a "possible opt-out request" for an agent to confirm. Under the account's
one opt-out (the FCC's "revoke all" rule) an opt-out on one number is one on every number of the
account, whichever way it came; an opt-in keyword answers only its own number.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Integer, bindparam, literal, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.inputs import Checkbox, Form, load
from app.models import (
    Account,
    Consent,
    ConsentEvent,
    Contact,
    Conversation,
    Message,
    TrackingNumber,
    User,
)
from app.models.base import upsert_insert
from app.models.contact import CONSENT_SOURCES, ConsentSource, ConsentState
from app.models.conversation import ConversationStatus, Direction, EventType, Purpose
from app.services import events


class Keyword(StrEnum):
    """What a keyword text asks for (SPEC §2.4)."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


OPT_OUT_KEYWORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "STOP ALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "OPT OUT",
        "REVOKE",
    }
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
# Twilio's Advanced Opt-Out names what it matched in OptOutType.
OPT_OUT_TYPES = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}

# Requests to stop written as sentences, matched on the text with its spaces collapsed and curly
# apostrophes made straight. Each must match a request, not a mention or its negation: "don't stop
# texting me", "stop by tomorrow?" and "can you stop the leak" are not requests to stop texting.
_NEGATED = r"(?<!don't )(?<!dont )(?<!not )(?<!never )"
POSSIBLE_OPT_OUT = [
    re.compile(p, re.IGNORECASE)
    for p in (
        _NEGATED + r"\b(stop|quit)\s+(texting|messaging|sending|contacting|txting|spamming)\b",
        r"\b(don'?t|do\s+not|never)\s+(text|message|txt|contact|sms)\s+me\b",
        r"\bremove\s+(me|my\s+(number|phone))\b",
        r"\btake\s+me\s+off\b",
        r"\bunsubscribe\b",
        r"\bcancel\s+(my|the|this)\s+(subscription|texts|messages|sms)\b",
        r"\bopt[\s-]*(me\s+)?out\b",
        r"\bno\s+more\s+(texts|messages|txts|sms)\b",
        r"\bleave\s+me\s+alone\b",
        r"^\W*((please|pls|plz)\W+)?stop\W*(it|now|please|pls|all|this|these|that)?\W*"
        r"(please|pls|now)?\W*$",
    )
]


def keyword(body: str) -> Keyword | None:
    """The keyword when the whole text is one of the keywords, else None."""
    text = " ".join((body or "").split()).upper()
    while text and (unicodedata.category(text[-1]).startswith("P") or text[-1].isspace()):
        text = text[:-1]
    if text in OPT_OUT_KEYWORDS:
        return Keyword.OPT_OUT
    if text in OPT_IN_KEYWORDS:
        return Keyword.OPT_IN
    if text in HELP_KEYWORDS:
        return Keyword.HELP
    return None


def possible_opt_out(body: str) -> bool:
    """Whether a text that is not a keyword still reads as a request to stop."""
    if keyword(body) is not None:
        return False
    text = " ".join((body or "").replace("\u2019", "'").split())
    return any(p.search(text) for p in POSSIBLE_OPT_OUT)


def pair(contact: Contact, number: TrackingNumber) -> Consent | None:
    """The consent row of a pair, or None when they have never met."""
    return db.session.scalar(
        select(Consent).where(
            Consent.contact_id == contact.id, Consent.tracking_number_id == number.id
        )
    )


def is_opted_out(contact_id: int, number_id: int) -> bool:
    """Whether the contact has opted out of texts from that number."""
    state = db.session.scalar(
        select(Consent.state).where(
            Consent.contact_id == contact_id, Consent.tracking_number_id == number_id
        )
    )
    return state == ConsentState.OPTED_OUT


def _change(
    consent: Consent,
    state: str,
    source: str,
    body: str | None = None,
    message: Message | None = None,
    user: User | None = None,
) -> None:
    """Move the pair to a state, with its ledger entry."""
    consent.state = state
    db.session.add(
        ConsentEvent(
            consent=consent,
            state=state,
            source=source,
            body=body,
            message=message,
            user_id=user.id if user else None,
        )
    )


def _opt_out(
    consent: Consent,
    contact_id: int,
    number: TrackingNumber,
    source: str,
    body: str | None = None,
    message: Message | None = None,
    user: User | None = None,
) -> bool:
    """Opt a pair out, with its ledger entry; False when it had opted out already. The caller
    records the event of the pair's own thread and sends the confirmation, from that number only.

    Under the account's one opt-out (SPEC §2.4, the FCC's "revoke all" rule) the contact is opted
    out of every other number of the account too, whatever its SMS state: each pair with its own
    ledger entry of the same source and cause, and an `opted_out` event on its open conversation.
    A pair already opted out is left as it is.
    """
    changed = not consent.opted_out
    if changed:
        _change(consent, ConsentState.OPTED_OUT, source, body, message, user)
    if number.account.opt_out_everywhere:
        others = [c for c in _elsewhere(contact_id, number) if not c.opted_out]
        for other in others:
            _change(other, ConsentState.OPTED_OUT, source, body, message, user)
        for conversation in _open_conversations(contact_id, [c.tracking_number_id for c in others]):
            events.record(conversation, EventType.OPTED_OUT, user)
    return changed


def _elsewhere(contact_id: int, number: TrackingNumber) -> list[Consent]:
    """The contact's consent with every other number of the account; a number they never met
    gets its row first (opted in, as every pair starts). The insert does nothing on the pair's
    unique key: a text to that number may be filed at the same moment."""
    insert = upsert_insert()
    others = TrackingNumber.account_id == number.account_id, TrackingNumber.id != number.id
    db.session.execute(
        insert(Consent)
        .from_select(
            ["contact_id", "tracking_number_id", "state"],
            select(literal(contact_id), TrackingNumber.id, literal(ConsentState.OPTED_IN)).where(
                *others
            ),
        )
        .on_conflict_do_nothing(index_elements=["contact_id", "tracking_number_id"])
    )
    return db.session.scalars(
        select(Consent)
        .join(TrackingNumber, Consent.tracking_number_id == TrackingNumber.id)
        .where(Consent.contact_id == contact_id, *others)
        .order_by(Consent.id)
    ).all()


def _open_conversations(contact_id: int, number_ids: list[int]) -> list[Conversation]:
    """The contact's open conversations with those numbers."""
    if not number_ids:
        return []
    return db.session.scalars(
        select(Conversation).where(
            Conversation.contact_id == contact_id,
            Conversation.tracking_number_id.in_(number_ids),
            Conversation.status == ConversationStatus.OPEN,
        )
    ).all()


@dataclass
class Outcome:
    """What an inbound text meant: the keyword acted on (None for an ordinary text), the
    thread event it causes, and the auto-replies to send."""

    keyword: str | None = None
    event: str | None = None
    replies: list[str] = field(default_factory=list)


def on_inbound(
    contact: Contact,
    number: TrackingNumber,
    message: Message,
    provider_answers_keywords: bool = False,
    opt_out_type: str | None = None,
) -> Outcome:
    """Record what an inbound text means for consent and say which auto-replies it calls for.

    The first text ever from a contact to a number opts them in and gets the opt-in message,
    unless it is a keyword: then only that keyword's answer goes back. With the provider
    answering keywords itself (Twilio's Advanced Opt-Out) the change is recorded, no reply sent.
    """
    body = message.body
    kind = OPT_OUT_TYPES.get((opt_out_type or "").upper()) or keyword(body)
    consent = pair(contact, number)
    first = consent is None
    if first:
        consent = Consent(
            contact=contact, tracking_number_id=number.id, state=ConsentState.OPTED_IN
        )
        db.session.add(consent)
    if kind == Keyword.OPT_OUT:
        if not _opt_out(consent, contact.id, number, ConsentSource.KEYWORD, body, message):
            return Outcome(keyword=kind)  # the confirmation went out once already
        outcome = Outcome(keyword=kind, event=EventType.OPTED_OUT, replies=[Purpose.OPT_OUT])
    elif kind == Keyword.OPT_IN and consent.opted_out:
        _change(consent, ConsentState.OPTED_IN, ConsentSource.KEYWORD, body, message)
        outcome = Outcome(keyword=kind, event=EventType.OPTED_IN, replies=[Purpose.OPT_IN_AGAIN])
    elif kind == Keyword.HELP:
        if first:
            _change(consent, ConsentState.OPTED_IN, ConsentSource.FIRST_TEXT, body, message)
        if consent.opted_out:
            return Outcome(keyword=kind)  # nothing is sent to an opted-out contact
        outcome = Outcome(keyword=kind, replies=[Purpose.HELP])
    elif first:
        # An ordinary first text; so is a "yes" or "START" from a pair that never opted out,
        # though a provider answering keywords has answered that one itself.
        _change(consent, ConsentState.OPTED_IN, ConsentSource.FIRST_TEXT, body, message)
        outcome = Outcome(replies=[Purpose.OPT_IN])
        if kind is None:
            return outcome
    else:
        return Outcome()  # an ordinary text ("yes" answering an agent's question)
    if provider_answers_keywords:
        outcome.replies = []
    return outcome


def opt_out(conversation: Conversation, user: User, body: str | None = None) -> bool:
    """An agent or admin opts the contact out (a "possible opt-out request" confirmed), of every
    number under the account's one opt-out; the contact gets the opt-out confirmation, from this
    number. False when the pair had already opted out."""
    consent = of_conversation(conversation)
    if consent is None:
        consent = Consent(
            contact_id=conversation.contact_id,
            tracking_number_id=conversation.tracking_number_id,
            state=ConsentState.OPTED_IN,
        )
        db.session.add(consent)
    if consent.opted_out:
        return False  # the banner is gone once the pair has opted out
    number = conversation.tracking_number
    _opt_out(consent, conversation.contact_id, number, ConsentSource.ADMIN, body, user=user)
    events.record(conversation, EventType.OPTED_OUT, user)
    return True


def provider_opt_out(message: Message, reason: str) -> None:
    """The carrier said the recipient has unsubscribed: the pair is opted out (every number of
    the account under its one opt-out)."""
    conversation = message.conversation
    consent = of_conversation(conversation)
    if consent is not None and _opt_out(
        consent,
        conversation.contact_id,
        conversation.tracking_number,
        ConsentSource.PROVIDER,
        reason,
        message,
    ):
        events.record(conversation, EventType.OPTED_OUT, None)


# A pair's consent row, built once: each run binds the pair.
OF_PAIR = select(Consent).where(
    Consent.contact_id == bindparam("contact_id", type_=Integer),
    Consent.tracking_number_id == bindparam("tracking_number_id", type_=Integer),
)
WITH_LEDGER = OF_PAIR.options(joinedload(Consent.events))


def of_conversation(conversation: Conversation, ledger: bool = False) -> Consent | None:
    """The consent row of a conversation's pair (its `events` are the pair's ledger); with
    `ledger`, read with its events, in the same query (the thread shows them)."""
    pair = {
        "contact_id": conversation.contact_id,
        "tracking_number_id": conversation.tracking_number_id,
    }
    found = db.session.execute(WITH_LEDGER if ledger else OF_PAIR, pair)
    return found.unique().scalar_one_or_none()


def opt_out_request(consent: Consent | None, messages: list[Message]) -> Message | None:
    """The latest inbound text that reads as a request to stop, made since consent last changed
    (the text that changed it included: a first text may ask to stop), while the pair is still
    opted in: an agent should confirm it with one click."""
    if consent is None or consent.opted_out:
        return None
    last = consent.events[-1] if consent.events else None
    for message in reversed(messages):
        if message.direction == Direction.INBOUND and possible_opt_out(message.body):
            return message if last is None or _since(message, last) else None
    return None


def _since(message: Message, change: ConsentEvent) -> bool:
    """Whether a text is the one that changed consent or came after it. By the text, not the
    clock: a text is filed, and its consent recorded, a moment after it came."""
    if change.message_id is not None:
        return message.id >= change.message_id
    return message.created_at >= change.created_at


def ledger(
    account_id: int,
    number_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    before: int | None = None,
    limit: int | None = None,
):
    """The account's consent events with their pair: oldest first (the CSV export), or, with
    `limit`, a page of the newest before the event id `before` (the ledger page).

    `start` and `end` are dates (inclusive), in UTC.
    """
    query = (
        select(ConsentEvent, Contact, TrackingNumber)
        .join(Consent, ConsentEvent.consent_id == Consent.id)
        .join(Contact, Consent.contact_id == Contact.id)
        .join(TrackingNumber, Consent.tracking_number_id == TrackingNumber.id)
        .where(TrackingNumber.account_id == account_id)
        .options(selectinload(ConsentEvent.user))
    )
    if limit is None:
        query = query.order_by(ConsentEvent.id)
    else:
        query = query.order_by(ConsentEvent.id.desc()).limit(limit)
    if before is not None:
        query = query.where(ConsentEvent.id < before)
    if number_id is not None:
        query = query.where(TrackingNumber.id == number_id)
    if start is not None:
        query = query.where(ConsentEvent.created_at >= datetime.combine(start, time.min))
    if end is not None:
        query = query.where(
            ConsentEvent.created_at < datetime.combine(end + timedelta(days=1), time.min)
        )
    return db.session.execute(query).all()


def ledger_rows(
    account_id: int,
    number_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[list]:
    """The consent ledger as the CSV download's rows, header first: one line per event."""
    header = ["time (UTC)", "contact", "tracking number", "label", "state", "source", "by", "text"]
    lines = [
        [
            event.created_at.isoformat(sep=" ", timespec="seconds"),
            contact.phone,
            number.number,
            number.label,
            event.state,
            CONSENT_SOURCES.get(event.source, event.source),
            event.user.email if event.user else "",
            event.body or "",
        ]
        for event, contact, number in ledger(account_id, number_id, start, end)
    ]
    return [header, *lines]


class SettingsSchema(Form):
    """The account's consent settings as the ledger page posts them."""

    opt_out_everywhere = Checkbox()


def save_settings(account: Account, data: Mapping) -> None:
    """Turn the account's one opt-out (SPEC §2.4) on or off. It rules the opt-outs to come:
    consents already given or withdrawn stay as they are."""
    values = load(SettingsSchema(), data, "The setting was not saved.")
    account.opt_out_everywhere = values["opt_out_everywhere"]
    db.session.commit()


def from_widget(contact: Contact, number: TrackingNumber, message: Message, evidence: str) -> str:
    """A website visitor ticked the consent box: record it (the ledger keeps the exact consent
    text, page, IP and browser) and say which text answers them.

    A new pair, or one that had opted out (ticking the box is their consent again, which the
    thread shows as START's would be), gets the opt-in message; a pair already opted in gets a
    short confirmation.
    """
    consent = pair(contact, number)
    answer = Purpose.CONFIRMATION
    if consent is None:
        consent = Consent(
            contact=contact, tracking_number_id=number.id, state=ConsentState.OPTED_IN
        )
        db.session.add(consent)
        answer = Purpose.OPT_IN
    elif consent.opted_out:
        answer = Purpose.OPT_IN
        events.record(message.conversation, EventType.OPTED_IN, None)
    _change(consent, ConsentState.OPTED_IN, ConsentSource.WIDGET, evidence, message)
    return answer


def from_agent(contact: Contact, number: TrackingNumber, user: User, message: Message) -> Consent:
    """An agent starts texting a contact who never met the number, having ticked that the person
    asked to be texted: the pair is opted in, the ledger naming the agent and keeping the first
    text as it was sent (its opt-out line included)."""
    consent = Consent(contact=contact, tracking_number_id=number.id, state=ConsentState.OPTED_IN)
    db.session.add(consent)
    _change(consent, ConsentState.OPTED_IN, ConsentSource.AGENT, message.body, message, user)
    return consent
