"""SMS reports (SPEC §2.8): day series, response times, failures and agents, as SQL aggregates.

Times are stored as naive UTC. Counts are grouped in SQL by UTC hour, or by quarter hour for a
zone that is not a whole number of hours from UTC (every time zone in use today is a whole number
of quarter hours, and changes its offset on a quarter hour), then, in the same statement, by day
of the account's time zone: each bucket moved by the zone's offset at its start, which Python
works out for the period (daylight saving time included), so the same SQL runs on SQLite and
PostgreSQL and only a few rows a day come back. Response times are measured per conversation,
from its creation (the text that opened it; a reopened contact starts a new conversation, so each
cycle counts once) to the first claim and first reply it stores, and are fetched grouped by value
— never message rows.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, validates_schema
from sqlalchemy import BigInteger, Float, case, cast, func, literal, literal_column, select, text

from app.extensions import db
from app.inputs import Day, Form, load, time_zones
from app.models import Account, User
from app.models.contact import Consent, ConsentEvent, ConsentState
from app.models.conversation import (
    FAILED_WHERE,
    Conversation,
    ConversationSource,
    Direction,
    Message,
    MessageStatus,
    Purpose,
)
from app.models.number import TrackingNumber
from app.models.tag import ConversationTag, Tag
from app.services import inbox, tags
from app.services.errors import Invalid, NotFound

PRESETS = {"7": 7, "30": 30, "90": 90}
MAX_DAYS = 366
QUARTER_HOUR, HOUR, DAY = 900, 3600, 86400  # seconds
# The buckets as PostgreSQL's `date_bin` is given them, written as the statistics of migration
# 0019 write them (so that the planner knows how few buckets a period's texts fall in).
BINS = {QUARTER_HOUR: "'15 minutes'", HOUR: "'1 hour'"}
EPOCH = date(1970, 1, 1)
DAY_FIELDS = (
    "received",
    "sent",
    "new_sms",
    "new_widget",
    "closed",
    "opt_outs",
    "opt_ins",
    "after_hours",
)


def zone(name: str | None) -> ZoneInfo:
    """The account's time zone; UTC when unset or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def set_timezone(account: Account, name: str) -> Account:
    """Set the account's time zone (reports' days, the portal's times), an IANA name such as
    America/New_York."""
    name = (name or "").strip()
    if name not in time_zones():
        raise Invalid("Unknown time zone.", {"timezone": ["Pick a time zone from the list."]})
    account.timezone = name
    db.session.commit()
    return account


class PeriodSchema(Form):
    """A custom period: two days in the calendar's sane range, in order, at most MAX_DAYS."""

    start = Day(required=True)
    end = Day(required=True)

    @validates_schema
    def in_order(self, data: dict, **kwargs) -> None:
        """The end is not before the start, and the period is not too long to report."""
        if data["start"] > data["end"]:
            raise ValidationError("The end must not be before the start.", "end")
        if (data["end"] - data["start"]).days >= MAX_DAYS:
            raise ValidationError(f"A report covers at most {MAX_DAYS} days.", "end")


def period(preset_or_dates, tz: ZoneInfo, today: date | None = None) -> tuple[date, date]:
    """The first and last local day (both included) of a preset ("7", "30", "90": the last N
    days, today included) or of a (start, end) pair of ISO dates; Invalid when they make none."""
    today = today or datetime.now(tz).date()
    if isinstance(preset_or_dates, str):
        if preset_or_dates not in PRESETS:
            raise Invalid("Unknown period.", {"period": ["Choose 7, 30 or 90 days, or dates."]})
        return today - timedelta(days=PRESETS[preset_or_dates] - 1), today
    start, end = preset_or_dates
    dates = load(PeriodSchema(), {"start": start, "end": end}, "Check the dates of the period.")
    return dates["start"], dates["end"]


