"""Admin views: tracking numbers, Customization → SMS, and the consent ledger."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import phones
from app.admin import admin_required, bp
from app.csvfile import csv_response
from app.extensions import db
from app.inputs import Day, Form, Id, load, parse_id
from app.models import SmsUser, TrackingNumber, User, Widget
from app.models.account import ROLES
from app.models.contact import CONSENT_SOURCES
from app.models.number import MAX_SMS_USERS
from app.segments import count
from app.services import activation, consent, directory, people, sms_texts, widget_intake
from app.services.errors import DomainError, Invalid


def account_numbers(archived: bool = False) -> list[TrackingNumber]:
    """The account's tracking numbers (not archived ones, unless asked), with their SMS users."""
    return list(
        db.session.scalars(
            select(TrackingNumber)
            .where(
                TrackingNumber.account_id == current_user.account_id,
                TrackingNumber.archived_at.is_not(None)
                if archived
                else TrackingNumber.archived_at.is_(None),
            )
            .order_by(TrackingNumber.id)
            .options(selectinload(TrackingNumber.sms_users).selectinload(SmsUser.user))
        )
    )


def account_number(number_id: int) -> TrackingNumber:
    """One of the account's numbers, or 404 (never another account's)."""
    number = db.session.get(TrackingNumber, number_id)
    if number is None or number.account_id != current_user.account_id or number.archived_at:
        abort(404)
    return number


def account_users() -> list[User]:
    """The account's users, deactivated ones too, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.account_id == current_user.account_id)
            .order_by(User.first_name, User.last_name, User.id)
        )
    )


@bp.route("/numbers", methods=["GET", "POST"])
@admin_required
def numbers():
    """The account's tracking numbers: list, add (SMS on while adding, with its SMS users)."""
    errors, form, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        users = {u.id: u for u in account_users()}
        try:
            ids = [parse_id(value, "sms_users") for value in form.getlist("sms_user")]
            chosen = [users[i] for i in ids if i in users]
            number = directory.create_number(
                current_user.account,
                form.get("number", ""),
                form.get("label", ""),
                form.get("type", "local"),
                chosen,
                activate=form.get("sms") == "on",
            )
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"{phones.pretty(number.number)} added.", "success")
            return redirect(url_for("admin.numbers"))
    numbers = account_numbers()
    return (
        render_template(
            "admin/numbers.html",
            numbers=numbers,
            archived=account_numbers(archived=True),
            users=[u for u in account_users() if u.active],
            errors=errors,
            form=form,
            pending=any(n.sms_state.startswith("pending") for n in numbers),
        ),
        status,
    )


def carry_out(action, done: str, back: str):
    """Run one admin change; flash what happened (or what was refused and why, field by field);
    back to the page."""
    try:
        flash(action() or done, "success")
    except DomainError as e:
        reasons = (m for messages in e.fields.values() for m in messages)
        flash(" ".join([e.message, *reasons]), "danger")
    return redirect(url_for(back))


def number_action(number_id: int, action, done: str):
    """One change to a number of the account, then back to the numbers page."""
    number = account_number(number_id)
    return carry_out(lambda: action(number), done, "admin.numbers")


@bp.post("/numbers/<id:number_id>/label")
@admin_required
def rename_number(number_id: int):
    """Change a number's label."""
    return number_action(
        number_id,
        lambda n: directory.rename_number(n, request.form.get("label", "")),
        "Label saved.",
    )


@bp.post("/numbers/<id:number_id>/sms")
@admin_required
def toggle_sms(number_id: int):
    """Turn SMS on or off for a number: it waits for the carrier in a pending state."""
    on = request.form.get("sms") == "on"
    return number_action(
        number_id,
        lambda n: activation.request(n, on=on),
        "Turning SMS on: waiting for the carrier."
        if on
        else "Turning SMS off: waiting for the carrier.",
    )


@bp.post("/numbers/<id:number_id>/remove")
@admin_required
def remove_number(number_id: int):
    """Remove a number, or archive it when it has history."""

    def remove(number):
        pretty = phones.pretty(number.number)
        if directory.remove_number(number) == "archived":
            return f"{pretty} archived: its conversations are kept."
        return f"{pretty} removed."

    return number_action(number_id, remove, "Removed.")


