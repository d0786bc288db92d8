"""An account's business hours: a week grid and the days it is closed, in its time zone."""

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

MINUTES_IN_DAY = 24 * 60


class BusinessHours(db.Model):
    """One opening of one weekday (0 Monday … 6 Sunday), in minutes after the account's local
    midnight: open from `opens` until just before `closes`. A day may have several."""

    __tablename__ = "business_hours"
    __table_args__ = (
        Index("ix_business_hours_account", "account_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            f"opens >= 0 AND opens < closes AND closes <= {MINUTES_IN_DAY}", name="span"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[int] = mapped_column(SmallInteger)
    closes: Mapped[int] = mapped_column(SmallInteger)


class ClosedDay(db.Model):
    """A date the business is closed all day whatever the grid says (a holiday)."""

    __tablename__ = "closed_days"
    __table_args__ = (Index("uq_closed_days_account_day", "account_id", "day", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(80), default="")