def median(values: list[float]) -> float | None:
    """The middle value; the mean of the two middle ones for an even count (a whole number
    when it is one); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    mean = (ordered[mid - 1] + ordered[mid]) / 2
    return int(mean) if float(mean).is_integer() else mean


def p90(values: list[float]) -> float | None:
    """90th percentile by nearest rank: the value at rank ceil(0.9 × n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class Report:
    """Plain data of one report: what the page shows and the CSV exports."""

    start: date
    end: date
    timezone: str
    number_id: int | None
    days: list[dict]
    summary: dict
    failures: list[dict]
    agents: list[dict]
    numbers: list[TrackingNumber] = field(default_factory=list)
    tag: Tag | None = None


def _postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def _whole_second(column):
    """SQL: a naive-UTC timestamp column to the whole second: on PostgreSQL the second it falls
    in (`date_bin`, plain arithmetic, where `date_part` works through the calendar), on SQLite
    as seconds since 1970. Two of them subtract to whole seconds (an interval on PostgreSQL)."""
    if _postgresql():
        return func.date_bin(literal_column("'1 second'"), column, literal_column("'2000-01-01'"))
    return cast(func.strftime("%s", column), BigInteger)


def _bucket(column, width: int):
    """SQL: the UTC hour or quarter hour (`width` seconds) of a naive-UTC timestamp column: on
    PostgreSQL its start, on SQLite a count since 1970."""
    if _postgresql():
        return func.date_bin(literal_column(BINS[width]), column, literal_column("'2000-01-01'"))
    return _whole_second(column) // width


def _bucket_start(bucket, width: int):
    """SQL: the start of a `_bucket`, in seconds since 1970."""
    if _postgresql():
        return func.date_part(literal_column("'epoch'"), bucket, type_=Float)
    return bucket * width


def _offsets(lo: datetime, hi: datetime, tz: ZoneInfo) -> list[tuple[int, int]]:
    """The zone's offset from UTC, in seconds, at the start of each quarter hour of naive-UTC
    [lo, hi): a (start of the first quarter hour, offset) pair, in seconds since 1970, for each
    stretch with one offset, the first from lo's. Sampled hourly (no zone changes its offset
    twice within an hour), each change then found to its quarter hour."""

    def offset(bucket: int) -> int:
        return int(datetime.fromtimestamp(bucket * QUARTER_HOUR, tz).utcoffset().total_seconds())

    first = int(lo.replace(tzinfo=UTC).timestamp()) // QUARTER_HOUR
    last = (int(hi.replace(tzinfo=UTC).timestamp()) - 1) // QUARTER_HOUR
    stretches = [(first, offset(first))]
    before = first
    for sample in chain(range(first + 4, last, 4), [last]):
        if offset(sample) != stretches[-1][1]:
            after = sample
            while after - before > 1:  # offset(before) is the stretch's, offset(after) is not
                middle = (before + after) // 2
                if offset(middle) == stretches[-1][1]:
                    before = middle
                else:
                    after = middle
            stretches.append((after, offset(after)))
        before = sample
    return [(bucket * QUARTER_HOUR, seconds) for bucket, seconds in stretches]


def _local_day(bucket, width: int, offsets: list[tuple[int, int]]):
    """SQL: the account's local day of a `_bucket`, as days since 1970: the bucket's start moved
    by the zone's offset then, in whole days."""
    start = _bucket_start(bucket, width)
    if len(offsets) == 1:
        offset = offsets[0][1]
    else:
        offset = case(
            *(
                (start < literal(change, BigInteger), offset_before)
                for (change, _), (_, offset_before) in zip(offsets[1:], offsets[:-1], strict=True)
            ),
            else_=offsets[-1][1],
        )
    return (start + offset) // DAY


def _bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive-UTC [from, to) of local days start..end."""

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


@dataclass(frozen=True)
class _Period:
    """Naive-UTC [lo, hi) of a report's local days, the zone's offsets over it, and the buckets
    (`width` seconds) that fit its days: hours, unless the zone is not a whole number of hours
    from UTC or changes on a quarter hour."""

    lo: datetime
    hi: datetime
    offsets: list[tuple[int, int]]
    width: int

    @classmethod
    def of(cls, start: date, end: date, tz: ZoneInfo) -> "_Period":
        lo, hi = _bounds(start, end, tz)
        offsets = _offsets(lo, hi, tz)
        hours = all(seconds % HOUR == 0 for stretch in offsets for seconds in stretch)
        return cls(lo, hi, offsets, HOUR if hours else QUARTER_HOUR)

    def per_day(self, column, keys: tuple, counts: tuple, *where) -> list[tuple]:
        """(local day, *keys, *counts) of the rows whose `column` falls in the period and that
        match `where`: counted per UTC bucket and keys, then summed per local day in the same
        statement."""
        bucket = _bucket(column, self.width).label("bucket")
        by_bucket = (
            select(
                bucket,
                *(key.label(f"key_{i}") for i, key in enumerate(keys)),
                *(count.label(f"count_{i}") for i, count in enumerate(counts)),
            )
            .where(column >= self.lo, column < self.hi, *where)
            .group_by(bucket, *keys)
            .subquery("by_bucket")
        )
        day = _local_day(by_bucket.c.bucket, self.width, self.offsets).label("day")
        grouped = [by_bucket.c[f"key_{i}"] for i in range(len(keys))]
        rows = db.session.execute(
            select(
                day,
                *grouped,
                *(func.sum(by_bucket.c[f"count_{i}"]) for i in range(len(counts))),
            ).group_by(day, *grouped)
        )
        counted = 1 + len(keys)  # PostgreSQL sums counts as numeric, days as a float: ints both
        return [
            (EPOCH + timedelta(days=int(row[0])), *row[1:counted], *(int(n) for n in row[counted:]))
            for row in rows
        ]


def report(
    user: User, start: date, end: date, number_id: int | None = None, tag_id: int | None = None
) -> Report:
    """The report of local days start..end (both included) in the account's time zone, over
    the numbers the user may see, or one of them (NotFound for any other); with `tag_id`, of
    the conversations that carry that tag of the account (Invalid naming `tag` for another):
    their texts, openings, closings, first claims and replies, and the consent changes their
    texts made."""
    tz = zone(user.account.timezone)
    tag = tags.get(user, tag_id, field="tag") if tag_id is not None else None
    tagged = (
        select(ConversationTag.conversation_id).where(ConversationTag.tag_id == tag.id)
        if tag is not None
        else None
    )
    in_tag = [] if tagged is None else [Conversation.id.in_(tagged)]
    numbers = inbox.numbers_seen(user)  # the numbers whose figures the user sees
    # The numbers' ids themselves, not a subquery: the planner then reads the period's texts
    # without joining each one to its number.
    scope = [n.id for n in numbers]
    if number_id is not None:
        if number_id not in scope:
            raise NotFound("No such number.")
        scope = [number_id]
    span = _Period.of(start, end, tz)
    days = {
        start + timedelta(days=i): {
            "date": start + timedelta(days=i),
            **dict.fromkeys(DAY_FIELDS, 0),
        }
        for i in range((end - start).days + 1)
    }

    texts_in_tag = [] if tagged is None else [Message.conversation_id.in_(tagged)]
    failures, sent = _messages(scope, span, days, texts_in_tag)
    c = Conversation
    new = {ConversationSource.SMS: "new_sms", ConversationSource.WIDGET: "new_widget"}
    for day, source, count in span.per_day(
        c.created_at, (c.source,), (func.count(),), c.tracking_number_id.in_(scope), *in_tag
    ):
        if source in new:
            days[day][new[source]] += count
    for day, count in span.per_day(
        c.closed_at, (), (func.count(),), c.tracking_number_id.in_(scope), *in_tag
    ):
        days[day]["closed"] += count
    consent = {ConsentState.OPTED_OUT: "opt_outs", ConsentState.OPTED_IN: "opt_ins"}
    for day, state, count in span.per_day(
        ConsentEvent.created_at,
        (ConsentEvent.state,),
        (func.count(),),
        ConsentEvent.consent_id.in_(
            select(Consent.id).where(Consent.tracking_number_id.in_(scope))
        ),
        *(
            []
            if tagged is None
            else [ConsentEvent.message_id.in_(select(Message.id).where(*texts_in_tag))]
        ),
    ):
        if state in consent:
            days[day][consent[state]] += count

    opened = (
        c.tracking_number_id.in_(scope),
        c.created_at >= span.lo,
        c.created_at < span.hi,
        *in_tag,
    )
    claims_by = _firsts(opened, c.first_claimed_at, c.first_claimed_by_id)
    replies_by = _firsts(opened, c.first_replied_at, c.first_replied_by_id)
    claims = list(chain.from_iterable(claims_by.values()))
    replies = list(chain.from_iterable(replies_by.values()))
    day_list = list(days.values())
    totals = {name: sum(d[name] for d in day_list) for name in DAY_FIELDS}
    summary = {
        **totals,
        "new_conversations": totals["new_sms"] + totals["new_widget"],
        "claimed": len(claims),
        "claim_median": median(claims),
        "claim_p90": p90(claims),
        "replied": len(replies),
        "reply_median": median(replies),
        "reply_p90": p90(replies),
        "failures": sum(f["count"] for f in failures),
    }
    return Report(
        start=start,
        end=end,
        timezone=tz.key,
        number_id=number_id,
        days=day_list,
        summary=summary,
        failures=failures,
        agents=_agents(user, claims_by, replies_by, sent),
        numbers=numbers,
        tag=tag,
    )


def of_selection(user: User, chosen: dict) -> Report:
    """The report of the page's filters (`period`: a preset or "custom" with `start` and `end`
    ISO dates; `number`: an id or None; `tag`: an id or None); Invalid for bad dates or a tag not
    of the account, NotFound for a hidden number."""
    tz = zone(user.account.timezone)
    if chosen["period"] == "custom":
        start, end = period((chosen["start"], chosen["end"]), tz)
    else:
        start, end = period(chosen["period"], tz)
    return report(user, start, end, chosen["number"], chosen.get("tag"))


def _firsts(opened: tuple, at, by) -> dict[int | None, list[int]]:
    """Seconds from each conversation's opening to `at` (its first claim or first reply), per
    user who did it (`by`), for the conversations matching `opened`; those not yet, left out.
    Grouped in SQL by value: a period's many conversations come back as far fewer rows."""
    since = (_whole_second(at) - _whole_second(Conversation.created_at)).label("since")
    rows = db.session.execute(
        select(since, by, func.count()).where(*opened, at.is_not(None)).group_by(since, by)
    )
    found: dict[int | None, list[int]] = {}
    for value, user_id, count in rows:
        seconds = int(value.total_seconds()) if isinstance(value, timedelta) else value
        found.setdefault(user_id, []).extend([seconds] * count)
    return found


