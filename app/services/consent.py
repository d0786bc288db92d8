"""Consent per (contact, tracking number) and its ledger (SPEC §2.4)."""

from sqlalchemy import select

from app.extensions import db
from app.models import Consent, ConsentEvent, Contact, Message, TrackingNumber


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
    return state == "opted_out"


def on_inbound(contact: Contact, number: TrackingNumber, message: Message) -> list[str]:
    """Record what an inbound text means for consent; return the auto-replies it calls for.

    A contact's first text ever to a number opts them in and is answered with the opt-in message.
    """
    if pair(contact, number) is None:
        consent = Consent(contact=contact, tracking_number_id=number.id, state="opted_in")
        db.session.add(consent)
        db.session.add(
            ConsentEvent(
                consent=consent,
                state="opted_in",
                source="first_text",
                body=message.body,
                message=message,
            )
        )
        return ["opt_in"]
    return []
