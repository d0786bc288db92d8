"""The people of an account: invitations, roles, deactivation (issue: admins manage users).

An invitation is a signed, expiring link to set a password; it stops working once used (it is
bound to the password the user had when it was made) or when the user is deactivated, and stays
dead after a reactivation (it names the user's link version).

A session names the user's session version (User.get_id): logging out, a new password and
deactivation bump it, which ends every earlier session of that user, on every device.
"""

import functools
import hashlib
import secrets

from flask import current_app, render_template
from sqlalchemy import func, select
from werkzeug import security

from app import mail, phones
from app.extensions import db
from app.models import Account, SmsUser, TrackingNumber, User
from app.models.account import ROLES, Role
from app.models.number import SmsState
from app.services import directory, tokens
from app.services.directory import MIN_PASSWORD
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

INVITE_MAX_AGE = 3 * 24 * 3600  # seconds an invitation link stays good
PURPOSE = "set-password"


def _fingerprint(user: User) -> str:
    """Changes whenever the password does, so a used link is dead."""
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def password_link(user: User) -> str:
    """A signed link that lets the user set their password (valid for INVITE_MAX_AGE)."""
    token = tokens.sign(
        PURPOSE, {"user": user.id, "fp": _fingerprint(user), "v": user.link_version}
    )
    # Built from PUBLIC_BASE_URL (which carries any path prefix), so jobs can make links too.
    return f"{current_app.config['PUBLIC_BASE_URL']}/set-password/{token}"


def user_for_link(token: str) -> User:
    """The user a set-password link names; Invalid when it is tampered with, expired or used."""
    data = tokens.read(
        PURPOSE,
        token,
        INVITE_MAX_AGE,
        expired="This link has expired. Ask your admin for a new invitation.",
    )
    user = db.session.get(User, data["user"]) if "user" in data else None
    if (
        user is None
        or not user.active
        or data.get("fp") != _fingerprint(user)
        # Links made before this version was signed carry none: they were made under version 0.
        or data.get("v", 0) != user.link_version
    ):
        raise Invalid("This link is no longer valid. Ask your admin for a new invitation.")
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    """The hash of a password nobody has, made once per process for each hashing method."""
    return security.generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    An unknown e-mail (or a user who cannot log in with a password) costs one hash check all the
    same, so how long the answer takes does not tell which e-mails are users.
    """
    user = User.by_email(email or "")
    if user is None or not user.active or not user.password_hash:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        security.check_password_hash(_dummy_hash(method), password or "")
        return None
    return user if user.check_password(password or "") else None


def _end_sessions(user: User) -> None:
    # An UPDATE of the column, not read-then-write: a bump made at the same moment is not lost.
    user.session_version = User.session_version + 1


def log_out(user: User) -> None:
    """End every session of the user, on every device (the caller then clears its own)."""
    _end_sessions(user)
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Set the user's password; it ends their earlier sessions and set-password links."""
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(
            "The password is too short.", {"password": [f"At least {MIN_PASSWORD} characters."]}
        )
    user.set_password(password)
    _end_sessions(user)
    db.session.commit()


def invite(
    account: Account, by: User, email: str, first: str, last: str, role: str, phone: str | None
) -> User:
    """Create a user without a password and e-mail them a link to set one."""
    if role not in (Role.ADMIN, Role.AGENT):
        raise Invalid("Invite an admin or an agent.", {"role": ["Admin or agent."]})
    user = directory.new_user(account, email, first, last, role, phone=phone or None)
    db.session.flush()
    send_invitation(user, by)
    db.session.commit()
    return user


