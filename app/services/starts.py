"""Start a conversation (SPEC §2.3): a user texts a mobile number from an active number they see.

It opens (or continues) that pair's conversation, claimed by the sender. Never to an opted-out
pair; a pair with no consent needs the sender's word that the person asked to be texted (kept in
the ledger), and its first text ends with the account's opt-out line.
"""

from typing import NamedTuple

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import phones
from app.extensions import db
from app.inputs import Form, Text, check, length_of
from app.models import Consent, Contact, Conversation, TrackingNumber, User
from app.models.conversation import ConversationSource, ConversationStatus
from app.models.number import SmsState
from app.services import claims, consent, inbound, outbound
from app.services.errors import AlreadyClaimed, Conflict, Invalid, OptedOut

# A phone as people type it, spaces, brackets and dashes included; stored, it is E.164.
TYPED_PHONE = 64
# Two starts to one new contact at once: the later finds what the first made, once it retries.
TRIES = 3
NO_CONSENT = "Tick that this person asked you to text them."


class StartSchema(Form):
    """Who texts whom: the number to text from (E.164) and the phone to text."""

    from_number = Text(
        data_key="from",
        max_length=length_of(TrackingNumber.number),
        blank="Choose the number to text from.",
    )
    to = Text(max_length=TYPED_PHONE, blank="Enter the mobile number to text.")


def numbers(user: User) -> list[TrackingNumber]:
    """The numbers the user may start a conversation from: active ones they can see, oldest
    first (an account's first number is usually its main one)."""
    return list(
        db.session.scalars(
            TrackingNumber.visible_to(user)
            .where(
                TrackingNumber.sms_state == SmsState.ACTIVE,
                TrackingNumber.archived_at.is_(None),
            )
            .order_by(TrackingNumber.id)
        )
    )


def _number(user: User, value: str) -> TrackingNumber | None:
    """The number of that E.164 among those the user can see, or None."""
    try:
        value = phones.normalize(value)
    except ValueError:
        return None
    return db.session.scalar(
        TrackingNumber.visible_to(user).where(
            TrackingNumber.number == value, TrackingNumber.archived_at.is_(None)
        )
    )


class Checked(NamedTuple):
    """A start that passed the checks of its fields: what it needs to go ahead."""

    number: TrackingNumber
    phone: str  # E.164
    body: str
    contact: Contact | None  # the account's contact of the phone, when there is one
    pair: Consent | None  # its consent on the number, when they have met


def _check(user: User, from_number, to, body) -> Checked:
    """The start's fields checked; Invalid naming every field at fault. Nothing is written."""
    values, errors = check(StartSchema(), {"from": from_number, "to": to})
    number = phone = None
    if "from" not in errors:
        number = _number(user, values["from_number"])
        if number is None:
            errors["from"] = ["Not one of the numbers you can text from."]
        elif number.sms_state != SmsState.ACTIVE:
            errors["from"] = [f"SMS is not on for {number.label}: choose another number."]
    if "to" not in errors:
        simulated = current_app.config["SMS_PROVIDER"] == "simulator"
        try:
            phone = phones.textable(values["to"], fictional=simulated)
        except ValueError as e:
            errors["to"] = [f"{e} Enter a mobile number, e.g. (555) 010-0123."]
    try:
        body = outbound.check_body(body)
    except Invalid as e:
        errors.update(e.fields)
    if errors:
        raise Invalid("The text was not sent.", errors)
    contact = db.session.scalar(
        select(Contact).where(Contact.account_id == number.account_id, Contact.phone == phone)
    )
    pair = consent.pair(contact, number) if contact is not None else None
    if pair is None:
        sent = outbound.with_opt_out_line(number.account, body)
        if len(sent) > outbound.MAX_BODY:
            room = outbound.MAX_BODY - (len(sent) - len(body))
            message = (
                f"At most {room:,} characters in a first text: the opt-out line follows it "
                f"({len(body):,} given)."
            )
            raise Invalid("The text was not sent.", {"body": [message]})
    return Checked(number, phone, body, contact, pair)


def start(user: User, from_number, to, body, consent_given: bool = False) -> Conversation:
    """Text `to` from the number `from_number`: the pair's open conversation (opened when there
    is none), claimed by the sender unless they handle it already, with the text queued.

    Refused with nothing written or sent: Invalid naming `from`, `to` or `body`; OptedOut for a
    pair that opted out; Invalid naming `consent` for a pair with no consent when the sender has
    not said the person asked to be texted; AlreadyClaimed when someone else has the
    conversation. A pair with no consent is opted in (source `agent`, the sender named) and its
    first text ends with the opt-out line.
    """
    for _ in range(TRIES):
        try:
            return _start(user, _check(user, from_number, to, body), consent_given)
        except IntegrityError:
            # Someone opened the contact, its consent or its conversation a moment before:
            # again, from what they made.
            db.session.rollback()
    raise Conflict("Someone texted this person at the same moment. Look in the inbox.")


def _start(user: User, checked: Checked, consent_given: bool) -> Conversation:
    number, phone, body, known, pair = checked
    if pair is not None and pair.opted_out:
        raise OptedOut("This person has opted out of texts from this number.")
    if pair is None and consent_given is not True:
        raise Invalid(NO_CONSENT, {"consent": [NO_CONSENT]})
    if known is not None:
        _refuse_someone_elses(number, known, user)
    contact = inbound.contact_for(number, phone)
    conversation = inbound.conversation_for(
        number, contact, ConversationSource.SMS, keyword_only=False
    )
    if conversation.claimed_by_id is None and not claims.try_claim(conversation, user):
        db.session.rollback()
        db.session.refresh(conversation)
        raise AlreadyClaimed(claims.claimed_message(conversation))
    message = outbound.initiate(conversation, body, user, opt_out_line=pair is None)
    if pair is None:
        consent.from_agent(contact, number, user, message)
    db.session.commit()
    return conversation


def _refuse_someone_elses(number: TrackingNumber, contact: Contact, user: User) -> None:
    """AlreadyClaimed when the pair's open conversation is claimed by someone else and the user
    does not handle it. The conversation is locked until the commit, so a close or a claim
    committed meanwhile is seen, and one that comes later waits."""
    conversation = db.session.scalar(
        select(Conversation)
        .where(
            Conversation.tracking_number_id == number.id,
            Conversation.contact_id == contact.id,
            Conversation.status == ConversationStatus.OPEN,
        )
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )
    if (
        conversation is not None
        and conversation.claimed_by_id is not None
        and not conversation.handled_by(user)
    ):
        raise AlreadyClaimed(claims.claimed_message(conversation))
