"""Contacts (customers' phones) and their consent per tracking number, with its ledger (§2.4)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import CreatedMixin, one_of, utcnow


class ConsentState(StrEnum):
    """Whether a pair may be texted."""

    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class ConsentSource(StrEnum):
    """What changed a pair's consent."""

    FIRST_TEXT = "first_text"
    KEYWORD = "keyword"
    WIDGET = "widget"
    ADMIN = "admin"
    PROVIDER = "provider"
    AGENT = "agent"


CONSENT_STATES = tuple(ConsentState)
# How the ledger and the thread name each source.
CONSENT_SOURCES = {
    ConsentSource.FIRST_TEXT: "First text",
    ConsentSource.KEYWORD: "Keyword",
    ConsentSource.WIDGET: "Website widget",
    ConsentSource.ADMIN: "Opted out by staff",
    ConsentSource.PROVIDER: "Carrier",
    ConsentSource.AGENT: "Asked an agent to text them",
}


class Contact(CreatedMixin, db.Model):
    """A customer's phone number (E.164) as one account knows it."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("account_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)


class Consent(db.Model):
    """The current consent of one (contact, tracking number) pair; a row exists once they met."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("contact_id", "tracking_number_id"),
        one_of("state", CONSENT_STATES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    tracking_number_id: Mapped[int] = mapped_column(ForeignKey("tracking_numbers.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ConsentState.OPTED_IN)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped[Contact] = relationship()
    events: Mapped[list["ConsentEvent"]] = relationship(
        back_populates="consent", order_by="ConsentEvent.id"
    )

    @property
    def opted_out(self) -> bool:
        return self.state == ConsentState.OPTED_OUT


class ConsentEvent(CreatedMixin, db.Model):
    """One change of consent: what, when, from where, and the text (or form) that caused it."""

    __tablename__ = "consent_events"
    __table_args__ = (one_of("state", CONSENT_STATES), one_of("source", CONSENT_SOURCES))

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    consent: Mapped[Consent] = relationship(back_populates="events")
    message: Mapped["Message | None"] = relationship()  # noqa: F821 (defined in conversation.py)
    user: Mapped["User | None"] = relationship()  # noqa: F821 (defined in account.py)