def send_invitation(user: User, by: User) -> None:
    """E-mail the user a set-password link (joins the caller's transaction)."""
    link = password_link(user)
    context = {"user": user, "by": by, "link": link, "days": INVITE_MAX_AGE // 86400}
    mail.send(
        [user.email],
        f"{by.name} invited you to {user.account.name} on SMS Conversations",
        render_template("mail/invite.txt", **context),
        render_template("mail/invite.html", **context),
    )


def reinvite(user: User, by: User) -> None:
    """E-mail a user of the account a new set-password link."""
    send_invitation(user, by)
    db.session.commit()


def users(account: Account) -> list[User]:
    """The account's users, deactivated ones too, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.account_id == account.id)
            .order_by(User.first_name, User.last_name, User.id)
        )
    )


def account_user(actor: User, user_id, *, deactivated: bool = False, field: str | None = None):
    """A user of the actor's account by id; never one of another account.

    Deactivated users are found only with `deactivated`: an admin managing people reaches them,
    while nobody hands a conversation to one. An id from the URL that finds nobody is NotFound;
    one a form or JSON `field` gave is Invalid naming that field.
    """
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.account_id != actor.account_id or not (deactivated or user.active):
        if field is None:
            raise NotFound("No such user.")
        raise Invalid(
            "No such user in this account.", {field: ["No such active user in this account."]}
        )
    return user


def _admins_left(account_id: int, without: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.account_id == account_id,
            User.role == Role.ADMIN,
            User.active.is_(True),
            User.id != without.id,
        )
    )


# How a sentence names each role: "Cat is now an admin."
ROLE_NAMES = {Role.ADMIN: "an admin", Role.AGENT: "an agent", Role.IDENTIFIED: "identified-only"}


def set_role(admin: User, user: User, role: str) -> None:
    """Change a user's role (identified-only users are promoted this way)."""
    if role not in ROLES:
        raise Invalid("Unknown role.", {"role": [f"One of {', '.join(ROLES)}."]})
    if user.id == admin.id:
        raise Forbidden("You cannot change your own role.")
    if user.role == role:
        raise Conflict(f"{user.name} is {ROLE_NAMES[role]} already.")
    if user.role == Role.ADMIN and role != Role.ADMIN and not _admins_left(user.account_id, user):
        raise Conflict("The account needs at least one active admin.")
    user.role = role
    if role == Role.IDENTIFIED:
        user.password_hash = None  # identified-only users reach the portal only by their links
        _end_sessions(user)  # the sessions made with that password end with it
    db.session.commit()


def _left_without_sms_users(user: User) -> list[TrackingNumber]:
    """The numbers with SMS on (or changing) of which the user is the only active SMS user."""
    numbers = db.session.scalars(
        select(TrackingNumber)
        .join(SmsUser)
        .where(SmsUser.user_id == user.id, TrackingNumber.sms_state != SmsState.OFF)
        .order_by(TrackingNumber.id)
    )
    return [
        number
        for number in numbers
        if not any(row.user_id != user.id for row in number.active_sms_users)
    ]


def set_active(admin: User, user: User, active: bool) -> None:
    """Deactivate (sessions, API tokens and links stop working at once) or reactivate a user.

    Deactivation ends the user's sessions and signed links for good: reactivation revives
    neither, so a cookie or link copied before stays dead.

    Refused for the last active admin, and for the only active SMS user of a number with SMS on:
    its texts would reach nobody (SPEC §2.2: at least one while SMS is on).
    """
    if user.id == admin.id:
        raise Forbidden("You cannot deactivate yourself.")
    if not active and user.role == Role.ADMIN and not _admins_left(user.account_id, user):
        raise Conflict("The account needs at least one active admin.")
    if not active and (numbers := _left_without_sms_users(user)):
        names = ", ".join(f"{n.label} ({phones.pretty(n.number)})" for n in numbers)
        their = "their" if len(numbers) > 1 else "its"
        raise Conflict(
            f"{user.name} is the only SMS user of {names}, with SMS on: nobody would be notified "
            f"of {their} texts. Choose another SMS user there, or turn SMS off, first."
        )
    user.active = active
    if not active:
        _end_sessions(user)
        user.link_version = User.link_version + 1
    db.session.commit()
