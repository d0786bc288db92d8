"""Tags: an account's labels for its conversations (SPEC §2.10)."""

from enum import StrEnum

from sqlalchemy import (
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Select,
    String,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.account import User
from app.models.base import CreatedMixin, one_of


class TagColor(StrEnum):
    """The palette a tag's chip is drawn in; each pair of text and background passes WCAG AA."""

    GRAY = "gray"
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"
    TEAL = "teal"
    BLUE = "blue"
    PURPLE = "purple"
    PINK = "pink"


TAG_COLORS = tuple(TagColor)


class Tag(CreatedMixin, db.Model):
    """A label admins define; its name is unique in the account whatever its case."""

    __tablename__ = "tags"
    __table_args__ = (
        Index(
            "uq_tags_account_name", "account_id", func.lower(literal_column("name")), unique=True
        ),
        one_of("color", TagColor),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(40))
    color: Mapped[str] = mapped_column(String(8), default=TagColor.GRAY)

    @classmethod
    def of_account(cls, user: User) -> Select:
        """The user's account's tags, by name: every list and lookup of tags starts here."""
        return (
            select(cls)
            .where(cls.account_id == user.account_id)
            .order_by(func.lower(cls.name), cls.id)
        )


class ConversationTag(CreatedMixin, db.Model):
    """A tag on a conversation."""

    __tablename__ = "conversation_tags"
    __table_args__ = (
        PrimaryKeyConstraint("conversation_id", "tag_id"),
        # The list filtered by a tag starts from the tag.
        Index("ix_conversation_tags_tag", "tag_id", "conversation_id"),
    )

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"))
