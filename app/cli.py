"""Command-line interface (SPEC §3): `flask --app wsgi COMMAND`."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.demo import load, seed
from app.extensions import db
from app.models import Account, TrackingNumber, User
from app.models.account import ROLES
from app.models.number import NUMBER_TYPES, NumberType, SmsState
from app.services import directory, widget_intake
from app.services.errors import DomainError, Invalid
from app.sms import provider


def values(members) -> list[str]:
    """An enum's values as a click.Choice's choices: given the members, click would match their
    names (ADMIN), not the values users type (admin)."""
    return [member.value for member in members]


def fail(e: DomainError):
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in e.fields.items())
    raise click.ClickException(f"{e.message} {details}".strip())


def account_named(name: str) -> Account:
    account = Account.by_name(name)
    if account is None:
        raise click.ClickException(f"No account named {name!r}.")
    return account


def user_with_email(email: str) -> User:
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email!r}.")
    return user


@click.command("create-account")
@click.argument("name")
@with_appcontext
def create_account(name: str):
    """Create an account (a business)."""
    try:
        account = directory.create_account(name)
    except DomainError as e:
        fail(e)
    click.echo(f"Account {account.name!r} created (id {account.id}).")


@click.command("create-user")
@click.option("--account", "account_name", required=True)
@click.option("--email", required=True)
@click.option("--first", required=True)
@click.option("--last", required=True)
@click.option("--role", required=True, type=click.Choice(values(ROLES)))
@click.option("--password")
@click.option("--phone")
@with_appcontext
def create_user(account_name, email, first, last, role, password, phone):
    """Create a user of an account."""
    account = account_named(account_name)
    try:
        user = directory.create_user(
            account, email, first, last, role, password=password, phone=phone
        )
    except DomainError as e:
        fail(e)
    click.echo(f"User {user.email} ({user.role}) created in {account.name!r} (id {user.id}).")


@click.command("create-number")
@click.option("--account", "account_name", required=True)
@click.option("--number", required=True, help="E.164, e.g. +15005550101")
@click.option("--label", required=True)
@click.option(
    "--type",
    "type_",
    type=click.Choice(values(NUMBER_TYPES)),
    default=NumberType.LOCAL.value,
    show_default=True,
)
@click.option(
    "--sms-user", "sms_users", multiple=True, help="E-mail of a user to notify (repeatable)."
)
@click.option(
    "--activate", is_flag=True, help="Turn SMS on (the simulated carrier completes at once)."
)
@with_appcontext
def create_number(account_name, number, label, type_, sms_users, activate):
    """Add a tracking number to an account, with its SMS users."""
    account = account_named(account_name)
    users = [user_with_email(email) for email in sms_users]
    try:
        tracking_number = directory.create_number(
            account, number, label, type_, users, activate, at_once=True
        )
    except DomainError as e:
        fail(e)
    number, state = tracking_number.number, tracking_number.sms_state
    click.echo(f"Number {number} ({tracking_number.label}) added; SMS {state}.")


@click.command("api-token")
@click.argument("email")
@with_appcontext
def api_token(email: str):
    """Print a new personal API token for a user (on the last line)."""
    user = user_with_email(email)
    if not user.active:
        raise click.ClickException(f"{email} is deactivated.")
    click.echo(f"API token for {user.email} (shown once):")
    click.echo(directory.issue_token(user))


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create the demo account (once) and print its logins."""
    for line in seed.seed():
        click.echo(line)


@click.command("create-widget")
@click.option("--account", "account_name", required=True)
@click.option("--number", required=True, help="The tracking number the widget texts (E.164).")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    help="A website allowed to embed it, e.g. https://example.com (repeatable).",
)
@with_appcontext
def create_widget(account_name, number, origins):
    """Create a click-to-text widget; prints its key on the last line."""
    account = account_named(account_name)
    tracking_number = TrackingNumber.by_number(number)
    try:
        if tracking_number is None or tracking_number.account_id != account.id:
            raise Invalid(
                "No such number.", {"number": [f"{number} is not a number of {account.name!r}."]}
            )
        widget = widget_intake.save(account, widget_intake.defaults(tracking_number, list(origins)))
    except DomainError as e:
        fail(e)
    click.echo(f"Widget for {tracking_number.number}; embed it with:")
    script = f"{current_app.config['PUBLIC_BASE_URL']}/widget.js"
    click.echo(f'<script async src="{script}" data-widget-key="{widget.key}"></script>')
    click.echo(widget.key)