# Texts that have not left (still scheduled) or never will (cancelled before they left).
NOT_LEFT = (MessageStatus.SCHEDULED, MessageStatus.CANCELLED)


def _messages(scope, span: _Period, days: dict, where: list) -> tuple[list[dict], dict[int, int]]:
    """The period's texts (those matching `where` too): received and sent into the days, and
    the after-hours replies among those sent; returns the failures by status and provider error
    code, and the texts each user sent."""
    m = Message
    texts = (
        m.tracking_number_id.in_(scope),
        m.status.not_in(NOT_LEFT),  # a scheduled text counts on the day it leaves
        *where,
    )
    # Grouped by exactly the bucket and sender of the statistics of migration 0019 (the texts
    # received and the after-hours replies counted alongside, not grouped by): the planner then
    # expects a few thousand groups and counts them in parallel.
    received = func.count().filter(m.direction == Direction.INBOUND)
    after_hours = func.count().filter(m.purpose == Purpose.AFTER_HOURS)
    sent: dict[int, int] = {}
    for day, sent_by, count, inbound, replies_after_hours in span.per_day(
        m.created_at, (m.sent_by_id,), (func.count(), received, after_hours), *texts
    ):
        days[day]["received"] += inbound
        days[day]["sent"] += count - inbound
        days[day]["after_hours"] += replies_after_hours
        if sent_by is not None:
            sent[sent_by] = sent.get(sent_by, 0) + count - inbound
    failures = [
        {"status": status, "error_code": code or "", "reason": reason or "", "count": count}
        for status, code, reason, count in db.session.execute(
            select(m.status, m.error_code, func.max(m.error_message), func.count())
            .where(*texts, m.created_at >= span.lo, m.created_at < span.hi, text(FAILED_WHERE))
            .group_by(m.status, m.error_code)
        )
    ]
    failures.sort(key=lambda f: (-f["count"], f["status"], f["error_code"]))
    return failures, sent


