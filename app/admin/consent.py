"""Admin views: the consent ledger and its CSV download."""

from flask import render_template, request
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.csvfile import csv_response
from app.inputs import Day, Form, Id, load
from app.services import consent, directory


class LedgerQuery(Form):
    """What of the consent ledger to download: one number (or all), from and to a day (UTC)."""

    number = Id(strict=False, load_default=None)
    start = Day(load_default=None)
    end = Day(load_default=None)


@bp.route("/consent")
@admin_required
def consent_ledger():
    """Choose what to download of the consent ledger."""
    return render_template("admin/consent.html", numbers=directory.numbers(current_user.account))


@bp.route("/consent.csv")
@admin_required
def consent_csv():
    """The account's consent ledger as CSV, optionally for one number and a date range (UTC)."""
    query = load(LedgerQuery(), request.args, "Check what to download.")
    rows = consent.ledger_rows(
        current_user.account_id, query["number"], query["start"], query["end"]
    )
    return csv_response(rows, "consent-ledger.csv")
