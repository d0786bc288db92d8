"""SMS reports against a hand-made week whose every figure was worked out by hand.

The week is Monday 2026-01-12 to Sunday 2026-01-18 in America/New_York (EST, UTC−5, no DST
change). Rows are written directly with exact times; `at(day, h, m, s)` is local time of January.

Main line (Bob, Cat):
  C0  opened Sun 11th 23:59 (before the period; Bob claims it inside the period: not a cycle)
  C1  SMS, Mon 09:00  auto-reply +1 s, claimed by Bob +60 s, Bob replies +120 s, closed 10:00;
      the contact's first text is an opt-in
  C2  SMS, Mon 11:00  the same contact again after the close: a new cycle;
      claimed by Cat +300 s, Cat replies +600 s
  C3  widget, Tue 23:30 (Wed 04:30 UTC)  claimed by Bob +120 s, Bob replies +180 s,
      closed Wed 08:00
  C4  SMS, Thu 08:00  claimed by Cat +30 s, no reply; STOP at 08:05 (auto-reply +1 s);
      START Sun 10:00 (auto-reply +1 s)
  C5  SMS, Fri 12:00  claimed by Bob +900 s, Bob replies +1200 s, a second text at 12:30 fails
      (30003)
  C7  opened Mon 19th 00:30 (after the period)
  Saturday: nothing at all.
Back line (Dan only):
  C6  SMS, Mon 12:00  claimed by Dan +10 s, Dan replies +20 s
Other Co: one conversation on Monday, one text in.

Admin, whole account: claims 10, 30, 60, 120, 300, 900 s (even count: median (60+120)/2 = 90,
p90 rank ⌈5.4⌉ = 6 → 900); first replies 20, 120, 180, 600, 1200 s (odd: median 180, p90 rank
⌈4.5⌉ = 5 → 1200). Bob (Main line only): claims 30, 60, 120, 300, 900 → median 120, p90 900;
replies 120, 180, 600, 1200 → median (180+600)/2 = 390, p90 rank ⌈3.6⌉ = 4 → 1200.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from app import tasks
from app.extensions import db
from app.models import (
    Account,
    Consent,
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    ConversationTag,
    Message,
    Tag,
    TrackingNumber,
    User,
)
from app.services import reports
from app.services.errors import Invalid, NotFound
from tests.support import NUM

BACK = "+15005550102"
OTHER = "+15005550103"
WEEK = "period=custom&start=2026-01-12&end=2026-01-18"
ZERO = dict.fromkeys(reports.DAY_FIELDS, 0)
SECOND = timedelta(seconds=1)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Naive UTC of a New York (EST) time in January 2026."""
    return datetime(2026, 1, day, hour, minute, second) + timedelta(hours=5)