def _agents(user: User, claims_by: dict, replies_by: dict, sent: dict[int, int]) -> list[dict]:
    """Per user of the account: conversations of the period they claimed first, answered first
    (with the median time to that first reply), and texts they sent in the period."""
    claimed = {user_id: len(values) for user_id, values in claims_by.items() if user_id}
    replies = {user_id: values for user_id, values in replies_by.items() if user_id}
    ids = set(claimed) | set(replies) | set(sent)
    if not ids:
        return []
    users = db.session.scalars(
        select(User).where(User.id.in_(ids), User.account_id == user.account_id)
    )
    rows = [
        {
            "user_id": u.id,
            "name": u.name,
            "email": u.email,
            "claimed": claimed.get(u.id, 0),
            "replied": len(replies.get(u.id, [])),
            "reply_median": median(replies.get(u.id, [])),
            "texts_sent": sent.get(u.id, 0),
        }
        for u in users
    ]
    return sorted(rows, key=lambda r: (r["name"].lower(), r["user_id"]))


TABLES = {
    "days": ("date",) + DAY_FIELDS,
    "agents": ("name", "email", "claimed", "replied", "reply_median_seconds", "texts_sent"),
    "failures": ("status", "error_code", "reason", "count"),
    "summary": ("figure", "value"),
}


