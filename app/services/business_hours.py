"""Business hours (SPEC §2.12): the account's week grid and closed days, in its time zone; whether
it is open at a moment, since when it has been closed, and when it opens next.

The grid is wall-clock time of the account's zone (`Account.timezone`), so 09:00 stays 09:00 when
daylight saving time starts or ends; moments in and out are naive UTC like every timestamp. An
opening runs from its `opens` minute until just before its `closes` minute; a closing of 24:00
(or 00:00, which a time box cannot write as 24:00) is midnight at the day's end, and a night's
opening is two: 22:00–24:00 and the next day's 00:00–02:00. A closed day shuts the whole day
whatever the grid says. An account with no grid at all has not set its hours: it is always open.
"""

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields
from sqlalchemy import Date, Integer, bindparam, cast, delete, null, select, union_all
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.inputs import Day, Form, Length, Text, TimeZone, check, length_of, load
from app.models import Account, BusinessHours, ClosedDay
from app.models.hours import MINUTES_IN_DAY
from app.services.errors import Invalid, NotFound
from app.services.reports import zone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_OPENINGS = 4  # a day's openings: a split shift, and room to spare
NAME_LENGTH = length_of(ClosedDay.name)
# How far back the start of a closed period, and ahead the next opening, are looked for: past a
# year of closed dates, which is more than any business lists.
SEARCH_DAYS = 400
CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
OPENING = re.compile(r"\s*(\S*?)\s*[-–—]\s*(\S*)\s*")


def clock(minutes: int) -> str:
    """Minutes after midnight as the page writes them: 540 → "09:00", 1440 → "24:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Week:
    """An account's hours as the rules read them: loaded once, asked as often as needed.

    `openings[weekday]` are that day's (opens, closes) in minutes, in order; `closed` the dates
    shut all day.
    """

    zone: ZoneInfo
    openings: dict[int, tuple[tuple[int, int], ...]]
    closed: frozenset[date]

    @property
    def is_set(self) -> bool:
        """Whether the account has set its hours at all (with none it is always open)."""
        return any(self.openings.values())

    def local(self, at: datetime) -> datetime:
        """A naive-UTC moment as the account's wall clock shows it (aware, in its zone)."""
        return _in_zone(at, self.zone)

    def _utc(self, day: date, minutes: int) -> datetime:
        """The naive-UTC moment of a minute of a local day (24:00 is the next day's midnight)."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def _of(self, day: date) -> tuple[tuple[int, int], ...]:
        """The openings of a local day: none on a closed day."""
        return () if day in self.closed else self.openings.get(day.weekday(), ())

    def is_open(self, at: datetime) -> bool:
        """Whether the business is open at `at` (naive UTC): always, when its hours are not set."""
        if not self.is_set:
            return True
        local = self.local(at)
        minute = local.hour * 60 + local.minute
        return any(opens <= minute < closes for opens, closes in self._of(local.date()))

    def closed_since(self, at: datetime) -> datetime | None:
        """When the closed period `at` falls in began (naive UTC): the last closing before it.
        None while open. A business shut for longer than it is looked back is closed since
        SEARCH_DAYS before `at`: a period that long counts as one."""
        if self.is_open(at):
            return None
        # Being closed now, the last end of an opening is where the closed period starts (an
        # opening that ends just as the next begins is followed by one that ends later).
        today = self.local(at).date()
        for back in range(SEARCH_DAYS):
            day = today - timedelta(days=back)
            ends = [self._utc(day, closes) for _opens, closes in self._of(day)]
            if past := [end for end in ends if end <= at]:
                return max(past)
        return at - timedelta(days=SEARCH_DAYS)

    def next_opening(self, at: datetime) -> datetime | None:
        """When the closed period `at` falls in ends (naive UTC): the next opening after it.
        None while open, when the hours are not set, or with no opening in SEARCH_DAYS."""
        if self.is_open(at):
            return None
        today = self.local(at).date()
        for ahead in range(SEARCH_DAYS):
            day = today + timedelta(days=ahead)
            starts = [self._utc(day, opens) for opens, _closes in self._of(day)]
            if coming := [start for start in starts if start > at]:
                return min(coming)
        return None


# An account's grid (weekday, opens, closes) and closed days (day), in one statement built
# once: each run binds the account.
OF_ACCOUNT = bindparam("account_id", type_=Integer)
HOURS = union_all(
    select(
        BusinessHours.weekday, BusinessHours.opens, BusinessHours.closes, cast(null(), Date)
    ).where(BusinessHours.account_id == OF_ACCOUNT),
    select(
        cast(null(), Integer), cast(null(), Integer), cast(null(), Integer), ClosedDay.day
    ).where(ClosedDay.account_id == OF_ACCOUNT),
)


def week(account: Account) -> Week:
    """The account's hours, read once: its grid and its closed days, in one statement."""
    openings: dict[int, list[tuple[int, int]]] = {}
    closed = set()
    for weekday, opens, closes, day in db.session.execute(HOURS, {"account_id": account.id}):
        if day is None:
            openings.setdefault(weekday, []).append((opens, closes))
        else:
            closed.add(day)
    return Week(
        zone=zone(account.timezone),
        openings={day: tuple(sorted(spans)) for day, spans in openings.items()},
        closed=frozenset(closed),
    )


def is_open(account: Account, at: datetime) -> bool:
    """Whether the account is open at `at` (naive UTC), in its time zone: within an opening of
    that weekday and not on a closed day. An account that has not set its hours is always open."""
    return week(account).is_open(at)


