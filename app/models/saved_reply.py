"""Saved replies: titled bodies shared by an account or kept by one user (SPEC §2.10)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Select, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import User
from app.models.base import CreatedMixin, utcnow


class SavedReply(CreatedMixin, db.Model):
    """A reply an agent inserts into the composer; `user_id` NULL means shared by the account
    (admins manage those), else one user's own."""

    __tablename__ = "saved_replies"
    __table_args__ = (Index("ix_saved_replies_account_user", "account_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()
    files: Mapped[list["SavedReplyFile"]] = relationship(
        back_populates="reply",
        cascade="all, delete-orphan",
        order_by="SavedReplyFile.position",
    )

    @property
    def shared(self) -> bool:
        return self.user_id is None

    @classmethod
    def usable_by(cls, user: User) -> Select:
        """The replies the user may insert: the account's shared ones and their own, shared first,
        by title. Every list and lookup of saved replies starts here."""
        return (
            select(cls)
            .where(
                cls.account_id == user.account_id,
                or_(cls.user_id.is_(None), cls.user_id == user.id),
            )
            .order_by(cls.user_id.is_not(None), func.lower(cls.title), cls.id)
        )


class SavedReplyFile(db.Model):
    """A picture or file that goes with a saved reply: attached to the composer with its text,
    kept in the app's storage (app/storage.py) under `storage_key`."""

    __tablename__ = "saved_reply_files"
    __table_args__ = (Index("ix_saved_reply_files_reply", "saved_reply_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_reply_id: Mapped[int] = mapped_column(ForeignKey("saved_replies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column()
    storage_key: Mapped[str] = mapped_column(String(34))

    reply: Mapped[SavedReply] = relationship(back_populates="files")
