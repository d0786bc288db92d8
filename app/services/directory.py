"""Accounts, users, tracking numbers and SMS users: creating them with their rules checked."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app import phones
from app.extensions import db
from app.models import (
    Account,
    ApiToken,
    Consent,
    Conversation,
    Message,
    SmsUser,
    TrackingNumber,
    User,
)
from app.models.account import ROLES
from app.models.base import utcnow
from app.models.number import MAX_SMS_USERS, NUMBER_TYPES
from app.services import activation
from app.services.errors import Conflict, Invalid

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_account(name: str) -> Account:
    """A new account with a unique name, saved."""
    name = (name or "").strip()
    if not name:
        raise Invalid("An account needs a name.", {"name": ["Required."]})
    if Account.by_name(name):
        raise Conflict(f"An account named {name!r} exists already.")
    account = Account(name=name)
    db.session.add(account)
    db.session.commit()
    return account


def new_user(
    account: Account,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str | None = None,
    phone: str | None = None,
) -> User:
    """A user of the account, added to the session (not committed); identified-only users have
    no password."""
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        errors["email"] = ["Not an e-mail address."]
    elif User.by_email(email):
        errors["email"] = ["A user with this e-mail exists already."]
    if not (first_name or "").strip():
        errors["first_name"] = ["Required."]
    if not (last_name or "").strip():
        errors["last_name"] = ["Required."]
    if role not in ROLES:
        errors["role"] = [f"One of {', '.join(ROLES)}."]
    if role == "identified" and password:
        errors["password"] = ["Identified-only users have no password."]
    if password is not None and role != "identified" and len(password) < 8:
        errors["password"] = ["At least 8 characters."]
    if phone:
        try:
            phone = phones.normalize(phone)
        except ValueError:
            errors["phone"] = ["Not a phone number."]
    if errors:
        raise Invalid("The user could not be created.", errors)
    user = User(
        account=account,
        account_id=account.id,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        phone=phone or None,
        active=True,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    return user


def create_user(
    account: Account,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str | None = None,
    phone: str | None = None,
) -> User:
    """A user of the account, saved."""
    user = new_user(account, email, first_name, last_name, role, password=password, phone=phone)
    db.session.commit()
    return user


def issue_token(user: User) -> str:
    """A new personal API token for the user (only its hash is kept)."""
    row, token = ApiToken.issue(user)
    db.session.add(row)
    db.session.commit()
    return token


def create_number(
    account: Account,
    number: str,
    label: str,
    type_: str = "local",
    sms_users: Sequence[User] = (),
    activate: bool = False,
    at_once: bool = False,
) -> TrackingNumber:
    """A tracking number of the account with its SMS users (e-mail on), SMS turned on if asked.

    Everything is checked before anything is written.
    """
    errors: dict[str, list[str]] = {}
    try:
        number = phones.normalize(number)
    except ValueError:
        errors["number"] = ["Not a phone number."]
    else:
        if TrackingNumber.by_number(number):
            errors["number"] = ["This number is already a tracking number."]
    if not (label or "").strip():
        errors["label"] = ["Required."]
    if type_ not in NUMBER_TYPES:
        errors["type"] = [f"One of {', '.join(NUMBER_TYPES)}."]
    if any(user.account_id != account.id or not user.active for user in sms_users):
        errors["sms_users"] = ["Only active users of this account."]
    elif len({user.id for user in sms_users}) > MAX_SMS_USERS:
        errors["sms_users"] = [f"At most {MAX_SMS_USERS} SMS users."]
    elif activate and not sms_users:
        errors["sms_users"] = ["Turning SMS on needs at least one SMS user."]
    if errors:
        raise Invalid("The number could not be added.", errors)
    tracking_number = TrackingNumber(
        account=account, number=number, label=label.strip(), type=type_
    )
    db.session.add(tracking_number)
    for user in {user.id: user for user in sms_users}.values():
        db.session.add(SmsUser(tracking_number=tracking_number, user=user, notify_email=True))
    db.session.commit()
    if activate:
        activation.request(tracking_number, on=True, at_once=at_once)
    return tracking_number


@dataclass(frozen=True)
class SmsUserChoice:
    """One SMS user of a number as the admin picked them: who, and by which channels."""

    user: User
    email: bool = True
    sms: bool = False


def _check_sms_users(number: TrackingNumber, choices: Sequence[SmsUserChoice]) -> None:
    """The rules of SPEC §2.2, for the whole set at once: Invalid naming what is wrong."""
    errors: dict[str, list[str]] = {}
    if len({c.user.id for c in choices}) != len(choices):
        errors["sms_users"] = ["Each user once."]
    if len(choices) > MAX_SMS_USERS:
        errors["sms_users"] = [
            f"A number has at most {MAX_SMS_USERS} SMS users; {len(choices)} were chosen."
        ]
    # Also while SMS is being turned off: should the carrier refuse, the number stays on.
    if not choices and number.sms_state != "off":
        errors["sms_users"] = ["SMS is on for this number: it needs at least one SMS user."]
    for c in choices:
        if c.user.account_id != number.account_id or not c.user.active:
            errors[f"user_{c.user.id}"] = ["Not an active user of this account."]
        elif not (c.email or c.sms):
            errors[f"user_{c.user.id}"] = [f"{c.user.name}: choose e-mail, SMS or both."]
        elif c.sms and not c.user.phone:
            errors[f"user_{c.user.id}"] = [f"{c.user.name} has no phone number for SMS."]
    if errors:
        raise Invalid("The SMS users were not changed.", errors)


def set_sms_users(number: TrackingNumber, choices: Sequence[SmsUserChoice]) -> None:
    """Make exactly these the number's SMS users (1 to 5 while SMS is on), in one step."""
    _check_sms_users(number, choices)
    wanted = {c.user.id: c for c in choices}
    for row in list(number.sms_users):
        if row.user_id not in wanted:
            number.sms_users.remove(row)
    have = {row.user_id: row for row in number.sms_users}
    for user_id, choice in wanted.items():
        row = have.get(user_id)
        if row is None:
            row = SmsUser(tracking_number=number, user=choice.user)
            db.session.add(row)
        row.notify_email, row.notify_sms = choice.email, choice.sms
    db.session.commit()


