"""Accounts, users, tracking numbers and SMS users: creating them with their rules checked."""

import re
from collections.abc import Sequence

from sqlalchemy import func, select

from app import phones
from app.extensions import db
from app.models import Account, ApiToken, SmsUser, TrackingNumber, User
from app.models.account import ROLES
from app.models.number import MAX_SMS_USERS, NUMBER_TYPES
from app.services import activation
from app.services.errors import Conflict, Invalid

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_account(name: str) -> Account:
    name = (name or "").strip()
    if not name:
        raise Invalid("An account needs a name.", {"name": ["Required."]})
    if Account.by_name(name):
        raise Conflict(f"An account named {name!r} exists already.")
    account = Account(name=name)
    db.session.add(account)
    db.session.commit()
    return account


def create_user(
    account: Account,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str | None = None,
    phone: str | None = None,
) -> User:
    """A user of the account; identified-only users have no password."""
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
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        phone=phone or None,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
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
    if any(user.account_id != account.id for user in sms_users):
        errors["sms_users"] = ["Only users of this account."]
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
        activation.request(tracking_number, on=True)
    return tracking_number


def add_sms_user(
    number: TrackingNumber, user: User, email: bool = True, sms: bool = False
) -> SmsUser:
    """Make a user of the number's account one of its (at most five) SMS users."""
    if user.account_id != number.account_id:
        raise Invalid("No such user in this account.", {"user_id": ["Not a user of this account."]})
    if not (email or sms):
        raise Invalid(
            "Choose e-mail, SMS or both.", {"notify": ["At least one of e-mail and SMS."]}
        )
    if sms and not user.phone:
        raise Invalid(
            f"{user.name} has no phone number.", {"notify_sms": ["SMS needs a phone number."]}
        )
    existing = db.session.scalar(
        select(SmsUser).where(SmsUser.tracking_number_id == number.id, SmsUser.user_id == user.id)
    )
    if existing is None:
        count = db.session.scalar(
            select(func.count()).select_from(SmsUser).where(SmsUser.tracking_number_id == number.id)
        )
        if count >= MAX_SMS_USERS:
            raise Invalid(
                f"A number has at most {MAX_SMS_USERS} SMS users.",
                {"sms_users": [f"At most {MAX_SMS_USERS} SMS users."]},
            )
        existing = SmsUser(tracking_number=number, user=user)
        db.session.add(existing)
    existing.notify_email, existing.notify_sms = email, sms
    db.session.commit()
    return existing
