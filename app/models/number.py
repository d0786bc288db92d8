"""Tracking numbers with their SMS state machine (SPEC §2.1) and their SMS users (§2.2)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Select,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import Account, User
from app.models.base import CreatedMixin, one_of


class NumberType(StrEnum):
    """A local (10DLC) or a toll-free number: carriers register them differently."""

    LOCAL = "local"
    TOLL_FREE = "toll_free"


class SmsState(StrEnum):
    """A number's SMS state machine (SPEC §2.1): off → pending_activation → active →
    pending_deactivation → off."""

    OFF = "off"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    PENDING_DEACTIVATION = "pending_deactivation"


NUMBER_TYPES = tuple(NumberType)
SMS_STATES = tuple(SmsState)
# A change asked of the provider and not answered yet: texts to the number wait for its end.
PENDING_SMS_STATES = (SmsState.PENDING_ACTIVATION, SmsState.PENDING_DEACTIVATION)
MAX_SMS_USERS = 5


class TrackingNumber(CreatedMixin, db.Model):
    """A business's phone number (E.164). Only an `active` one takes texts into conversations."""

    __tablename__ = "tracking_numbers"
    __table_args__ = (one_of("type", NUMBER_TYPES), one_of("sms_state", SMS_STATES))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # One number belongs to one account: inbound texts are routed by it.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16), default=NumberType.LOCAL)
    sms_state: Mapped[str] = mapped_column(String(24), default=SmsState.OFF)
    sms_error: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)

    account: Mapped[Account] = relationship()
    sms_users: Mapped[list["SmsUser"]] = relationship(
        back_populates="tracking_number", cascade="all, delete-orphan", order_by="SmsUser.id"
    )

    @property
    def active_sms_users(self) -> list["SmsUser"]:
        """The SMS users who are notified: a deactivated user's row stays until the number's SMS
        users are saved again."""
        return [row for row in self.sms_users if row.user.active]

    @property
    def sms_active(self) -> bool:
        return self.sms_state == SmsState.ACTIVE

    @classmethod
    def by_number(cls, number: str) -> "TrackingNumber | None":
        return db.session.scalar(select(cls).where(cls.number == number))

    @classmethod
    def visible_to(cls, user: User) -> Select:
        """The numbers whose texts and figures the user sees (SPEC §2.6): every number of an
        admin's account; for others, the numbers they are SMS users of."""
        query = select(cls).where(cls.account_id == user.account_id)
        if user.is_admin:
            return query
        return query.where(
            cls.id.in_(select(SmsUser.tracking_number_id).where(SmsUser.user_id == user.id))
        )


class SmsUser(db.Model):
    """A user notified of a number's texts, by e-mail and/or SMS (at least one)."""

    __tablename__ = "sms_users"
    __table_args__ = (UniqueConstraint("tracking_number_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number_id: Mapped[int] = mapped_column(ForeignKey("tracking_numbers.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False)

    tracking_number: Mapped[TrackingNumber] = relationship(back_populates="sms_users")
    user: Mapped[User] = relationship()
