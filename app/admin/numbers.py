"""Admin views: the account's tracking numbers, their SMS state and their SMS users."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import phones
from app.access import admin_required
from app.admin import bp, carry_out
from app.inputs import parse_id
from app.models.number import MAX_SMS_USERS, NumberType
from app.services import activation, directory, people
from app.services.errors import Invalid


@bp.route("/numbers", methods=["GET", "POST"])
@admin_required
def numbers():
    """The account's tracking numbers: list, add (SMS on while adding, with its SMS users)."""
    account = current_user.account
    errors, form, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        users = {u.id: u for u in people.users(account)}
        try:
            ids = [parse_id(value, "sms_users") for value in form.getlist("sms_user")]
            chosen = [users[i] for i in ids if i in users]
            number = directory.create_number(
                account,
                form.get("number", ""),
                form.get("label", ""),
                form.get("type", NumberType.LOCAL),
                chosen,
                activate=form.get("sms") == "on",
            )
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"{phones.pretty(number.number)} added.", "success")
            return redirect(url_for("admin.numbers"))
    listed = directory.numbers(account)
    return (
        render_template(
            "admin/numbers.html",
            numbers=listed,
            archived=directory.numbers(account, archived=True),
            users=[u for u in people.users(account) if u.active],
            errors=errors,
            form=form,
            pending=any(n.sms_state.startswith("pending") for n in listed),
        ),
        status,
    )


def number_action(number_id: int, action, done: str):
    """One change to a number of the account, then back to the numbers page."""
    number = directory.number(current_user.account, number_id)
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
    number = directory.number(current_user.account, number_id)
    users = [u for u in people.users(current_user.account) if u.active]
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
