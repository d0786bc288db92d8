"""The demo `make run` seeds: an admin, two agents, two active numbers, a few conversations."""

from app.models import Account
from app.services import activation, claims, directory, inbound, outbound

ACCOUNT = "Demo Plumbing"
PASSWORD = "demo-password"
USERS = [
    ("admin@demo.test", "Ada", "Admin", "admin", "+15005550001"),
    ("bob@demo.test", "Bob", "Baker", "agent", "+15005550002"),
    ("cat@demo.test", "Cat", "Cruz", "agent", "+15005550003"),
]
NUMBERS = [("+15005550101", "Main line", "local"), ("+18005550102", "Emergency line", "toll_free")]


def seed() -> list[str]:
    """Create the demo account unless it exists; return the lines to print (the logins)."""
    if Account.by_name(ACCOUNT) is None:
        _create()
    lines = [f"Demo account {ACCOUNT!r}. Log in at http://127.0.0.1:5000/login with:"]
    lines += [f"  {role:<6} {email}  password: {PASSWORD}" for email, _, _, role, _ in USERS]
    lines.append("Text the demo numbers as a customer at http://127.0.0.1:5000/dev/phone")
    lines.append("  " + ", ".join(f"{number} ({label})" for number, label, _ in NUMBERS))
    return lines


def _create() -> None:
    account = directory.create_account(ACCOUNT)
    users = [
        directory.create_user(account, email, first, last, role, password=PASSWORD, phone=phone)
        for email, first, last, role, phone in USERS
    ]
    admin, bob, cat = users
    numbers = []
    for number, label, type_ in NUMBERS:
        tracking_number = directory.create_number(account, number, label, type_)
        directory.add_sms_user(tracking_number, bob)
        directory.add_sms_user(tracking_number, cat)
        activation.request(tracking_number, on=True)
        numbers.append(tracking_number)
    main, emergency = numbers

    inbound.receive(
        main.number, "+15555550121", "Hi, my kitchen sink is leaking. Can someone come today?", None
    )
    second = inbound.receive(main.number, "+15555550122", "Do you install water heaters?", None)
    claims.claim(second.conversation, bob)
    outbound.reply(second.conversation, bob, "We do! What size tank do you have in mind?")
    inbound.receive(main.number, "+15555550122", "50 gallons, gas.", None)
    third = inbound.receive(emergency.number, "+15555550123", "Basement is flooding!!", None)
    claims.claim(third.conversation, cat)
    outbound.reply(third.conversation, cat, "A plumber is on the way, about 20 minutes.")
    claims.close(third.conversation, cat)