def next_opening(account: Account, at: datetime) -> datetime | None:
    """When the account next opens after `at` (naive UTC), as naive UTC, for "Outside business
    hours · opens Mon 9:00" (show it with `local`). None while it is open at `at`, when it has
    not set its hours, or when nothing opens in the year ahead."""
    return week(account).next_opening(at)


def local(account: Account, at: datetime) -> datetime:
    """A naive-UTC moment in the account's time zone (aware), for showing it."""
    return _in_zone(at, zone(account.timezone))


def _in_zone(at: datetime, tz: ZoneInfo) -> datetime:
    return at.replace(tzinfo=UTC).astimezone(tz)


# -- saving the grid and the closed days -----------------------------------------------------------


def _minutes(text: str, closing: bool) -> int:
    """ "HH:MM" as minutes after midnight; a closing of 00:00 or 24:00 is midnight at the day's
    end. ValueError when it is no time of day."""
    match = CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hours, minutes = int(match[1]), int(match[2])
    value = hours * 60 + minutes
    if closing and value in (0, MINUTES_IN_DAY):
        return MINUTES_IN_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return value


class Opening(fields.Field):
    """One opening of a day, "HH:MM–HH:MM" (an en dash or a hyphen): the minutes it opens and
    closes at, the closing after the opening."""

    default_error_messages = {
        "invalid": "Write an opening as HH:MM–HH:MM, e.g. 09:00–17:00.",
        "half": "Give both the opening and the closing time.",
        "time": "{text} is no time of day (00:00 to 23:59, or 24:00 to close at midnight).",
        "inverted": "{text}: the closing time must come after the opening time (a night's "
        "opening is two: 22:00–24:00, then 00:00–02:00 the next day).",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[int, int]:
        match = OPENING.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise self.make_error("invalid")
        if not match[1] or not match[2]:
            raise self.make_error("half")
        minutes = []
        for text, closing in ((match[1], False), (match[2], True)):
            try:
                minutes.append(_minutes(text, closing))
            except ValueError:
                raise self.make_error("time", text=text) from None
        opens, closes = minutes
        if opens >= closes:
            raise self.make_error("inverted", text=f"{match[1]}–{match[2]}")
        return opens, closes


class Openings(fields.List):
    """A weekday's openings, none (closed) to MAX_OPENINGS, which may not overlap."""

    def __init__(self, **kwargs):
        error = f"At most {MAX_OPENINGS} openings a day."
        super().__init__(
            Opening(), load_default=list, validate=Length(max=MAX_OPENINGS, error=error), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs) -> list[tuple[int, int]]:
        spans = sorted(super()._deserialize(value, attr, data, **kwargs))
        for (opens, closes), (next_opens, next_closes) in itertools.pairwise(spans):
            if next_opens < closes:
                first = f"{clock(opens)}–{clock(closes)}"
                second = f"{clock(next_opens)}–{clock(next_closes)}"
                raise ValidationError(f"{first} and {second} overlap.")
        return spans


WeekSchema = Form.from_dict(
    {"timezone": TimeZone(required=True), **{day: Openings() for day in WEEKDAYS}},
    name="WeekSchema",
)


class ClosedDaySchema(Form):
    """A date the business is closed all day, and what it is (a holiday's name)."""

    day = Day(required=True)
    name = Text(max_length=NAME_LENGTH, blank="Name the day, e.g. Christmas Day.")


def save_week(account: Account, data) -> Week:
    """Replace the account's grid and set its time zone from `data` (`timezone`, and per weekday
    name a list of "HH:MM–HH:MM" openings; a day left out is closed). Invalid naming each day or
    the zone at fault, and nothing saved."""
    values = load(WeekSchema(), data, "The hours were not saved.")
    # The account's row locked first: two admins saving at once replace the grid one after the
    # other, never into a mix of both.
    db.session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    db.session.execute(delete(BusinessHours).where(BusinessHours.account_id == account.id))
    db.session.add_all(
        BusinessHours(account_id=account.id, weekday=weekday, opens=opens, closes=closes)
        for weekday, day in enumerate(WEEKDAYS)
        for opens, closes in values[day]
    )
    account.timezone = values["timezone"]
    db.session.commit()
    return week(account)


def _closed_already(account: Account, day: date) -> ClosedDay | None:
    return db.session.scalar(
        select(ClosedDay).where(ClosedDay.account_id == account.id, ClosedDay.day == day)
    )


def _taken(day: date, name: str = "") -> Invalid:
    named = f" ({name})" if name else ""
    return Invalid(
        "The closed day was not added.", {"day": [f"{day.isoformat()} is closed already{named}."]}
    )


def add_closed_day(account: Account, data) -> ClosedDay:
    """Close the business on a date (`day`, YYYY-MM-DD, and its `name`). Invalid naming the field
    at fault, the day too when it is closed already."""
    values, errors = check(ClosedDaySchema(), data)
    if "day" in values and (existing := _closed_already(account, values["day"])):
        errors.setdefault("day", []).extend(_taken(existing.day, existing.name).fields["day"])
    if errors:
        raise Invalid("The closed day was not added.", errors)
    closed = ClosedDay(account_id=account.id, **values)
    db.session.add(closed)
    try:
        db.session.commit()
    except IntegrityError as e:  # the same day added by another admin at the same moment
        db.session.rollback()
        raise _taken(values["day"]) from e
    return closed


def remove_closed_day(account: Account, closed_day_id: int) -> ClosedDay:
    """Open again on a closed day of the account; NotFound for any other."""
    closed = db.session.scalar(
        select(ClosedDay).where(ClosedDay.id == closed_day_id, ClosedDay.account_id == account.id)
    )
    if closed is None:
        raise NotFound("No such closed day.")
    db.session.delete(closed)
    db.session.commit()
    return closed
