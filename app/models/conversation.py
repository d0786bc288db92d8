"""Conversations between a contact and a tracking number, with participants, messages and events."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import User
from app.models.base import CreatedMixin, in_sql, one_of, partial_index, utcnow
from app.models.contact import Contact
from app.models.number import TrackingNumber
from app.models.tag import Tag


class ConversationStatus(StrEnum):
    """Open (in Active or Team) or closed."""

    OPEN = "open"
    CLOSED = "closed"


class ConversationSource(StrEnum):
    """Where a conversation began: a text, or the website widget's form."""

    SMS = "sms"
    WIDGET = "widget"


class Direction(StrEnum):
    """A text from the contact (inbound) or to them (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(StrEnum):
    """An agent's (or the contact's) text, or an auto-reply."""

    TEXT = "text"
    AUTO = "auto"


class Purpose(StrEnum):
    """What an auto-reply answers: the account's SMS texts, and the widget's confirmation."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    OPT_IN_AGAIN = "opt_in_again"
    HELP = "help"
    CONFIRMATION = "confirmation"
    AFTER_HOURS = "after_hours"


class MessageStatus(StrEnum):
    """Where a text is. Inbound: received (waiting to be filed or filed), ignored (to a number
    not taking texts). Outbound: queued, unknown (the send timed out), blocked (opted out), and
    the delivery states the provider reports, stored as it names them."""

    RECEIVED = "received"
    IGNORED = "ignored"
    QUEUED = "queued"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"  # the provider's word for a text it was told not to send
    CANCELLED = "cancelled"  # a scheduled text that did not leave: cancelled, or could not go


class HeldFor(StrEnum):
    """Why a text waits with the status `scheduled` although nobody chose its time."""

    QUIET_HOURS = "quiet_hours"


class EventType(StrEnum):
    """A state change a thread shows (SPEC §3)."""

    CLAIMED = "claimed"
    RELEASED = "released"
    REASSIGNED = "reassigned"
    PARTICIPANT_ADDED = "participant_added"
    PARTICIPANT_REMOVED = "participant_removed"
    CLOSED = "closed"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    TAGGED = "tagged"
    UNTAGGED = "untagged"


EVENT_TYPES = tuple(EventType)
OUTBOUND_STATUSES = (
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.BLOCKED,
)
FAILED_STATUSES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.BLOCKED)
FAILED_WHERE = in_sql("status", FAILED_STATUSES)
# Inbound texts stored by the webhook and not filed yet: what the filing job picks up.
WAITING_WHERE = (
    f"direction = '{Direction.INBOUND}' AND status = '{MessageStatus.RECEIVED}' "
    "AND conversation_id IS NULL"
)
# Texts we send still waiting for their delivery job, or for a lookup of a send that timed out:
# what the beat's sweep looks through.
UNSENT_WHERE = f"direction = '{Direction.OUTBOUND}' AND " + in_sql(
    "status", (MessageStatus.QUEUED, MessageStatus.UNKNOWN)
)
# Texts that wait for their time (chosen, or the end of quiet hours): what the scheduler sends.
SCHEDULED_WHERE = f"status = '{MessageStatus.SCHEDULED}'"
# Texts we send, found by their provider's SID when a delivery status comes.
OUTBOUND_WHERE = f"direction = '{Direction.OUTBOUND}'"


class Tab(StrEnum):
    """The portal's tabs (SPEC §2.6), in their order; `Conversation.in_tab` says which
    conversations each holds."""

    ACTIVE = "active"
    TEAM = "team"
    CLOSED = "closed"


# Each tab with its title, in the tabs' order.
TABS = {tab: tab.value.title() for tab in Tab}