class Week:
    """Writes the week's rows."""

    def __init__(self, account_id: int):
        self.account_id = account_id
        self.users = {u.first_name.lower(): u.id for u in db.session.query(User)}
        self.contacts: dict[str, Contact] = {}

    def contact(self, phone: str) -> Contact:
        if phone not in self.contacts:
            self.contacts[phone] = Contact(account_id=self.account_id, phone=phone)
            db.session.add(self.contacts[phone])
            db.session.flush()
        return self.contacts[phone]

    def conversation(self, number, phone, opened, source="sms", closed=None) -> Conversation:
        c = Conversation(
            account_id=self.account_id,
            tracking_number_id=number.id,
            contact_id=self.contact(phone).id,
            source=source,
            status="closed" if closed else "open",
            closed_at=closed,
            created_at=opened,
            last_message_at=opened,
        )
        db.session.add(c)
        db.session.flush()
        self.text_in(c, opened)
        if closed:
            self.event(c, "closed", None, closed)
        return c

    def text_in(self, c: Conversation, when: datetime, body: str = "Hello") -> None:
        db.session.add(
            Message(
                tracking_number_id=c.tracking_number_id,
                conversation_id=c.id,
                direction="inbound",
                body=body,
                from_number="+15005550199",
                to_number=NUM,
                status="received",
                created_at=when,
            )
        )

    def text_out(self, c, when, by=None, kind="text", status="delivered", error=None) -> None:
        if kind == "text" and c.first_replied_at is None:  # as the send service keeps it
            c.first_replied_at, c.first_replied_by_id = when, self.users[by] if by else None
        db.session.add(
            Message(
                tracking_number_id=c.tracking_number_id,
                conversation_id=c.id,
                direction="outbound",
                kind=kind,
                body="Reply",
                from_number=NUM,
                to_number="+15005550199",
                status=status,
                error_code=error and error[0],
                error_message=error and error[1],
                sent_by_id=self.users[by] if by else None,
                created_at=when,
            )
        )

    def event(self, c, type_, by, when) -> None:
        if type_ == "claimed" and c.first_claimed_at is None:  # as the claim service keeps it
            c.first_claimed_at, c.first_claimed_by_id = when, self.users[by]
        db.session.add(
            ConversationEvent(
                conversation_id=c.id,
                type=type_,
                user_id=self.users[by] if by else None,
                created_at=when,
            )
        )

    def claim(self, c, by, seconds) -> None:
        self.event(c, "claimed", by, c.created_at + timedelta(seconds=seconds))

    def reply(self, c, by, seconds) -> None:
        self.text_out(c, c.created_at + timedelta(seconds=seconds), by=by)

    def consent(self, number, phone, state, when) -> None:
        contact = self.contact(phone)
        consent = db.session.query(Consent).filter_by(
            contact_id=contact.id, tracking_number_id=number.id
        ).one_or_none() or Consent(contact_id=contact.id, tracking_number_id=number.id)
        consent.state = state
        db.session.add(consent)
        db.session.flush()
        source = "first_text" if state == "opted_in" and not consent.events else "keyword"
        db.session.add(
            ConsentEvent(consent_id=consent.id, state=state, source=source, created_at=when)
        )
        db.session.flush()


@pytest.fixture
def week(app, acme):
    """The hand-made week (see the module docstring); returns the numbers' ids."""
    acme.number("Acme Plumbing", BACK, sms_users=["dan@acme.test"], label="Back line")
    acme.number("Other Co", OTHER, sms_users=["eve@other.test"], label="Other line")
    from app.models import TrackingNumber

    with app.app_context():
        acme_account = Account.by_name("Acme Plumbing")
        acme_account.timezone = "America/New_York"
        main, back, other = (TrackingNumber.by_number(n) for n in (NUM, BACK, OTHER))
        w = Week(acme_account.id)
        a, b = "+15005550111", "+15005550112"

        c0 = w.conversation(main, "+15005550110", at(11, 23, 59))
        w.event(c0, "claimed", "bob", at(12, 0, 10))

        c1 = w.conversation(main, a, at(12, 9), closed=at(12, 10))
        w.consent(main, a, "opted_in", at(12, 9))
        w.text_out(c1, at(12, 9, 0, 1), kind="auto")
        w.claim(c1, "bob", 60)
        w.reply(c1, "bob", 120)

        c2 = w.conversation(main, a, at(12, 11))
        w.claim(c2, "cat", 300)
        w.reply(c2, "cat", 600)

        c3 = w.conversation(main, b, at(13, 23, 30), source="widget", closed=at(14, 8))
        w.claim(c3, "bob", 120)
        w.reply(c3, "bob", 180)

        c4 = w.conversation(main, "+15005550113", at(15, 8))
        w.claim(c4, "cat", 30)
        w.text_in(c4, at(15, 8, 5), "STOP")
        w.consent(main, "+15005550113", "opted_out", at(15, 8, 5))
        w.text_out(c4, at(15, 8, 5, 1), kind="auto")
        w.text_in(c4, at(18, 10), "START")
        w.consent(main, "+15005550113", "opted_in", at(18, 10))
        w.text_out(c4, at(18, 10, 0, 1), kind="auto")

        c5 = w.conversation(main, "+15005550114", at(16, 12))
        w.claim(c5, "bob", 900)
        w.reply(c5, "bob", 1200)
        w.text_out(
            c5, at(16, 12, 30), by="bob", status="failed", error=("30003", "Unreachable handset")
        )

        w.conversation(main, "+15005550115", at(19, 0, 30))

        c6 = w.conversation(back, "+15005550116", at(12, 12))
        w.claim(c6, "dan", 10)
        w.reply(c6, "dan", 20)

        other_account = Account.by_name("Other Co")
        Week(other_account.id).conversation(other, "+15005550117", at(12, 9))
        db.session.commit()
        return {"main": main.id, "back": back.id, "other": other.id}


