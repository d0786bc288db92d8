"""Accounts (businesses), their users and users' API tokens."""

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, false, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug import security

from app.extensions import db
from app.models.base import CreatedMixin, one_of

if TYPE_CHECKING:
    from app.models.hours import BusinessHours, ClosedDay


class Role(StrEnum):
    """What a user is: admin, agent, or identified-only (no password, reached by links)."""

    ADMIN = "admin"
    AGENT = "agent"
    IDENTIFIED = "identified"


ROLES = tuple(Role)
COMPANY = "{company}"  # where an account's texts name the business

DEFAULT_SMS_TEXTS = {
    "opt_in": "Welcome to {company}! Messages and data rates may apply. "
    "Msg frequency is recurring. Reply STOP to cancel.",
    "opt_out": "Your request to unsubscribe has been processed. We're sorry to see you go. "
    "If you ever change your mind, please reply with START to start receiving the messages again.",
    "opt_in_again": "You have been re-subscribed to messages from {company}. "
    "Msg & data rates may apply. Reply STOP to cancel.",
    "help": "{company}: reply to this number to reach us. "
    "Msg & data rates may apply. Reply STOP to cancel.",
    "opt_out_line": "Reply STOP to opt out.",
    "after_hours": "Thanks for your text! {company} is closed right now; "
    "we will answer when we open. Reply STOP to opt out.",
}


class Account(CreatedMixin, db.Model):
    """A business. Nothing ever crosses accounts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The account's own SMS texts (Customization → SMS); NULL means DEFAULT_SMS_TEXTS's.
    opt_in_text: Mapped[str | None] = mapped_column(Text)
    opt_out_text: Mapped[str | None] = mapped_column(Text)
    opt_in_again_text: Mapped[str | None] = mapped_column(Text)
    help_text: Mapped[str | None] = mapped_column(Text)
    # Follows the first text the business starts to a contact with no consent on that number.
    opt_out_line_text: Mapped[str | None] = mapped_column(Text)
    # Answers a contact's text outside business hours, once per closed period, when turned on.
    after_hours_text: Mapped[str | None] = mapped_column(Text)
    after_hours_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One opt-out for the whole account (SPEC §2.4): a STOP to one number stops every number.
    opt_out_everywhere: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    users: Mapped[list["User"]] = relationship(back_populates="account")
    hours: Mapped[list["BusinessHours"]] = relationship(
        order_by="(BusinessHours.weekday, BusinessHours.opens)", cascade="all, delete-orphan"
    )
    closed_days: Mapped[list["ClosedDay"]] = relationship(
        order_by="ClosedDay.day", cascade="all, delete-orphan"
    )

    def expand(self, text: str) -> str:
        """A text the account sends, with `{company}` filled in with the account's name."""
        return text.replace(COMPANY, self.name)

    def sms_text(self, kind: str) -> str:
        """The account's text of a kind (opt_in, opt_out, opt_in_again, help), company filled in."""
        return self.expand(getattr(self, f"{kind}_text") or DEFAULT_SMS_TEXTS[kind])

    @classmethod
    def by_name(cls, name: str) -> "Account | None":
        return db.session.scalar(select(cls).where(cls.name == name))


def full_name(first_name: str, last_name: str) -> str:
    """A user's name as pages show it."""
    return f"{first_name} {last_name}".strip()


class User(UserMixin, CreatedMixin, db.Model):
    """A person of an account: admin, agent, or identified-only (no password, reached by links)."""

    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # E-mail is the login, so it is unique across the whole installation (stored lower-case).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notifications_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped to end every earlier session (logout, a new password, deactivation): the session
    # cookie names the version it was made under.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped on deactivation: signed links made before it stay dead after a reactivation.
    link_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    account: Mapped[Account] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def name(self) -> str:
        return full_name(self.first_name, self.last_name)

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = security.generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and security.check_password_hash(
            self.password_hash, password
        )

    def get_id(self) -> str:
        """What a session cookie names: the user and the session version it was made under."""
        return f"{self.id}:{self.session_version}"

    @classmethod
    def by_email(cls, email: str) -> "User | None":
        return db.session.scalar(select(cls).where(cls.email == email.strip().lower()))


class ApiToken(CreatedMixin, db.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User) -> tuple["ApiToken", str]:
        """A new token for the user: the row (not yet committed) and the plain token."""
        token = "smsc_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=cls.digest(token)), token

    @classmethod
    def find_user(cls, token: str) -> User | None:
        """The active user a token belongs to, or None."""
        row = db.session.scalar(select(cls).where(cls.token_hash == cls.digest(token)))
        if row is None or not row.user.active:
            return None
        return row.user
