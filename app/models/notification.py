"""Notifications of new texts to the people of a conversation (SPEC §2.5), and their pacing."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import User
from app.models.base import CreatedMixin, one_of, partial_index
from app.models.conversation import Conversation


class Channel(StrEnum):
    """How a notification reaches its user."""

    EMAIL = "email"
    SMS = "sms"


class NotificationStatus(StrEnum):
    """Waiting for its job, sent, or given up on."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


NOTIFICATION_WINDOW_MINUTES = 5
# Notifications waiting for their job: what the beat's sweep looks through.
QUEUED_WHERE = f"status = '{NotificationStatus.QUEUED}'"


class Notification(CreatedMixin, db.Model):
    """One e-mail or SMS telling a user about new texts in a conversation, or about a note that
    mentions them (then `note_id` is set and `message_id` is not)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_conversation", "conversation_id", "id"),
        partial_index("ix_notifications_queued", "created_at", where=QUEUED_WHERE),
        one_of("channel", Channel),
        one_of("status", NotificationStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id"))
    channel: Mapped[str] = mapped_column(String(8))
    texts: Mapped[int] = mapped_column(Integer, default=1)  # how many new texts it tells of
    status: Mapped[str] = mapped_column(String(8), default=NotificationStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its job's

    user: Mapped[User] = relationship()
    conversation: Mapped[Conversation] = relationship()


class NotificationPace(db.Model):
    """When a user was last told about a conversation, and how many texts came since: at most
    one notification per user per conversation per NOTIFICATION_WINDOW_MINUTES."""

    __tablename__ = "notification_pace"
    __table_args__ = (PrimaryKeyConstraint("user_id", "conversation_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    last_sent_at: Mapped[datetime] = mapped_column(DateTime)
    pending: Mapped[int] = mapped_column(Integer, default=0)