def add_new_sms_user(
    number: TrackingNumber,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    notify_email: bool = True,
    notify_sms: bool = False,
) -> User:
    """Create an identified-only user (reached only by the links they are sent) and make them an
    SMS user of the number, beside its active SMS users, as the dialog shows them (deactivated
    users' rows go, as on saving the dialog); nothing is written unless both succeed."""
    current = [
        SmsUserChoice(row.user, row.notify_email, row.notify_sms) for row in number.active_sms_users
    ]
    if len(current) >= MAX_SMS_USERS:
        raise Invalid(
            f"A number has at most {MAX_SMS_USERS} SMS users.",
            {"sms_users": [f"At most {MAX_SMS_USERS} SMS users: remove one first."]},
        )
    errors: dict[str, list[str]] = {}
    if not (phone or "").strip():
        errors["phone"] = ["Required."]
    if not (notify_email or notify_sms):
        errors["notify"] = ["Choose e-mail, SMS or both."]
    try:
        user = new_user(number.account, email, first_name, last_name, "identified", phone=phone)
    except Invalid as e:
        errors = {**e.fields, **errors}
    try:
        if errors:
            raise Invalid("The new user could not be added.", errors)
        db.session.flush()  # the new user's id, by which the choices are told apart
        set_sms_users(number, [*current, SmsUserChoice(user, notify_email, notify_sms)])
    except Invalid:
        db.session.rollback()
        raise
    return user


def rename_number(number: TrackingNumber, label: str) -> None:
    """Change a number's label."""
    if not (label or "").strip():
        raise Invalid("A number needs a label.", {"label": ["Required."]})
    if len(label.strip()) > 120:
        raise Invalid("The label is too long.", {"label": ["At most 120 characters."]})
    number.label = label.strip()
    db.session.commit()


def remove_number(number: TrackingNumber) -> str:
    """Remove a number: deleted when nothing refers to it, else archived so its history stays.

    Refused while SMS is on (or changing) and while it has open conversations. Returns
    "deleted" or "archived".
    """
    if number.sms_state != "off":
        raise Conflict("Turn SMS off for this number before removing it.")
    open_count = db.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.tracking_number_id == number.id, Conversation.status == "open")
    )
    if open_count:
        raise Conflict(
            f"This number has {open_count} open conversation{'s' if open_count > 1 else ''}: "
            "close them first."
        )
    referenced = db.session.scalar(
        select(Message.id).where(Message.tracking_number_id == number.id).limit(1)
    ) or db.session.scalar(
        select(Consent.id).where(Consent.tracking_number_id == number.id).limit(1)
    )
    if referenced:
        number.archived_at = utcnow()
        db.session.commit()
        return "archived"
    db.session.delete(number)
    db.session.commit()
    return "deleted"