@click.command("twilio-check")
@with_appcontext
def twilio_check():
    """Check the Twilio credentials and where each number's (or the Messaging Service's) SMS
    webhook points."""
    sms = provider()
    if sms.name != "twilio":
        raise click.ClickException("SMS_PROVIDER is not twilio: nothing to check.")
    expected = sms.webhook_url
    try:
        numbers = dict(sms.numbers())
        service_webhook, in_service = sms.service() if sms.messaging_service_sid else ("", [])
    except Exception as e:  # any failure here is what the user came to find out about
        message = f"Twilio refused the credentials or could not be reached: {e}"
        raise click.ClickException(message) from e
    click.echo(f"Credentials work. {len(numbers)} number(s) in the Twilio account:")
    for number, url in sorted(numbers.items()):
        click.echo(f"  {number}  SMS webhook: {url or '(none)'}")
    problems = []
    # With a Messaging Service, its incoming-message webhook is the one Twilio calls, unless the
    # service leaves that to each number's own.
    per_number = not sms.messaging_service_sid or service_webhook is None
    if not per_number:
        click.echo(
            f"Messaging Service {sms.messaging_service_sid}: {len(in_service)} number(s), "
            f"incoming-message webhook: {service_webhook or '(none)'}"
        )
        if service_webhook != expected:
            problems.append(
                f"Messaging Service {sms.messaging_service_sid}: incoming-message webhook is "
                f"{service_webhook or '(none)'}, should be {expected}"
            )
    for tracking in db.session.scalars(select(TrackingNumber).order_by(TrackingNumber.number)):
        if tracking.sms_state != SmsState.ACTIVE:
            continue
        name = f"{tracking.number} ({tracking.label})"
        url = numbers.get(tracking.number)
        if url is None:
            problems.append(f"{name}: not in this Twilio account")
        elif sms.messaging_service_sid and tracking.number not in in_service:
            problems.append(f"{name}: not in Messaging Service {sms.messaging_service_sid}")
        elif per_number and url != expected:
            problems.append(f"{name}: webhook is {url or '(none)'}, should be {expected}")
    for problem in problems:
        click.echo(f"PROBLEM {problem}")
    click.echo("All active numbers point here." if not problems else f"{len(problems)} problem(s).")
    if problems:
        raise SystemExit(1)


@click.command("generate-load")
@click.option("--account", "account_name", required=True)
@click.option("--conversations", type=click.IntRange(min=1), required=True)
@click.option("--messages-per-conversation", type=click.IntRange(min=1), required=True)
@click.option(
    "--number", help="The tracking number to load (E.164); the first active one if unset."
)
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True)
@with_appcontext
def generate_load(account_name, conversations, messages_per_conversation, number, days):
    """Write bench data: conversations with their texts, claims and closes, in bulk."""
    account = account_named(account_name)
    tracking = TrackingNumber.by_number(number) if number else None
    if number and tracking is None:
        raise click.ClickException(f"No number {number!r}.")
    try:
        done = load.generate(account, conversations, messages_per_conversation, tracking, days)
    except DomainError as e:
        fail(e)
    click.echo(
        f"Wrote {done['conversations']} conversations and {done['messages']} texts on "
        f"{done['number']}, {done['from']:%Y-%m-%d} to {done['to']:%Y-%m-%d}."
    )


@click.command("events")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def events(host: str, port: int):
    """Serve the portal's live updates (`/conversations/events`, server-sent events) from one
    process; the load balancer sends that path here. Needs PostgreSQL."""
    import resource

    from aiohttp import web

    from app.live import events_app

    app = current_app._get_current_object()
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("Live updates are pushed from PostgreSQL only: pages poll.")
    # Each stream is an open file: as many as the system lets this process have.
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    except (ValueError, OSError):
        click.echo(f"Open files stay at {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}.")
    web.run_app(events_app(app), host=host, port=port, handler_cancellation=True, print=click.echo)


commands = [
    create_account,
    create_user,
    create_number,
    api_token,
    seed_demo,
    create_widget,
    twilio_check,
    generate_load,
    events,
]