@bp.route("/numbers/<id:number_id>/sms-users", methods=["GET", "POST"])
@admin_required
def sms_users(number_id: int):
    """Who is notified of a number's texts: up to five users, each by e-mail and/or SMS."""
    number = account_number(number_id)
    users = [u for u in account_users() if u.active]
    errors, status, new = {}, 200, {}
    if request.method == "POST" and request.form.get("action") == "new":
        new = request.form
        try:
            user = directory.add_new_sms_user(
                number,
                new.get("first_name", ""),
                new.get("last_name", ""),
                new.get("email", ""),
                new.get("phone", ""),
                notify_email=new.get("notify_email") == "on",
                notify_sms=new.get("notify_sms") == "on",
            )
        except Invalid as e:
            errors, status = {f"new_{k}": v for k, v in e.fields.items()}, 422
            flash(e.message, "danger")
        else:
            flash(f"{user.name} was created (identified-only) and added.", "success")
            return redirect(url_for("admin.sms_users", number_id=number.id))
    elif request.method == "POST":
        by_id = {u.id: u for u in users}
        try:
            ids = [parse_id(value, "sms_users") for value in request.form.getlist("user")]
            choices = [
                directory.SmsUserChoice(
                    by_id[i],
                    email=request.form.get(f"email_{i}") == "on",
                    sms=request.form.get(f"sms_{i}") == "on",
                )
                for i in ids
                if i in by_id
            ]
            directory.set_sms_users(number, choices)
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash("SMS users saved.", "success")
            return redirect(url_for("admin.numbers"))
    current = {row.user_id: row for row in number.sms_users}
    return (
        render_template(
            "admin/sms_users.html",
            number=number,
            users=users,
            current=current,
            errors=errors,
            posted=request.form if status != 200 and not new else None,
            new=new,
            max_users=MAX_SMS_USERS,
        ),
        status,
    )


@bp.route("/people", methods=["GET", "POST"])
@admin_required
def people_page():
    """The account's users: role and state; invite someone."""
    errors, form, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            user = people.invite(
                current_user.account,
                current_user,
                form.get("email", ""),
                form.get("first_name", ""),
                form.get("last_name", ""),
                form.get("role", "agent"),
                form.get("phone", ""),
            )
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("admin.people_page"))
    return (
        render_template(
            "admin/people.html", users=account_users(), errors=errors, form=form, roles=ROLES
        ),
        status,
    )


def person_action(user_id: int, action, done: str):
    """One change to a user of the account (deactivated ones too), then back to the people
    page."""
    user = people.account_user(current_user, user_id, deactivated=True)
    return carry_out(lambda: action(user), done.format(name=user.name), "admin.people_page")


@bp.post("/people/<id:user_id>/role")
@admin_required
def person_role(user_id: int):
    """Change a user's role."""
    role = request.form.get("role", "")
    return person_action(
        user_id, lambda u: people.set_role(current_user, u, role), "{name} is now " + role + "."
    )


@bp.post("/people/<id:user_id>/deactivate")
@admin_required
def person_deactivate(user_id: int):
    """Deactivate a user: their sessions, API tokens and links stop working at once."""
    return person_action(
        user_id, lambda u: people.set_active(current_user, u, False), "{name} is deactivated."
    )


@bp.post("/people/<id:user_id>/reactivate")
@admin_required
def person_reactivate(user_id: int):
    """Let a deactivated user back in."""
    return person_action(
        user_id, lambda u: people.set_active(current_user, u, True), "{name} is active again."
    )


@bp.post("/people/<id:user_id>/invite")
@admin_required
def person_reinvite(user_id: int):
    """E-mail a user a new set-password link."""

    def reinvite(user):
        people.send_invitation(user, current_user)
        db.session.commit()

    return person_action(user_id, reinvite, "A new invitation went to {name}.")


