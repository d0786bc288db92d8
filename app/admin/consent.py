"""Admin views: the consent ledger, newest first a page at a time, its CSV download, and the
account's one opt-out setting."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError, validates_schema

from app.access import admin_required
from app.admin import bp
from app.csvfile import csv_response
from app.inputs import Day, Form, Id, check, load
from app.models.contact import CONSENT_SOURCES
from app.services import consent, directory

PAGE = 50  # events a page of the ledger shows
ONE_OPT_OUT_ON = "One opt-out for the whole account is on."
ONE_OPT_OUT_OFF = "One opt-out for the whole account is off: an opt-out stops only its number."


class LedgerQuery(Form):
    """What of the consent ledger to show or download: one number (or all), from and to a day
    (UTC); a page starts before an event (`before`, its id)."""

    number = Id(strict=False, load_default=None)
    start = Day(load_default=None)
    end = Day(load_default=None)
    before = Id(strict=False, load_default=None)

    @validates_schema
    def in_order(self, data: dict, **kwargs) -> None:
        """To is not before From."""
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("To must not be before From.", "end")


@bp.route("/consent")
@admin_required
def consent_ledger():
    """The consent ledger, newest first, a page at a time, with what to download."""
    query, errors = check(LedgerQuery(), request.args)
    rows, older = [], None
    if not errors:
        rows = consent.ledger(
            current_user.account_id,
            query["number"],
            query["start"],
            query["end"],
            before=query["before"],
            limit=PAGE + 1,
        )
        if len(rows) > PAGE:
            rows, older = rows[:PAGE], rows[PAGE - 1][0].id
    chosen = {k: v for k, v in request.args.items() if k != "before" and v}
    return (
        render_template(
            "admin/consent.html",
            numbers=directory.numbers(current_user.account),
            rows=rows,
            older=older,
            chosen=chosen,
            errors=errors,
            consent_sources=CONSENT_SOURCES,
            opt_out_everywhere=current_user.account.opt_out_everywhere,
        ),
        422 if errors else 200,
    )


@bp.route("/consent.csv")
@admin_required
def consent_csv():
    """The account's consent ledger as CSV, optionally for one number and a date range (UTC)."""
    query = load(LedgerQuery(), request.args, "Check what to download.")
    rows = consent.ledger_rows(
        current_user.account_id, query["number"], query["start"], query["end"]
    )
    return csv_response(rows, "consent-ledger.csv")


@bp.post("/consent/settings")
@admin_required
def consent_settings():
    """Turn the account's one opt-out on or off; bad input is the 422 page naming the field."""
    consent.save_settings(current_user.account, request.form)
    on = current_user.account.opt_out_everywhere
    flash(ONE_OPT_OUT_ON if on else ONE_OPT_OUT_OFF, "success")
    return redirect(url_for("admin.consent_ledger"))