class Conversation(CreatedMixin, db.Model):
    """One contact and one tracking number; open or closed; unclaimed or claimed by one user."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_account_tab", "account_id", "status", "last_message_at", "id"),
        Index(
            "ix_conversations_number_tab", "tracking_number_id", "status", "last_message_at", "id"
        ),
        Index("ix_conversations_claimed_by", "claimed_by_id", "status"),
        Index("ix_conversations_history", "contact_id", "tracking_number_id", "id"),
        Index("ix_conversations_account_updated", "account_id", "updated_at"),
        # Search: the newest conversations of an account whatever their tab.
        Index("ix_conversations_account_recent", "account_id", "last_message_at", "id"),
        Index("ix_conversations_number_created", "tracking_number_id", "created_at"),
        # At most one open conversation per pair, so two texts at once cannot open two.
        partial_index(
            "uq_conversations_open_pair",
            "tracking_number_id",
            "contact_id",
            where=f"status = '{ConversationStatus.OPEN}'",
            unique=True,
        ),
        one_of("status", ConversationStatus),
        one_of("source", ConversationSource),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    tracking_number_id: Mapped[int] = mapped_column(ForeignKey("tracking_numbers.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[str] = mapped_column(String(8), default=ConversationStatus.OPEN)
    source: Mapped[str] = mapped_column(String(8), default=ConversationSource.SMS)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the after-hours reply last answered here: once per closed period (SPEC §2.12).
    after_hours_replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_preview: Mapped[str] = mapped_column(String(160), default="")
    # The first claim and the first agent's text (auto-replies aside), kept for the reports'
    # response times: set once, never moved by a release, a reassignment or a later reply.
    first_claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Bumped by every change a portal shows (texts, delivery states, claims, events), so an open
    # portal asks "anything since?" with one indexed query.
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    tracking_number: Mapped[TrackingNumber] = relationship()
    contact: Mapped[Contact] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    participants: Mapped[list["Participant"]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        order_by="Participant.created_at",
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary="conversation_tags", order_by=(func.lower(Tag.name), Tag.id), viewonly=True
    )

    @property
    def is_open(self) -> bool:
        return self.status == ConversationStatus.OPEN

    @property
    def participant_ids(self) -> set[int]:
        return {p.user_id for p in self.participants}

    @hybrid_method
    def handled_by(self, user: User) -> bool:
        """Whether the user is the claimer or a participant: who replies, closes, hears of every
        text and finds it under Active (a SQL condition on the class)."""
        return self.claimed_by_id == user.id or user.id in self.participant_ids

    @handled_by.expression
    def handled_by(cls, user: User):
        return or_(cls.claimed_by_id == user.id, cls.has_participant(user))

    @property
    def handlers(self) -> list[User]:
        """The claimer, then the participants: the people `handled_by` names."""
        claimer = [self.claimed_by] if self.claimed_by is not None else []
        return [*claimer, *(p.user for p in self.participants)]

    @classmethod
    def visible_to(cls, user: User) -> Select:
        """Every conversation the user may see (SPEC §2.6); every list and lookup starts here."""
        query = select(cls).where(cls.account_id == user.account_id)
        if user.is_admin:
            return query  # every number of the account is theirs to see, so every conversation
        numbers = TrackingNumber.visible_to(user).with_only_columns(TrackingNumber.id)
        return query.where(
            or_(
                cls.tracking_number_id.in_(numbers),
                cls.handled_by(user),
            )
        )

    @classmethod
    def has_participant(cls, user: User):
        """SQL condition: the user participates in the conversation."""
        return exists().where(Participant.conversation_id == cls.id, Participant.user_id == user.id)

    @classmethod
    def in_tab(cls, user: User, tab: str) -> Select:
        """The conversations of one portal tab: active, team or closed (SPEC §2.6)."""
        return cls.visible_to(user).where(cls.of_tab(user, tab))

    @classmethod
    def of_tab(cls, user: User, tab: str):
        """SQL condition: a conversation the user sees is in the tab (`in_tab` is every one)."""
        if tab == Tab.CLOSED:
            return cls.status == ConversationStatus.CLOSED
        is_open = cls.status == ConversationStatus.OPEN
        mine = cls.handled_by(user)
        if tab == Tab.ACTIVE:
            return and_(is_open, or_(cls.claimed_by_id.is_(None), mine))
        if tab == Tab.TEAM:
            return and_(is_open, cls.claimed_by_id.is_not(None), ~mine)
        return false()


class Participant(CreatedMixin, db.Model):
    """A user brought into a conversation: may reply and close, sees it in Active."""

    __tablename__ = "participants"
    __table_args__ = (
        PrimaryKeyConstraint("conversation_id", "user_id"),
        Index("ix_participants_user", "user_id"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Message(CreatedMixin, db.Model):
    """One text, in or out. Inbound texts to an inactive number are kept without a conversation,
    with the status `ignored`."""

    __tablename__ = "messages"
    __table_args__ = (
        # The provider retries webhooks: its message SID, unique per number, makes them harmless.
        UniqueConstraint("tracking_number_id", "provider_sid"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        # The reports: a period's texts per number, and the few that failed.
        Index("ix_messages_number_created", "tracking_number_id", "created_at"),
        partial_index("ix_messages_failed", "tracking_number_id", "created_at", where=FAILED_WHERE),
        partial_index("ix_messages_waiting", "id", where=WAITING_WHERE),
        partial_index("ix_messages_unsent", "created_at", where=UNSENT_WHERE),
        partial_index("ix_messages_outbound_sid", "provider_sid", where=OUTBOUND_WHERE),
        partial_index("ix_messages_scheduled", "send_at", where=SCHEDULED_WHERE),
        one_of("direction", Direction),
        one_of("kind", MessageKind),
        one_of("purpose", Purpose),
        one_of("status", MessageStatus),
        one_of("held_for", HeldFor),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number_id: Mapped[int] = mapped_column(ForeignKey("tracking_numbers.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8), default=MessageKind.TEXT)
    # What an auto-reply answers (a Purpose); None for any other text.
    purpose: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    # What the provider's own opt-out handling matched when it answered a keyword itself
    # (Twilio's OptOutType: STOP, START, HELP).
    opt_out_type: Mapped[str | None] = mapped_column(String(16))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A scheduled text's time to leave (naive UTC), and why it waits when nobody chose it.
    send_at: Mapped[datetime | None] = mapped_column(DateTime)
    held_for: Mapped[str | None] = mapped_column(String(16))
    # How often its job was handed the text (filing an inbound one, sending an outbound one).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    conversation: Mapped[Conversation | None] = relationship()
    tracking_number: Mapped[TrackingNumber] = relationship()
    sent_by: Mapped[User | None] = relationship()
    media: Mapped[list["MessageMedia"]] = relationship(
        back_populates="message", order_by="MessageMedia.position"
    )


class ConversationEvent(CreatedMixin, db.Model):
    """A state change of a conversation: who did it, to whom, when."""

    __tablename__ = "conversation_events"
    __table_args__ = (
        Index("ix_conversation_events_conversation", "conversation_id", "id"),
        one_of("type", EventType),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    type: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A tag added or removed, by name as it was then: the history reads the same after the tag
    # is renamed or deleted.
    tag_name: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class Note(CreatedMixin, db.Model):
    """An internal note in a thread: never sent to the contact, kept with its author; the users it
    mentions hear of it (SPEC §2.10)."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship()
    author: Mapped[User] = relationship()
    mentions: Mapped[list["NoteMention"]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NoteMention.user_id"
    )

    @property
    def mentioned_ids(self) -> list[int]:
        return [m.user_id for m in self.mentions]