def _summary_rows(rep: Report) -> list[tuple]:
    s = rep.summary
    return [
        ("texts_received", s["received"]),
        ("texts_sent", s["sent"]),
        ("new_conversations_sms", s["new_sms"]),
        ("new_conversations_widget", s["new_widget"]),
        ("conversations_closed", s["closed"]),
        ("opt_outs", s["opt_outs"]),
        ("opt_ins", s["opt_ins"]),
        ("after_hours_replies", s["after_hours"]),
        ("conversations_claimed", s["claimed"]),
        ("claim_median_seconds", s["claim_median"]),
        ("claim_p90_seconds", s["claim_p90"]),
        ("conversations_replied", s["replied"]),
        ("reply_median_seconds", s["reply_median"]),
        ("reply_p90_seconds", s["reply_p90"]),
        ("delivery_failures", s["failures"]),
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_for(rep: Report, table: str) -> list[list]:
    """The rows of one table of the report's CSV. Two header lines name the period and the time
    zone that days are counted in (and a third the tag, when the report is limited to one); then
    the column names and the rows. Durations are in seconds."""
    if table not in TABLES:
        raise Invalid("Unknown table.", {"table": [f"One of {', '.join(TABLES)}."]})
    if table == "days":
        rows = [[d["date"].isoformat()] + [d[f] for f in DAY_FIELDS] for d in rep.days]
    elif table == "agents":
        rows = [
            [a["name"], a["email"], a["claimed"], a["replied"], a["reply_median"], a["texts_sent"]]
            for a in rep.agents
        ]
    elif table == "failures":
        rows = [[f["status"], f["error_code"], f["reason"], f["count"]] for f in rep.failures]
    else:
        rows = _summary_rows(rep)
    limited = [["# tag", rep.tag.name]] if rep.tag is not None else []
    return [
        ["# period", rep.start.isoformat(), rep.end.isoformat()],
        ["# time zone", rep.timezone],
        *limited,
        list(TABLES[table]),
        *([_cell(v) for v in row] for row in rows),
    ]