@bp.route("/customization/sms", methods=["GET", "POST"])
@admin_required
def sms_customization():
    """Edit the opt-in, opt-out, opt-in-again and help texts."""
    account = current_user.account
    texts, errors, status = sms_texts.current(account), {}, 200
    if request.method == "POST":
        if request.form.get("restore"):
            sms_texts.restore(account, request.form["restore"])
            flash("Default text restored.", "success")
            return redirect(url_for("admin.sms_customization"))
        texts = {kind: request.form.get(kind, "") for kind in sms_texts.KINDS}
        try:
            sms_texts.update(account, texts)
            flash("Saved. The next texts use these words.", "success")
            return redirect(url_for("admin.sms_customization"))
        except Invalid as e:
            errors, status = e.fields, 422
    return (
        render_template(
            "admin/sms_customization.html",
            kinds=sms_texts.KINDS,
            texts=texts,
            errors=errors,
            warnings=sms_texts.warnings(account, texts),
            counts={
                kind: count(text.replace("{company}", account.name)) for kind, text in texts.items()
            },
            max_length=sms_texts.MAX_LENGTH,
        ),
        status,
    )


class LedgerQuery(Form):
    """What of the consent ledger to download: one number (or all), from and to a day (UTC)."""

    number = Id(strict=False, load_default=None)
    start = Day(load_default=None)
    end = Day(load_default=None)


@bp.route("/consent")
@admin_required
def consent_ledger():
    """Choose what to download of the consent ledger."""
    return render_template("admin/consent.html", numbers=account_numbers())


@bp.route("/consent.csv")
@admin_required
def consent_csv():
    """The account's consent ledger as CSV, optionally for one number and a date range (UTC)."""
    query = load(LedgerQuery(), request.args, "Check what to download.")
    rows = consent.ledger(current_user.account_id, query["number"], query["start"], query["end"])
    header = ["time (UTC)", "contact", "tracking number", "label", "state", "source", "by", "text"]
    lines = [
        [
            event.created_at.isoformat(sep=" ", timespec="seconds"),
            contact.phone,
            number.number,
            number.label,
            event.state,
            CONSENT_SOURCES.get(event.source, event.source),
            event.user.email if event.user else "",
            event.body or "",
        ]
        for event, contact, number in rows
    ]
    return csv_response([header, *lines], "consent-ledger.csv")


def widget_form() -> dict:
    form = request.form
    return {
        "tracking_number_id": form.get("tracking_number_id"),
        "allowed_origins": form.get("allowed_origins", "").split(),
        **{
            field: form.get(field, "")
            for field in (
                "name",
                "button_text",
                "color",
                "position",
                "greeting",
                "consent_text",
                "mobile_behaviour",
            )
        },
    }


def account_widget(widget_id: int) -> Widget:
    widget = db.session.get(Widget, widget_id)
    if widget is None or widget.account_id != current_user.account_id:
        abort(404)
    return widget


@bp.route("/widgets", methods=["GET", "POST"])
@bp.route("/widgets/<id:widget_id>", methods=["GET", "POST"])
@admin_required
def widgets(widget_id: int | None = None):
    """Click-to-text widgets: the list, and one widget's settings with its snippet and preview."""
    widget = account_widget(widget_id) if widget_id else None
    numbers = [n for n in account_numbers() if n.sms_state == "active"]
    errors, status = {}, 200
    values = widget_intake.defaults(numbers[0], []) if numbers else {}
    if widget is not None:
        values = {
            **values,
            **{f: getattr(widget, f) for f in values},
            "consent_text": widget.consent_text or "",
        }
    if request.method == "POST":
        values = widget_form()
        try:
            widget = widget_intake.save(current_user.account, values, widget)
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash("Widget saved.", "success")
            return redirect(url_for("admin.widgets", widget_id=widget.id))
    all_widgets = db.session.scalars(
        select(Widget).where(Widget.account_id == current_user.account_id).order_by(Widget.id)
    ).all()
    return (
        render_template(
            "admin/widgets.html",
            widget=widget,
            widgets=all_widgets,
            numbers=numbers,
            values=values,
            errors=errors,
            default_consent=widget_intake.DEFAULT_CONSENT.replace(
                "{company}", current_user.account.name
            ),
            base=current_app.config["PUBLIC_BASE_URL"],
        ),
        status,
    )