class NoteMention(db.Model):
    """A user a note mentions (`@First Last`, picked from the account's users)."""

    __tablename__ = "note_mentions"
    __table_args__ = (PrimaryKeyConstraint("note_id", "user_id"),)

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    note: Mapped[Note] = relationship(back_populates="mentions")
    user: Mapped[User] = relationship()


class ReadMark(db.Model):
    """When a user last read a conversation: newer inbound texts are unread for them."""

    __tablename__ = "read_marks"
    __table_args__ = (PrimaryKeyConstraint("conversation_id", "user_id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EarlyStatus(CreatedMixin, db.Model):
    """A delivery status callback that came before its text's SID was stored (callbacks race
    the send's answer); applied when the SID arrives."""

    __tablename__ = "early_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))


class MessageMedia(db.Model):
    """A picture or file of an MMS, kept in the app's storage (app/storage.py) under
    `storage_key`: an inbound one is fetched once from the provider's `url` (which may need our
    credentials, and may be deleted there later); an outbound one was attached by the agent, under
    its `filename`. Users see it only through our own authenticated route, never linked directly."""

    __tablename__ = "message_media"
    __table_args__ = (Index("ix_message_media_message", "message_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    position: Mapped[int] = mapped_column(default=0)
    url: Mapped[str] = mapped_column(Text)  # the provider's, of an inbound one; else empty
    content_type: Mapped[str] = mapped_column(String(120))
    storage_key: Mapped[str | None] = mapped_column(String(34))  # None until kept
    size: Mapped[int | None] = mapped_column()  # bytes, once kept
    filename: Mapped[str | None] = mapped_column(String(255))

    message: Mapped[Message] = relationship(back_populates="media")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