def day(d: int, **figures) -> dict:
    return {"date": date(2026, 1, d), **ZERO, **figures}


ADMIN_DAYS = [
    day(12, received=3, sent=4, new_sms=3, closed=1, opt_ins=1),
    day(13, received=1, sent=1, new_widget=1),
    day(14, closed=1),
    day(15, received=2, sent=1, new_sms=1, opt_outs=1),
    day(16, received=1, sent=2, new_sms=1),
    day(17),
    day(18, received=1, sent=1, opt_ins=1),
]


def run(app, email: str, number_id: int | None = None) -> reports.Report:
    with app.app_context():
        user = User.by_email(email)
        return reports.report(user, date(2026, 1, 12), date(2026, 1, 18), number_id)


def test_admin_day_series_equals_the_hand_count(app, week):
    assert run(app, "admin@acme.test").days == ADMIN_DAYS


def test_text_at_2330_local_counts_on_its_local_day_and_on_the_next_in_utc(app, week):
    with app.app_context():
        Account.by_name("Acme Plumbing").timezone = "UTC"
        db.session.commit()
    days = {d["date"].day: d for d in run(app, "admin@acme.test").days}
    # C3 opened 04:30 UTC on Wednesday; in New York it was Tuesday 23:30.
    assert days[13]["new_widget"] == 0
    assert days[14]["new_widget"] == 1
    assert days[14]["received"] == 1
    # C0 (Sun 23:59 in New York) is Monday 04:59 UTC: inside the UTC week.
    assert days[12]["new_sms"] == 4


def test_admin_medians_and_p90_even_and_odd_counts(app, week):
    s = run(app, "admin@acme.test").summary
    assert (s["claimed"], s["claim_median"], s["claim_p90"]) == (6, 90, 900)
    assert (s["replied"], s["reply_median"], s["reply_p90"]) == (5, 180, 1200)


def test_agent_figures_cover_only_their_numbers(app, week):
    rep = run(app, "bob@acme.test")
    s = rep.summary
    assert (s["claimed"], s["claim_median"], s["claim_p90"]) == (5, 120, 900)
    assert (s["replied"], s["reply_median"], s["reply_p90"]) == (4, 390, 1200)
    assert rep.days[0] == day(12, received=2, sent=3, new_sms=2, closed=1, opt_ins=1)
    assert [n.label for n in rep.numbers] == ["Main line"]
    assert "dan@acme.test" not in {a["email"] for a in rep.agents}


def test_reopened_conversation_is_its_own_cycle(app, week):
    # C1 and C2 are the same contact on the same number: two claims, two first replies.
    rep = run(app, "cat@acme.test", week["main"])
    cat = next(a for a in rep.agents if a["email"] == "cat@acme.test")
    bob = next(a for a in rep.agents if a["email"] == "bob@acme.test")
    assert (cat["claimed"], cat["replied"], cat["reply_median"], cat["texts_sent"]) == (
        2,
        1,
        600,
        1,
    )
    assert (bob["claimed"], bob["replied"], bob["reply_median"], bob["texts_sent"]) == (
        3,
        3,
        180,
        4,
    )


def test_failures_by_reason(app, week):
    assert run(app, "admin@acme.test").failures == [
        {"status": "failed", "error_code": "30003", "reason": "Unreachable handset", "count": 1}
    ]


def test_totals(app, week):
    s = run(app, "admin@acme.test").summary
    figures = ("received", "sent", "new_sms", "new_widget", "closed", "opt_outs", "opt_ins")
    assert {k: s[k] for k in figures} == {
        "received": 8,
        "sent": 9,
        "new_sms": 5,
        "new_widget": 1,
        "closed": 2,
        "opt_outs": 1,
        "opt_ins": 2,
    }
    assert s["failures"] == 1


