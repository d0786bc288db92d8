"""Click-to-text widgets (SPEC §2.7): a public key, the look, and where they may be embedded."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.account import Account
from app.models.base import CreatedMixin, one_of, utcnow
from app.models.number import TrackingNumber


class Position(StrEnum):
    """The corner of the page the widget's button sits in."""

    BOTTOM_RIGHT = "bottom-right"
    BOTTOM_LEFT = "bottom-left"


class MobileBehaviour(StrEnum):
    """What the button does on a phone: open the same form, or the phone's Messages app."""

    FORM = "form"
    SMS_LINK = "sms_link"


POSITIONS = tuple(Position)
MOBILE_BEHAVIOURS = tuple(MobileBehaviour)
# A new widget's look and words: the columns' defaults and what the admin page starts from.
DEFAULTS = {
    "name": "Website",
    "button_text": "Text us",
    "color": "#0d6efd",
    "position": Position.BOTTOM_RIGHT,
    "greeting": "Hi! How can we help?",
    "mobile_behaviour": MobileBehaviour.FORM,
}


def new_key() -> str:
    """A public widget key: unguessable, safe in a URL."""
    return "w_" + secrets.token_urlsafe(16)


class Widget(CreatedMixin, db.Model):
    """One widget of an account, sending its visitors' texts to one tracking number."""

    __tablename__ = "widgets"
    __table_args__ = (
        one_of("position", POSITIONS),
        one_of("mobile_behaviour", MOBILE_BEHAVIOURS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    tracking_number_id: Mapped[int] = mapped_column(ForeignKey("tracking_numbers.id"))
    key: Mapped[str] = mapped_column(String(40), unique=True, default=new_key)
    name: Mapped[str] = mapped_column(String(120), default=DEFAULTS["name"])
    button_text: Mapped[str] = mapped_column(String(40), default=DEFAULTS["button_text"])
    color: Mapped[str] = mapped_column(String(7), default=DEFAULTS["color"])
    position: Mapped[str] = mapped_column(String(16), default=DEFAULTS["position"])
    greeting: Mapped[str] = mapped_column(String(200), default=DEFAULTS["greeting"])
    consent_text: Mapped[str | None] = mapped_column(Text)  # None: the default of widget_intake
    # Website origins (scheme://host[:port]) allowed to embed it and send from it.
    allowed_origins: Mapped[list] = mapped_column(JSON, default=list)
    mobile_behaviour: Mapped[str] = mapped_column(String(16), default=DEFAULTS["mobile_behaviour"])
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()
    tracking_number: Mapped[TrackingNumber] = relationship()
