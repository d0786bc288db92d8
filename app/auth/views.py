"""Login and logout pages, and the signed links that log a user in.

Password guessing is cut short (OWASP ASVS V2.2): failed logins are counted per e-mail and per
address, refused links per address, in Redis when REDIS_URL is set (every process shares one
count); past the limit the answer is 429 with Retry-After.
"""

import math
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from app.auth import bp
from app.extensions import limiter
from app.models.account import Role
from app.services import links, people
from app.services.errors import DomainError

MAX_EMAIL = 254  # the longest e-mail address; a longer one names nobody
LOGIN_AS = "login_as"  # the session key of the e-mail a notification link asks to log in with


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def safe_next(target: str | None) -> str:
    """Only a plain path on this site after login; anything else goes to the portal's index."""
    if target and _plain_path(target):
        return target
    return url_for("portal.index")


def _plain_path(target: str) -> bool:
    # Printable ASCII only (CR/LF would split the Location header), and no backslash: browsers
    # read "/\\evil.test" as "//evil.test", another site.
    if not all("!" <= char <= "~" for char in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
    )


def email_key() -> str:
    """Rate-limit key of a login: the e-mail tried, as the user lookup reads it."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:MAX_EMAIL]


def failed(response) -> bool:
    """Only wrong pairs count against a login limit."""
    return response.status_code == 401


def refused(response) -> bool:
    """A link refused or a form sent back counts against the link limit (not the 429 itself)."""
    return 400 <= response.status_code < 500 and response.status_code != 429


def too_many_minutes() -> int:
    """Whole minutes until the breached limit lets the caller try again."""
    breached = limiter.current_limit
    # Whole seconds, as the limiter writes Retry-After.
    seconds = int(breached.reset_at - time.time()) if breached else 60
    return max(1, math.ceil(seconds / 60))


@bp.errorhandler(429)
def too_many_tries(e):
    """Past a limit: the login page (or the link's page) says so and for how long; the limiter
    adds Retry-After."""
    minutes = too_many_minutes()
    message = f"{e.description} Try again in {minutes} minute{'' if minutes == 1 else 's'}."
    if request.endpoint == "auth.login":
        return render_template("auth/login.html", form=LoginForm(), refusal=message), 429
    return render_template("error.html", status=429, message=message), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"],
    key_func=email_key,
    methods=["POST"],
    deduct_when=failed,
    error_message="Too many tries for this e-mail.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=failed,
    error_message="Too many tries from your network.",
)
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        # A notification's link sent its user here: their e-mail is filled in (kept in the
        # session, not the address, where logs and other people's screens would show it).
        form.email.data = session.pop(LOGIN_AS, None)
    if form.validate_on_submit():
        user = people.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash("That e-mail and password do not match an active user.", "danger")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and on every other device: cookies copied before stop working."""
    people.log_out(current_user._get_current_object())
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


# One count for both kinds of link: refused ones only, so an office clicking many good links
# behind one address is never stopped.
link_limit = limiter.shared_limit(
    lambda: current_app.config["LINK_LIMIT_PER_IP"],
    scope="links",
    key_func=get_remote_address,
    deduct_when=refused,
    error_message="Too many links that do not work from your network.",
)


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat it", validators=[DataRequired()])


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@link_limit
def set_password(token: str):
    """An invited user chooses a password with their signed link, then is logged in."""
    try:
        user = people.user_for_link(token)
    except DomainError as e:
        return render_template("error.html", status=400, message=e.message), 400
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            error = "The two passwords differ."
        else:
            try:
                people.set_password(user, form.password.data)
            except DomainError as e:
                error = " ".join(sum(e.fields.values(), [])) or e.message
            else:
                login_user(user)
                flash("Your password is set. Welcome!", "success")
                return redirect(url_for("portal.index"))
    status = 422 if error else 200
    return render_template("auth/set_password.html", form=form, user=user, error=error), status


@bp.route("/c/<token>")
@link_limit
def conversation_link(token: str):
    """A notification's signed link. An identified-only user is logged in by it; a user with a
    password goes through the login page unless already logged in as that user."""
    try:
        user, conversation_id = links.read(token)
    except DomainError as e:
        return render_template("error.html", status=403, message=e.message), 403
    target = url_for("portal.conversation", conversation_id=conversation_id)
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(target)
    if current_user.is_authenticated:
        logout_user()  # the link is someone else's: this browser's session must not open it
    if user.role == Role.IDENTIFIED:
        login_user(user)
        return redirect(target)
    flash(f"Log in as {user.email} to open the conversation.", "info")
    session[LOGIN_AS] = user.email
    return redirect(url_for("auth.login", next=target))