def test_agent_cannot_filter_to_a_number_they_are_not_on(app, week, browser):
    with pytest.raises(NotFound):
        run(app, "bob@acme.test", week["back"])
    r = browser("bob@acme.test").get(f"/admin/reports?{WEEK}&number={week['back']}")
    assert r.status_code == 404
    r = browser("bob@acme.test").get(f"/admin/reports.csv?table=days&{WEEK}&number={week['back']}")
    assert r.status_code == 404


def test_agent_on_no_number_sees_zeros(app, week):
    rep = run(app, "ivy@acme.test")
    assert rep.days == [day(d) for d in range(12, 19)]
    assert rep.agents == [] and rep.failures == [] and rep.summary["claim_median"] is None


def test_another_account_sees_only_its_own(app, week, browser):
    rep = run(app, "eve@other.test")
    assert rep.summary["received"] == 1 and rep.summary["new_sms"] == 1
    assert rep.agents == [] and rep.failures == []
    with pytest.raises(NotFound):
        run(app, "eve@other.test", week["main"])
    assert browser("eve@other.test").get(f"/admin/reports?number={week['main']}").status_code == 404


def figures(html: str) -> dict:
    """The summary figures of the page, as numbers (durations from their data-seconds)."""
    out = {}
    for name, value in re.findall(r'data-figure="(\w+)"(?: data-seconds="([^"]*)")?', html):
        out[name] = value
    for name, count in re.findall(r'data-figure="(\w+)">(\d+)<', html):
        out[name] = count
    return out


def page_days(html: str) -> dict:
    """Every day's figures from the charts' tables."""
    days: dict[str, dict] = {}
    for d, cells in re.findall(r'<th scope="row">(\d{4}-\d\d-\d\d)</th>(.*?)</tr>', html):
        for name, value in re.findall(r'data-field="(\w+)">(\d+)<', cells):
            days.setdefault(d, {})[name] = value
    return days


def rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


def test_page_shows_the_figures_and_the_zone(week, browser):
    r = browser("admin@acme.test").get(f"/admin/reports?{WEEK}")
    assert r.status_code == 200
    f = figures(r.text)
    assert (f["received"], f["sent"], f["claim_median"], f["reply_p90"]) == ("8", "9", "90", "1200")
    assert "America/New_York" in r.text
    assert page_days(r.text)["2026-01-17"] == dict.fromkeys(reports.DAY_FIELDS, "0")
    assert "<svg" in r.text and "style=" not in r.text.split("<main>")[1]
    assert "cdn" not in r.text.lower()


def test_csv_equals_the_page(week, browser):
    b = browser("admin@acme.test")
    html = b.get(f"/admin/reports?{WEEK}").text
    days = rows(b.get(f"/admin/reports.csv?table=days&{WEEK}").text)
    assert days[:2] == [
        ["# period", "2026-01-12", "2026-01-18"],
        ["# time zone", "America/New_York"],
    ]
    header, *data = days[2:]
    assert header == ["date", *reports.DAY_FIELDS]
    assert {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in data} == page_days(html)
    summary = dict(rows(b.get(f"/admin/reports.csv?table=summary&{WEEK}").text)[3:])
    f = figures(html)
    assert summary["texts_received"] == f["received"]
    assert summary["conversations_closed"] == f["closed"]
    assert summary["claim_median_seconds"] == f["claim_median"] == "90"
    assert summary["reply_median_seconds"] == f["reply_median"] == "180"
    assert summary["claim_p90_seconds"] == f["claim_p90"] == "900"
    agents = rows(b.get(f"/admin/reports.csv?table=agents&{WEEK}").text)[2:]
    assert agents[0] == [
        "name",
        "email",
        "claimed",
        "replied",
        "reply_median_seconds",
        "texts_sent",
    ]
    assert ["Bob Tester", "bob@acme.test", "3", "3", "180", "4"] in agents
    failures = rows(b.get(f"/admin/reports.csv?table=failures&{WEEK}").text)[3:]
    assert failures == [["failed", "30003", "Unreachable handset", "1"]]


