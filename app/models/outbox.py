"""What the simulated carrier and the mail layer handed out, for /dev/phone and /dev/outbox."""

from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import CreatedMixin, one_of


class OutboxChannel(StrEnum):
    """sms_mt: the app texted a phone; sms_mo: a simulated phone texted the app; email."""

    SMS_MT = "sms_mt"
    SMS_MO = "sms_mo"
    EMAIL = "email"


class OutboxItem(CreatedMixin, db.Model):
    """One SMS (either way through the simulated carrier) or one e-mail the app sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pair", "sender", "recipient", "id"),
        one_of("channel", OutboxChannel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text, default="")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
