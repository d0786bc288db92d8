"""Admin views: tracking numbers, Customization → SMS, and the consent ledger."""

import csv
import io
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.admin import admin_required, bp
from app.extensions import db
from app.models import SmsUser, TrackingNumber
from app.models.contact import CONSENT_SOURCES
from app.segments import count
from app.services import consent, sms_texts
from app.services.errors import Invalid


def account_numbers() -> list[TrackingNumber]:
    return list(
        db.session.scalars(
            select(TrackingNumber)
            .where(TrackingNumber.account_id == current_user.account_id)
            .order_by(TrackingNumber.id)
            .options(selectinload(TrackingNumber.sms_users).selectinload(SmsUser.user))
        )
    )


@bp.route("/numbers")
@admin_required
def numbers():
    """The account's tracking numbers with their SMS state and SMS users."""
    return render_template("admin/numbers.html", numbers=account_numbers())


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


def date_arg(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise Invalid(f"{name} is not a date (YYYY-MM-DD).", {name: ["Use YYYY-MM-DD."]}) from e


@bp.route("/consent")
@admin_required
def consent_ledger():
    """Choose what to download of the consent ledger."""
    return render_template("admin/consent.html", numbers=account_numbers())


@bp.route("/consent.csv")
@admin_required
def consent_csv():
    """The account's consent ledger as CSV, optionally for one number and a date range (UTC)."""
    number_id = request.args.get("number", type=int)
    start, end = date_arg("start"), date_arg("end")
    rows = consent.ledger(current_user.account_id, number_id, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["time (UTC)", "contact", "tracking number", "label", "state", "source", "by", "text"]
    )
    for event, contact, number in rows:
        writer.writerow(
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
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=consent-ledger.csv"},
    )
