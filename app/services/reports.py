"""SMS reports (SPEC §2.8): day series, response times, failures and agents, as SQL aggregates.

Times are stored as naive UTC. Counts are grouped in SQL by UTC 15-minute bucket (every time zone
in use today is a whole number of quarter hours from UTC), and the few thousand buckets of a
period are folded into days of the account's time zone here, so the same code runs on SQLite and
PostgreSQL. Response times are measured per conversation, from its creation (the text that opened
it; a reopened contact starts a new conversation, so each cycle counts once), and are fetched as
one number per conversation — never message rows.
"""

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import BigInteger, Select, and_, case, cast, extract, func, select

from app.extensions import db
from app.models import Account, User
from app.models.contact import Consent, ConsentEvent
from app.models.conversation import Conversation, ConversationEvent, Message
from app.models.number import SmsUser, TrackingNumber
from app.services.errors import Invalid, NotFound

PRESETS = {"7": 7, "30": 30, "90": 90}
MAX_DAYS = 366
BUCKET = 900  # seconds: a UTC quarter hour
FAILED_STATUSES = ("failed", "undelivered", "blocked")
DAY_FIELDS = ("received", "sent", "new_sms", "new_widget", "closed", "opt_outs", "opt_ins")


def zone(name: str | None) -> ZoneInfo:
    """The account's time zone; UTC when unset or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def set_timezone(account: Account, name: str) -> Account:
    """Set the account's report time zone, an IANA name such as America/New_York."""
    name = (name or "").strip()
    if name not in available_timezones():
        raise Invalid("Unknown time zone.", {"timezone": ["Pick a time zone from the list."]})
    account.timezone = name
    db.session.commit()
    return account


def period(preset_or_dates, tz: ZoneInfo, today: date | None = None) -> tuple[date, date]:
    """The first and last local day (both included) of a preset ("7", "30", "90": the last N
    days, today included) or of a (start, end) pair of ISO dates; Invalid when they make none."""
    today = today or datetime.now(tz).date()
    if isinstance(preset_or_dates, str):
        if preset_or_dates not in PRESETS:
            raise Invalid("Unknown period.", {"period": ["Choose 7, 30 or 90 days, or dates."]})
        return today - timedelta(days=PRESETS[preset_or_dates] - 1), today
    start, end = preset_or_dates
    errors = {}
    parsed = {}
    for name, value in (("start", start), ("end", end)):
        try:
            parsed[name] = value if isinstance(value, date) else date.fromisoformat(value or "")
        except ValueError:
            errors[name] = ["Enter a date as YYYY-MM-DD."]
    if not errors and parsed["start"] > parsed["end"]:
        errors["end"] = ["The end must not be before the start."]
    if not errors and (parsed["end"] - parsed["start"]).days >= MAX_DAYS:
        errors["end"] = [f"A report covers at most {MAX_DAYS} days."]
    if errors:
        raise Invalid("Check the dates of the period.", errors)
    return parsed["start"], parsed["end"]


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


def visible_numbers(user: User) -> Select:
    """The ids of the numbers whose figures the user may see: every number of an admin's account;
    for others, the numbers they are SMS users of (SPEC §2.6)."""
    query = select(TrackingNumber.id).where(TrackingNumber.account_id == user.account_id)
    if user.is_admin:
        return query
    return query.where(
        TrackingNumber.id.in_(select(SmsUser.tracking_number_id).where(SmsUser.user_id == user.id))
    )


def report_numbers(user: User) -> list[TrackingNumber]:
    """The numbers a user may filter a report to."""
    return list(
        db.session.scalars(
            select(TrackingNumber)
            .where(TrackingNumber.id.in_(visible_numbers(user)))
            .order_by(TrackingNumber.label, TrackingNumber.id)
        )
    )


def _epoch(column):
    """SQL: a naive-UTC timestamp column as whole seconds since 1970."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), BigInteger)


def _bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive-UTC [from, to) of local days start..end."""

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    return utc(start), utc(end + timedelta(days=1))


def _fold(rows, tz: ZoneInfo, days: dict[date, dict], name_of) -> None:
    """Add (bucket, key, count) rows into local days; name_of(key) → the day field or None."""
    for bucket, key, count in rows:
        name = name_of(key)
        local = datetime.fromtimestamp(int(bucket) * BUCKET, UTC).astimezone(tz).date()
        if name and local in days:
            days[local][name] += count


def report(user: User, start: date, end: date, number_id: int | None = None) -> Report:
    """The report of local days start..end (both included) in the account's time zone, over
    the numbers the user may see, or one of them (NotFound for any other)."""
    tz = zone(user.account.timezone)
    numbers = report_numbers(user)
    scope = visible_numbers(user)
    if number_id is not None:
        if number_id not in {n.id for n in numbers}:
            raise NotFound("No such number.")
        scope = select(TrackingNumber.id).where(TrackingNumber.id == number_id)
    lo, hi = _bounds(start, end, tz)
    days = {
        start + timedelta(days=i): {
            "date": start + timedelta(days=i),
            **dict.fromkeys(DAY_FIELDS, 0),
        }
        for i in range((end - start).days + 1)
    }

    def bucketed(column, key, *where, join=None):
        bucket = (_epoch(column) // BUCKET).label("bucket")
        query = select(bucket, key, func.count())
        if join is not None:
            query = query.select_from(join)
        return db.session.execute(
            query.where(column >= lo, column < hi, *where).group_by(bucket, key)
        ).all()

    failures, sent = _messages(scope, lo, hi, tz, days)
    _fold(
        bucketed(
            Conversation.created_at, Conversation.source, Conversation.tracking_number_id.in_(scope)
        ),
        tz,
        days,
        {"sms": "new_sms", "widget": "new_widget"}.get,
    )
    _fold(
        bucketed(
            Conversation.closed_at,
            Conversation.status,
            Conversation.tracking_number_id.in_(scope),
            Conversation.closed_at.is_not(None),
        ),
        tz,
        days,
        lambda _status: "closed",
    )
    _fold(
        bucketed(
            ConsentEvent.created_at,
            ConsentEvent.state,
            Consent.tracking_number_id.in_(scope),
            join=ConsentEvent.__table__.join(
                Consent.__table__, ConsentEvent.consent_id == Consent.id
            ),
        ),
        tz,
        days,
        {"opted_out": "opt_outs", "opted_in": "opt_ins"}.get,
    )

    cycles = _cycles(scope, lo, hi)
    claims = [c["to_claim"] for c in cycles if c["to_claim"] is not None]
    replies = [c["to_reply"] for c in cycles if c["to_reply"] is not None]
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
        agents=_agents(user, cycles, sent),
        numbers=numbers,
    )


