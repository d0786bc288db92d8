"""The demo `make run` seeds: an admin, two agents, an identified-only user, two active numbers,
a month of closed conversations (so the reports have something to show) and a few open ones."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select

from app.demo import load
from app.extensions import db
from app.models import Account, Conversation, ReadMark
from app.models.account import Role
from app.models.base import utcnow
from app.models.number import NumberType
from app.services import (
    business_hours,
    claims,
    directory,
    inbound,
    outbound,
    saved_replies,
    scheduled,
    tags,
    widget_intake,
)
from app.services.directory import SmsUserChoice

ACCOUNT = "Demo Plumbing"
PASSWORD = "demo-password"
USERS = [
    ("admin@demo.test", "Ada", "Admin", Role.ADMIN, "+15005550001"),
    ("bob@demo.test", "Bob", "Baker", Role.AGENT, "+15005550002"),
    ("cat@demo.test", "Cat", "Cruz", Role.AGENT, "+15005550003"),
]
IDENTIFIED = ("dee@demo.test", "Dee", "Dent", Role.IDENTIFIED, "+15005550004")
NUMBERS = [
    ("+15005550101", "Main line", NumberType.LOCAL),
    ("+18005550102", "Emergency line", NumberType.TOLL_FREE),
]
# The month of history: conversations per number, and what is said in each, in turn.
HISTORY = {"Main line": 150, "Emergency line": 45}
SCRIPT = [
    "Hi, do you have anyone free this week? Our shower drains really slowly.",
    "Hi, thanks for texting Demo Plumbing! We can come Thursday morning. Does 9am work?",
    "Thursday at 9 is perfect, thank you.",
    "Great, you're booked. The plumber will text when on the way.",
]
# The account's tags, some of them on the open conversations.
TAGS = [("Urgent", "red"), ("Quote", "green"), ("Water heater", "blue"), ("VIP", "purple")]
# The account's shared saved replies, and one of Bob's own.
SHARED_REPLIES = [
    (
        "Running late",
        "Hi {contact_first_name}, this is {agent_first_name} from {company}: "
        "running about 15 minutes late, sorry!",
    ),
    (
        "Quote follow-up",
        "Hi {contact_first_name}, just checking in on the quote we sent. "
        "Any questions? Reply here and {agent_first_name} will get back to you.",
    ),
    (
        "After-hours",
        "Thanks for texting {company}! We're closed right now; we'll reply first thing in the "
        "morning. For an emergency, text our Emergency line.",
    ),
]
OWN_REPLY = ("On my way", "Hi {contact_first_name}, {agent_first_name} here: I'm on my way now.")


# The demo business's clock and week: the thread says "Outside business hours" after 18:00.
DEMO_ZONE = "America/Chicago"
HOURS = {
    **{day: ["08:00–18:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "saturday": ["09:00–13:00"],
}


def seed() -> list[str]:
    """Create the demo account unless it exists; return the lines to print (the logins)."""
    if Account.by_name(ACCOUNT) is None:
        _create()
    base = current_app.config["PUBLIC_BASE_URL"]
    lines = [f"Demo account {ACCOUNT!r}. Log in at {base}/login with:"]
    lines += [f"  {role:<6} {email}  password: {PASSWORD}" for email, _, _, role, _ in USERS]
    lines.append(
        f"  {'ident.':<6} {IDENTIFIED[0]}  no password: opens the links in her notifications"
    )
    lines.append(f"Text the demo numbers as a customer at {base}/dev/phone")
    lines.append("  " + ", ".join(f"{number} ({label})" for number, label, _ in NUMBERS))
    lines.append(f"Every SMS and e-mail the app sends (notifications too) is at {base}/dev/outbox")
    lines.append(f"The click-to-text widget on a sample website (another origin): {website(base)}")
    return lines


def website(base: str) -> str:
    """The sample website's address: this server under another name, so another origin."""
    return base.replace("127.0.0.1", "localhost") + "/dev/website"


def _read_as_it_happened(account: Account, users) -> None:
    """The month of history was read by everyone at the time: the tabs count only today's texts."""
    ids = db.session.scalars(select(Conversation.id).where(Conversation.account_id == account.id))
    now = utcnow()
    rows = [{"conversation_id": c, "user_id": u.id, "read_at": now} for c in ids for u in users]
    db.session.execute(insert(ReadMark), rows)
    db.session.commit()


def _create() -> None:
    account = directory.create_account(ACCOUNT)
    business_hours.save_week(account, {"timezone": DEMO_ZONE, **HOURS})
    users = [
        directory.create_user(account, email, first, last, role, password=PASSWORD, phone=phone)
        for email, first, last, role, phone in USERS
    ]
    admin, bob, cat = users
    dee = directory.create_user(account, *IDENTIFIED[:4], phone=IDENTIFIED[4])
    numbers = []
    for number, label, type_ in NUMBERS:
        numbers.append(
            directory.create_number(account, number, label, type_, [bob, cat], True, at_once=True)
        )
    main, emergency = numbers
    directory.set_sms_users(
        main, [SmsUserChoice(bob), SmsUserChoice(cat, email=True, sms=True), SmsUserChoice(dee)]
    )
    for number in numbers:
        load.generate(
            account, HISTORY[number.label], len(SCRIPT), number, 30, script=SCRIPT, closed_share=1
        )
    _read_as_it_happened(account, [*users, dee])
    site = widget_intake.origin(website(current_app.config["PUBLIC_BASE_URL"]))
    widget_intake.save(account, {**widget_intake.defaults(main, [site]), "name": "Demo website"})

    made = {name: tags.create(admin, {"name": name, "color": color}) for name, color in TAGS}
    first = inbound.receive(
        main.number, "+15555550121", "Hi, my kitchen sink is leaking. Can someone come today?", None
    )
    first.conversation.contact.name = "Wendy Walker"
    db.session.commit()
    tags.add(first.conversation, cat, {"tag_id": made["Urgent"].id})
    second = inbound.receive(main.number, "+15555550122", "Do you install water heaters?", None)
    claims.claim(second.conversation, bob)
    outbound.reply(second.conversation, bob, "We do! What size tank do you have in mind?")
    for name in ("Water heater", "Quote"):
        tags.add(second.conversation, bob, {"tag_id": made[name].id})
    inbound.receive(main.number, "+15555550122", "50 gallons, gas.", None)
    third = inbound.receive(emergency.number, "+15555550123", "Basement is flooding!!", None)
    claims.claim(third.conversation, cat)
    outbound.reply(third.conversation, cat, "A plumber is on the way, about 20 minutes.")
    tags.add(third.conversation, cat, {"tag_id": made["Urgent"].id})
    claims.close(third.conversation, cat)
    # A reminder Bob scheduled for tomorrow at 10:00: it waits in the thread's Scheduled list.
    tomorrow = business_hours.local(account, utcnow()).date() + timedelta(days=1)
    at = datetime.combine(tomorrow, time(10), tzinfo=ZoneInfo(DEMO_ZONE))
    outbound.reply(
        second.conversation,
        bob,
        "Reminder: the installer comes tomorrow morning.",
        send_at=scheduled.check_send_at(at),
    )
    for title, body in SHARED_REPLIES:
        saved_replies.create(admin, {"title": title, "body": body, "shared": True})
    saved_replies.create(bob, {"title": OWN_REPLY[0], "body": OWN_REPLY[1]})
