"""Carrier registration (SPEC §2.1): an A2P 10DLC brand & campaign, or a toll-free verification."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import Account, User
from app.models.base import CreatedMixin, one_of, utcnow


class RegistrationKind(StrEnum):
    """An A2P 10DLC brand & campaign (local numbers), or a toll-free verification."""

    TEN_DLC = "10dlc"
    TOLL_FREE = "toll_free"


class RegistrationStatus(StrEnum):
    """Where the carriers are with a registration."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


REGISTRATION_KINDS = tuple(RegistrationKind)
REGISTRATION_STATUSES = tuple(RegistrationStatus)


class CarrierRegistration(CreatedMixin, db.Model):
    """One registration form of an account: its answers, and where the carriers are with it."""

    __tablename__ = "carrier_registrations"
    __table_args__ = (
        Index("ix_carrier_registrations_account", "account_id", "kind", "id"),
        one_of("kind", REGISTRATION_KINDS),
        one_of("status", REGISTRATION_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16), default=RegistrationKind.TEN_DLC)
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.DRAFT)
    status_note: Mapped[str | None] = mapped_column(Text)
    # The form's answers as the admin gave them (brand, campaign, samples, …).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()
    submitted_by: Mapped[User | None] = relationship()
