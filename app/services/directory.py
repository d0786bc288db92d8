"""Accounts, users, tracking numbers and SMS users: creating them with their rules checked."""

from collections.abc import Sequence
from dataclasses import dataclass

from marshmallow import fields
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import phones
from app.extensions import db
from app.inputs import Choice, Email, Form, Text, check, length_of, load
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
from app.models.account import ROLES, Role
from app.models.base import utcnow
from app.models.conversation import ConversationStatus
from app.models.number import MAX_SMS_USERS, NUMBER_TYPES, NumberType, SmsState
from app.services import activation
from app.services.errors import Conflict, Invalid, NotFound

MAX_PHONE_INPUT = 64  # as typed, with spaces and punctuation; stored as E.164
MIN_PASSWORD = 8
MAX_PASSWORD = 256


class AccountSchema(Form):
    name = Text(max_length=length_of(Account.name))


class UserSchema(Form):
    """A new user's fields (the rules that need the database are new_user's)."""

    email = Email(max_length=length_of(User.email), blank="Not an e-mail address.")
    first_name = Text(max_length=length_of(User.first_name))
    last_name = Text(max_length=length_of(User.last_name))
    role = Choice(ROLES, required=True)
    password = fields.String(load_default=None, allow_none=True)
    phone = Text(max_length=MAX_PHONE_INPUT, min_length=0, load_default="")


class NumberSchema(Form):
    """A new tracking number's fields."""

    number = Text(max_length=MAX_PHONE_INPUT, blank="Not a phone number.")
    label = Text(max_length=length_of(TrackingNumber.label))
    type = Choice(NUMBER_TYPES, required=True)


class LabelSchema(Form):
    label = Text(max_length=length_of(TrackingNumber.label))


def create_account(name: str) -> Account:
    """A new account with a unique name, saved."""
    name = load(AccountSchema(), {"name": name}, "The account could not be created.")["name"]
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
    given = {"email": email, "first_name": first_name, "last_name": last_name, "role": role}
    values, errors = check(UserSchema(), {**given, "password": password, "phone": phone or ""})
    if "email" not in errors and User.by_email(values["email"]):
        errors["email"] = ["A user with this e-mail exists already."]
    if "password" in errors:
        pass
    elif role == Role.IDENTIFIED and password:
        errors["password"] = ["Identified-only users have no password."]
    elif password is not None and role != Role.IDENTIFIED and len(password) < MIN_PASSWORD:
        errors["password"] = [f"At least {MIN_PASSWORD} characters."]
    elif password is not None and len(password) > MAX_PASSWORD:
        errors["password"] = [f"At most {MAX_PASSWORD} characters."]
    phone = values.get("phone")
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
        email=values["email"],
        first_name=values["first_name"],
        last_name=values["last_name"],
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


def numbers(account: Account, archived: bool = False) -> list[TrackingNumber]:
    """The account's tracking numbers (not archived ones, unless asked), with their SMS users."""
    return list(
        db.session.scalars(
            select(TrackingNumber)
            .where(
                TrackingNumber.account_id == account.id,
                TrackingNumber.archived_at.is_not(None)
                if archived
                else TrackingNumber.archived_at.is_(None),
            )
            .order_by(TrackingNumber.id)
            .options(selectinload(TrackingNumber.sms_users).selectinload(SmsUser.user))
        )
    )


def number(account: Account, number_id: int) -> TrackingNumber:
    """One of the account's numbers, not archived, or NotFound (never another account's)."""
    found = db.session.get(TrackingNumber, number_id)
    if found is None or found.account_id != account.id or found.archived_at:
        raise NotFound("No such number.")
    return found


def create_number(
    account: Account,
    number: str,
    label: str,
    type_: str = NumberType.LOCAL,
    sms_users: Sequence[User] = (),
    activate: bool = False,
    at_once: bool = False,
) -> TrackingNumber:
    """A tracking number of the account with its SMS users (e-mail on), SMS turned on if asked.

    Everything is checked before anything is written.
    """
    values, errors = check(NumberSchema(), {"number": number, "label": label, "type": type_})
    if "number" not in errors:
        try:
            number = phones.normalize(values["number"])
        except ValueError:
            errors["number"] = ["Not a phone number."]
        else:
            if TrackingNumber.by_number(number):
                errors["number"] = ["This number is already a tracking number."]
    if any(user.account_id != account.id or not user.active for user in sms_users):
        errors["sms_users"] = ["Only active users of this account."]
    elif len({user.id for user in sms_users}) > MAX_SMS_USERS:
        errors["sms_users"] = [f"At most {MAX_SMS_USERS} SMS users."]
    elif activate and not sms_users:
        errors["sms_users"] = ["Turning SMS on needs at least one SMS user."]
    if errors:
        raise Invalid("The number could not be added.", errors)
    tracking_number = TrackingNumber(
        account=account, number=number, label=values["label"], type=type_
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
    if not choices and number.sms_state != SmsState.OFF:
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
        user = new_user(number.account, email, first_name, last_name, Role.IDENTIFIED, phone=phone)
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
    number.label = load(LabelSchema(), {"label": label}, "The label was not changed.")["label"]
    db.session.commit()


def remove_number(number: TrackingNumber) -> str:
    """Remove a number: deleted when nothing refers to it, else archived so its history stays.

    Refused while SMS is on (or changing) and while it has open conversations. Returns
    "deleted" or "archived".
    """
    if number.sms_state != SmsState.OFF:
        raise Conflict("Turn SMS off for this number before removing it.")
    open_count = db.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.tracking_number_id == number.id,
            Conversation.status == ConversationStatus.OPEN,
        )
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
