"""Contacts (SPEC §2.9): a name and notes that anyone who can see one of the contact's
conversations may change, and the contact page: those conversations across every number, and the
contact's consent on the numbers they belong to. Everything starts from `Conversation.visible_to`,
so a contact the user cannot see is not found."""

from dataclasses import dataclass
from datetime import datetime

from marshmallow import ValidationError, validates_schema
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.inputs import Strict, Text, length_of, load
from app.models import Consent, Contact, Conversation, Participant, TrackingNumber, User
from app.models.base import utcnow
from app.models.contact import ConsentEvent, ConsentState
from app.models.conversation import Tab
from app.services import inbox
from app.services.errors import NotFound

NOTES_MAX = 2000  # a page of what the team knows of a customer; notes are a Text column
SHOWN = 100  # the contact page lists the newest conversations, this many at most
LIMITS = {"name": length_of(Contact.name), "notes": NOTES_MAX}  # for the forms' maxlength


class NameAndNotes(Strict):
    """A change of a contact's name and notes: each optional, at least one of them. An empty
    name (or null) clears the name, empty notes clear the notes."""

    name = Text(max_length=length_of(Contact.name), min_length=0, allow_none=True)
    notes = Text(max_length=NOTES_MAX, min_length=0, single_line=False, allow_none=True)

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data:
            raise ValidationError("Send the name, the notes, or both.")


@dataclass
class NumberConsent:
    """The contact's consent on one tracking number, and the ledger's latest entry for it."""

    tracking_number: TrackingNumber
    state: str
    updated_at: datetime
    last: ConsentEvent | None

    @property
    def opted_out(self) -> bool:
        return self.state == ConsentState.OPTED_OUT


@dataclass
class ContactPage:
    """What the contact page (and the API's contact) shows one user."""

    contact: Contact
    conversations: list[Conversation]  # newest first, at most SHOWN
    more: bool  # older conversations exist beyond SHOWN
    consents: list[NumberConsent]  # by number label


def get(user: User, contact_id) -> Contact:
    """A contact of the user's account with a conversation the user may see, or NotFound
    (never Forbidden: no existence leak)."""
    if not isinstance(contact_id, int):
        raise NotFound("No such contact.")
    seen = Conversation.visible_to(user).where(Conversation.contact_id == Contact.id).exists()
    contact = db.session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.account_id == user.account_id, seen)
    )
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def change(contact: Contact, data) -> Contact:
    """Change the name and/or notes (checked by NameAndNotes); every list and thread showing
    the contact is redrawn by an open portal."""
    values = load(NameAndNotes(), data)
    changed = False
    for field, value in values.items():
        value = value or None
        if getattr(contact, field) != value:
            setattr(contact, field, value)
            changed = True
    if changed:
        # Live updates ask for conversations changed since: the contact's all show the name.
        db.session.execute(
            update(Conversation)
            .where(Conversation.contact_id == contact.id)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return contact


def tab_of(conversation: Conversation, user: User) -> str:
    """The portal tab that holds the conversation for the user (SPEC §2.6)."""
    if not conversation.is_open:
        return Tab.CLOSED
    if conversation.claimed_by_id is None or conversation.handled_by(user):
        return Tab.ACTIVE
    return Tab.TEAM


def page(user: User, contact: Contact) -> ContactPage:
    """The contact's conversations the user may see, newest first (unread marks set), and the
    contact's consent on the numbers of those conversations only."""
    rows = list(
        db.session.scalars(
            Conversation.visible_to(user)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(SHOWN + 1)
            .options(
                joinedload(Conversation.contact, innerjoin=True),
                joinedload(Conversation.tracking_number, innerjoin=True),
                joinedload(Conversation.claimed_by),
                selectinload(Conversation.participants).selectinload(Participant.user),
            )
        )
    )
    shown = rows[:SHOWN]
    inbox.mark_unread(user, shown)
    numbers = (
        Conversation.visible_to(user)
        .where(Conversation.contact_id == contact.id)
        .with_only_columns(Conversation.tracking_number_id)
    )
    pairs = db.session.execute(
        select(Consent, TrackingNumber)
        .join(TrackingNumber, Consent.tracking_number_id == TrackingNumber.id)
        .where(Consent.contact_id == contact.id, Consent.tracking_number_id.in_(numbers))
        .order_by(TrackingNumber.label, TrackingNumber.id)
        .options(selectinload(Consent.events).joinedload(ConsentEvent.user))
    ).all()
    consents = [
        NumberConsent(number, consent.state, consent.updated_at, (consent.events or [None])[-1])
        for consent, number in pairs
    ]
    return ContactPage(contact, shown, len(rows) > SHOWN, consents)