def _cycles(scope, lo: datetime, hi: datetime) -> list[dict]:
    """Per conversation opened in [lo, hi): seconds to its first claim and to its first reply
    (first outbound text, auto-replies excluded), and who did each; None when not yet.

    The firsts are ranked with a window function in one pass over each table (a claim or reply
    is never older than its conversation, so only rows from `lo` on are read)."""
    c, e, m = Conversation, ConversationEvent, Message

    def first(columns, *where, partition, order):
        rank = func.row_number().over(partition_by=partition, order_by=order).label("rank")
        return select(*columns, rank).where(*where).subquery()

    claims = first(
        (e.conversation_id, e.created_at, e.user_id),
        e.type == "claimed",
        e.created_at >= lo,
        partition=e.conversation_id,
        order=(e.created_at, e.id),
    )
    replies = first(
        (m.conversation_id, m.created_at, m.sent_by_id),
        m.tracking_number_id.in_(scope),
        m.direction == "outbound",
        m.kind == "text",
        m.created_at >= lo,
        partition=m.conversation_id,
        order=(m.created_at, m.id),
    )
    opened = _epoch(c.created_at)
    rows = db.session.execute(
        select(
            _epoch(claims.c.created_at) - opened,
            claims.c.user_id,
            _epoch(replies.c.created_at) - opened,
            replies.c.sent_by_id,
        )
        .select_from(c)
        .outerjoin(claims, and_(claims.c.conversation_id == c.id, claims.c.rank == 1))
        .outerjoin(replies, and_(replies.c.conversation_id == c.id, replies.c.rank == 1))
        .where(c.tracking_number_id.in_(scope), c.created_at >= lo, c.created_at < hi)
    ).all()
    return [
        {"to_claim": to_claim, "claimer": by_claim, "to_reply": to_reply, "replier": by_reply}
        for to_claim, by_claim, to_reply, by_reply in rows
    ]


def _messages(scope, lo, hi, tz: ZoneInfo, days: dict) -> tuple[list[dict], dict[int, int]]:
    """One pass over the period's texts: received and sent into the days; returns the failures
    by status and provider error code, and the texts each user sent."""
    m = Message
    failed = m.status.in_(FAILED_STATUSES)
    bucket = (_epoch(m.created_at) // BUCKET).label("bucket")
    status = case((failed, m.status)).label("failed_status")
    code = case((failed, m.error_code)).label("failed_code")
    rows = db.session.execute(
        select(
            bucket,
            m.direction,
            m.sent_by_id,
            status,
            code,
            func.max(case((failed, m.error_message))),
            func.count(),
        )
        .where(m.tracking_number_id.in_(scope), m.created_at >= lo, m.created_at < hi)
        .group_by(bucket, m.direction, m.sent_by_id, status, code)
    ).all()
    failures: dict[tuple, dict] = {}
    sent: dict[int, int] = {}
    for bucket_, direction, sent_by, status_, code_, reason, count in rows:
        local = datetime.fromtimestamp(int(bucket_) * BUCKET, UTC).astimezone(tz).date()
        days[local]["received" if direction == "inbound" else "sent"] += count
        if direction == "outbound" and sent_by is not None:
            sent[sent_by] = sent.get(sent_by, 0) + count
        if status_:
            f = failures.setdefault(
                (status_, code_ or ""),
                {"status": status_, "error_code": code_ or "", "reason": "", "count": 0},
            )
            f["count"] += count
            f["reason"] = max(f["reason"], reason or "")
    ordered = sorted(failures.values(), key=lambda f: (-f["count"], f["status"], f["error_code"]))
    return ordered, sent


def _agents(user: User, cycles: list[dict], sent: dict[int, int]) -> list[dict]:
    """Per user of the account: conversations of the period they claimed first, answered first
    (with the median time to that first reply), and texts they sent in the period."""
    claimed: dict[int, int] = {}
    replies: dict[int, list[int]] = {}
    for cycle in cycles:
        if cycle["claimer"] is not None:
            claimed[cycle["claimer"]] = claimed.get(cycle["claimer"], 0) + 1
        if cycle["replier"] is not None and cycle["to_reply"] is not None:
            replies.setdefault(cycle["replier"], []).append(cycle["to_reply"])
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


def csv_for(rep: Report, table: str) -> str:
    """One table of the report as CSV. Two header lines name the period and the time zone that
    days are counted in; then the column names and the rows. Durations are in seconds."""
    if table not in TABLES:
        raise Invalid("Unknown table.", {"table": [f"One of {', '.join(TABLES)}."]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["# period", rep.start.isoformat(), rep.end.isoformat()])
    writer.writerow(["# time zone", rep.timezone])
    writer.writerow(TABLES[table])
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
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