def test_agent_page_and_csv_show_only_their_numbers(week, browser):
    b = browser("bob@acme.test")
    html = b.get(f"/admin/reports?{WEEK}").text
    assert figures(html)["received"] == "7"
    assert "Back line" not in html
    summary = dict(rows(b.get(f"/admin/reports.csv?table=summary&{WEEK}").text)[3:])
    assert summary["texts_received"] == "7"
    assert summary["reply_median_seconds"] == "390"


@pytest.mark.parametrize(
    "query",
    [
        "period=custom&start=2026-01-18&end=2026-01-12",
        "period=custom&start=2026-02-30&end=2026-03-01",
        "period=custom&start=&end=2026-03-01",
        "period=custom&start=2024-01-01&end=2026-01-01",
    ],
)
def test_bad_dates_get_422(week, browser, query):
    assert browser("admin@acme.test").get(f"/admin/reports?{query}").status_code == 422


def test_unknown_csv_table_gets_422(week, browser):
    r = browser("admin@acme.test").get(f"/admin/reports.csv?table=messages&{WEEK}")
    assert r.status_code == 422


def test_presets_count_back_from_today_in_the_zone():
    tz = reports.zone("America/New_York")
    today = date(2026, 1, 18)
    assert reports.period("7", tz, today) == (date(2026, 1, 12), today)
    assert reports.period("90", tz, today) == (date(2025, 10, 21), today)
    assert reports.period(("2026-01-01", "2026-01-01"), tz) == (date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(Invalid):
        reports.period("365", tz, today)


@pytest.mark.parametrize(
    ("values", "mid", "p90"),
    [
        ([], None, None),
        ([5], 5, 5),
        ([3, 1], 2, 3),
        ([4, 1, 3], 3, 4),
        (list(range(1, 11)), 5.5, 9),
    ],
)
def test_median_and_nearest_rank_p90(values, mid, p90):
    assert reports.median(values) == mid
    assert reports.p90(values) == p90


def test_admin_sets_the_time_zone_and_days_follow_it(app, week, browser):
    b = browser("admin@acme.test")
    assert b.post("/admin/reports/timezone", timezone="Mars/Olympus").status_code == 422
    r = b.post("/admin/reports/timezone", timezone="UTC")
    assert r.status_code == 200
    with app.app_context():
        assert Account.by_name("Acme Plumbing").timezone == "UTC"
    days = page_days(b.get(f"/admin/reports?{WEEK}").text)
    assert days["2026-01-14"]["new_widget"] == "1"


def test_agent_cannot_set_the_time_zone(app, week, browser):
    r = browser("bob@acme.test").post("/admin/reports/timezone", timezone="UTC")
    assert r.status_code == 403
    with app.app_context():
        assert Account.by_name("Acme Plumbing").timezone == "America/New_York"


def test_reports_link_in_the_nav_for_agents(week, browser):
    assert 'href="/reports"' in browser("bob@acme.test").get("/conversations").text


@pytest.mark.parametrize("base", ["/reports", "/admin/reports"])
def test_reports_answer_at_their_own_address_and_at_their_first_one(week, browser, base):
    admin = browser("admin@acme.test").client
    whole = admin.get(f"{base}?{WEEK}")
    back = admin.get(f"{base}?{WEEK}&number={week['back']}")
    assert (whole.status_code, back.status_code) == (200, 200)
    assert page_days(whole.text)["2026-01-12"]["new_sms"] == "3"
    assert page_days(back.text)["2026-01-12"]["new_sms"] == "1"
    download = rows(admin.get(f"{base}.csv?table=days&{WEEK}&number={week['back']}").text)
    assert download[0] == ["# period", "2026-01-12", "2026-01-18"]
    assert download[3][:4] == ["2026-01-12", "1", "1", "1"]


@pytest.mark.parametrize("base", ["/reports", "/admin/reports"])
def test_the_time_zone_is_set_at_either_address(app, week, browser, base):
    r = browser("admin@acme.test").post(f"{base}/timezone", timezone="UTC")
    assert r.status_code == 200
    assert "Reports now count days in UTC." in r.text
    with app.app_context():
        assert Account.by_name("Acme Plumbing").timezone == "UTC"


def test_the_first_claim_and_first_agent_text_count_not_later_ones(app, api, conversation_id):
    """Through the services: Bob claims and releases, Cat claims and answers, Bob answers too.
    The welcome auto-reply is no answer; the cycle's claim is Bob's and its reply Cat's."""
    bob, cat = api("bob@acme.test"), api("cat@acme.test")
    path = f"/conversations/{conversation_id}"
    assert bob.post(f"{path}/claim").status_code == 200
    assert bob.post(f"{path}/release").status_code == 200
    assert cat.post(f"{path}/claim").status_code == 200
    assert cat.post(f"{path}/messages", json={"body": "On it"}).status_code == 201
    with app.app_context():
        bob_id = User.by_email("bob@acme.test").id
    assert cat.post(f"{path}/participants", json={"user_id": bob_id}).status_code == 200
    assert bob.post(f"{path}/messages", json={"body": "Me too"}).status_code == 201
    with app.app_context():
        admin = User.by_email("admin@acme.test")
        today = reports.period("7", reports.zone(None))[1]
        rep = reports.report(admin, today, today)
    agents = {a["email"]: a for a in rep.agents}
    assert (rep.summary["claimed"], rep.summary["replied"]) == (1, 1)
    assert (agents["bob@acme.test"]["claimed"], agents["bob@acme.test"]["replied"]) == (1, 0)
    assert (agents["cat@acme.test"]["claimed"], agents["cat@acme.test"]["replied"]) == (0, 1)
    assert agents["bob@acme.test"]["texts_sent"] == 1


# -- a report limited to one tag (SPEC §2.10) ------------------------------------------------------


@pytest.fixture
def follow_up(app, week) -> int:
    """A tag "Follow-up" on C4 (STOP and START, each consent change linked to its text, as the
    keyword service records them) and C5 (a failed text); returns its id."""
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        tag = Tag(account_id=account.id, name="Follow-up", color="orange")
        db.session.add(tag)
        db.session.flush()
        for phone in ("+15005550113", "+15005550114"):
            contact = db.session.query(Contact).filter_by(phone=phone).one()
            c = db.session.query(Conversation).filter_by(contact_id=contact.id).one()
            db.session.add(ConversationTag(conversation_id=c.id, tag_id=tag.id))
        texts = {
            m.body: m.id
            for m in db.session.query(Message).filter(Message.body.in_(["STOP", "START"]))
        }
        for event in db.session.query(ConsentEvent).filter(ConsentEvent.source == "keyword"):
            event.message_id = texts["STOP" if event.state == "opted_out" else "START"]
        db.session.commit()
        return tag.id


def test_a_report_limited_to_a_tag_counts_only_its_conversations(app, follow_up):
    with app.app_context():
        admin = User.by_email("admin@acme.test")
        rep = reports.report(admin, date(2026, 1, 12), date(2026, 1, 18), tag_id=follow_up)
    assert rep.days == [
        day(12),
        day(13),
        day(14),
        day(15, received=2, sent=1, new_sms=1, opt_outs=1),
        day(16, received=1, sent=2, new_sms=1),
        day(17),
        day(18, received=1, sent=1, opt_ins=1),
    ]
    s = rep.summary
    assert (s["claimed"], s["claim_median"], s["replied"], s["reply_median"]) == (2, 465, 1, 1200)
    assert s["failures"] == 1
    assert [(a["email"], a["claimed"], a["replied"], a["texts_sent"]) for a in rep.agents] == [
        ("bob@acme.test", 1, 1, 2),
        ("cat@acme.test", 1, 0, 0),
    ]


def test_a_tag_report_keeps_to_the_numbers_the_agent_sees(app, follow_up):
    with app.app_context():
        dan = User.by_email("dan@acme.test")
        rep = reports.report(dan, date(2026, 1, 12), date(2026, 1, 18), tag_id=follow_up)
    assert rep.days == [day(d) for d in range(12, 19)]
    assert rep.agents == []


def test_another_accounts_tag_limits_no_report(app, follow_up):
    with app.app_context():
        eve = User.by_email("eve@other.test")
        with pytest.raises(Invalid) as refused:
            reports.report(eve, date(2026, 1, 12), date(2026, 1, 18), tag_id=follow_up)
    assert "tag" in refused.value.fields


def test_the_page_and_csv_limited_to_a_tag_name_it(follow_up, browser):
    b = browser("admin@acme.test")
    html = b.get(f"/reports?{WEEK}&tag={follow_up}").text
    assert figures(html)["received"] == "4"
    assert f'<option value="{follow_up}" selected>Follow-up</option>' in html
    days = rows(b.get(f"/reports.csv?table=days&{WEEK}&tag={follow_up}").text)
    assert days[2] == ["# tag", "Follow-up"]
    summary = dict(rows(b.get(f"/reports.csv?table=summary&{WEEK}&tag={follow_up}").text)[4:])
    assert summary["texts_received"] == "4" and summary["opt_outs"] == "1"


@pytest.mark.parametrize("tag", ["abc", "999999", "2147483648"])
def test_a_tag_that_is_none_of_the_accounts_gets_422_naming_it(follow_up, browser, tag):
    r = browser("admin@acme.test").get(f"/reports?{WEEK}&tag={tag}")
    assert r.status_code == 422 and re.search(r"\btag: ", r.text, re.IGNORECASE)


# -- after-hours replies (SPEC §2.12) ----------------------------------------------------------


@pytest.fixture
def after_hours(app, week) -> None:
    """The week plus after-hours replies: on C2 (Main line) Tuesday 19:00 and Sunday 22:30, and
    one on Other Co's conversation on Tuesday."""
    with app.app_context():
        for phone, when in (
            ("+15005550111", at(13, 19)),
            ("+15005550111", at(18, 22, 30)),
            ("+15005550117", at(13, 19)),
        ):
            contact = db.session.query(Contact).filter_by(phone=phone).one()
            c = (
                db.session.query(Conversation)
                .filter_by(contact_id=contact.id)
                .order_by(Conversation.id.desc())
                .first()
            )
            db.session.add(
                Message(
                    tracking_number_id=c.tracking_number_id,
                    conversation_id=c.id,
                    direction="outbound",
                    kind="auto",
                    purpose="after_hours",
                    body="Closed now",
                    from_number=NUM,
                    to_number=phone,
                    status="delivered",
                    created_at=when,
                )
            )
        db.session.commit()


def test_after_hours_replies_are_counted_on_their_local_day(app, after_hours):
    rep = run(app, "admin@acme.test")
    assert [(d["date"].day, d["after_hours"], d["sent"]) for d in rep.days] == [
        (12, 0, 4),
        (13, 1, 2),
        (14, 0, 0),
        (15, 0, 1),
        (16, 0, 2),
        (17, 0, 0),
        (18, 1, 2),
    ]
    assert rep.summary["after_hours"] == 2
    assert run(app, "eve@other.test").summary["after_hours"] == 1


def test_after_hours_replies_are_a_column_of_the_table_and_the_csv(after_hours, browser):
    b = browser("admin@acme.test")
    html = b.get(f"/reports?{WEEK}").text
    assert "After-hours replies" in html
    assert figures(html)["after_hours"] == "2"
    assert page_days(html)["2026-01-13"]["after_hours"] == "1"
    days = rows(b.get(f"/reports.csv?table=days&{WEEK}").text)
    header, *data = days[2:]
    assert header[-1] == "after_hours"
    by_day = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert [by_day[f"2026-01-{d}"]["after_hours"] for d in range(12, 19)] == list("0100001")
    summary = dict(rows(b.get(f"/reports.csv?table=summary&{WEEK}").text)[3:])
    assert summary["after_hours_replies"] == "2"


def test_a_scheduled_text_counts_once_it_has_left_on_the_day_it_left(app, api, conversation_id):
    bob = api("bob@acme.test")
    path = f"/conversations/{conversation_id}"
    bob.post(f"{path}/claim")
    leaves = datetime.now(UTC) + timedelta(hours=1)
    r = bob.post(f"{path}/messages", json={"body": "Later", "send_at": leaves.isoformat()})
    assert r.json["status"] == "scheduled"
    bob.post(f"{path}/messages", json={"body": "Cancelled", "send_at": leaves.isoformat()})
    cancelled = max(m["id"] for m in bob.get(path).json["messages"])
    bob("DELETE", f"{path}/messages/{cancelled}")

    def sent_by_bob() -> int:
        with app.app_context():
            admin = User.by_email("admin@acme.test")
            today = date.today()
            rep = reports.report(admin, today - timedelta(days=1), today + timedelta(days=1))
            return {a["email"]: a for a in rep.agents}["bob@acme.test"]["texts_sent"]

    assert sent_by_bob() == 0
    with time_machine.travel(leaves + timedelta(seconds=1), tick=False), app.app_context():
        tasks.send_scheduled()
    assert sent_by_bob() == 1


# -- days of a zone that changes its clocks, or is not a whole hour from UTC -------------------


@pytest.mark.parametrize(
    "zone, texts, expected",
    [
        # Daylight saving time ends at 06:00 UTC on Sunday 1 November: 01:00–02:00 comes twice.
        (
            "America/New_York",
            [(1, 3, 59), (1, 4, 30), (1, 5, 30), (1, 6, 30), (2, 4, 59), (2, 5, 0)],
            {date(2026, 10, 31): 1, date(2026, 11, 1): 4, date(2026, 11, 2): 1},
        ),
        # Kathmandu is 5 h 45 min ahead of UTC: its day begins at 18:15 UTC.
        (
            "Asia/Kathmandu",
            [(1, 18, 14), (1, 18, 15), (2, 18, 14), (2, 18, 15)],
            {date(2026, 11, 1): 1, date(2026, 11, 2): 2, date(2026, 11, 3): 1},
        ),
    ],
)
def test_texts_count_on_the_day_the_accounts_clock_showed(app, acme, zone, texts, expected):
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        account.timezone = zone
        main = TrackingNumber.by_number(NUM)
        w = Week(account.id)
        for i, (day_, hour, minute) in enumerate(texts):
            w.conversation(main, f"+1500555030{i}", datetime(2026, 11, day_, hour, minute))
        db.session.commit()
        admin = User.by_email("admin@acme.test")
        rep = reports.report(admin, min(expected), max(expected))
    assert {d["date"]: (d["received"], d["new_sms"]) for d in rep.days} == {
        day_: (count, count) for day_, count in expected.items()
    }


def test_daylight_saving_time_starting_makes_a_short_day_not_a_gap(app, acme):
    """Clocks go from 02:00 to 03:00 EST→EDT at 07:00 UTC on Sunday 8 March 2026."""
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        account.timezone = "America/New_York"
        main = TrackingNumber.by_number(NUM)
        w = Week(account.id)
        utc = [(8, 4, 59), (8, 5, 0), (8, 6, 59), (8, 7, 0), (9, 3, 59), (9, 4, 0)]
        for i, (day_, hour, minute) in enumerate(utc):
            w.conversation(main, f"+1500555031{i}", datetime(2026, 3, day_, hour, minute))
        db.session.commit()
        rep = reports.report(User.by_email("admin@acme.test"), date(2026, 3, 7), date(2026, 3, 9))
    assert [d["received"] for d in rep.days] == [1, 4, 1]


def test_response_times_count_the_seconds_the_clock_ticked(app, acme):
    """Opened at 09:00:00.900: claimed 0.2 s later (the clock shows 09:00:01, one second),
    answered 0.05 s later (still 09:00:00, none) — on either database."""
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        account.timezone = "America/New_York"
        w = Week(account.id)
        c = w.conversation(TrackingNumber.by_number(NUM), "+15005550320", at(12, 9) + 0.9 * SECOND)
        w.event(c, "claimed", "bob", c.created_at + 0.2 * SECOND)
        w.text_out(c, c.created_at + 0.05 * SECOND, by="bob")
        db.session.commit()
    s = run(app, "admin@acme.test").summary
    assert (s["claim_median"], s["reply_median"]) == (1, 0)
