"""Shared column helpers: every time is stored as naive UTC, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one names nothing


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (how every timestamp column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


class CreatedMixin:
    """A `created_at` column set on insert."""

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
