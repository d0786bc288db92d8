"""SMS reports (SPEC §2.8): the page, its CSV exports and the account's report time zone.

Admins see the whole account; agents and identified users the numbers they are SMS users of,
so these views need a login, not the admin role (the services apply the visibility rules).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.access import admin_required
from app.csvfile import csv_response
from app.inputs import parse_id, time_zones
from app.reports import bp
from app.services import inbox, reports, tags
from app.services.errors import Invalid


def selection() -> dict:
    """The report's filters from the query string: period preset or custom dates, number and
    tag."""
    number = parse_id(request.args.get("number"), "number")
    preset = request.args.get("period", "30")
    return {
        "period": preset if preset in reports.PRESETS else "custom",
        "start": request.args.get("start", ""),
        "end": request.args.get("end", ""),
        "number": number,
        "tag": parse_id(request.args.get("tag"), "tag"),
    }


@bp.get("/reports")
@login_required
def page():
    """Charts and tables of the chosen period and number."""
    chosen = selection()
    try:
        report = reports.of_selection(current_user, chosen)
    except Invalid as e:
        return (
            render_template(
                "reports/page.html",
                report=None,
                chosen=chosen,
                errors=e.fields,
                numbers=inbox.numbers_seen(current_user),
                tags=tags.listed(current_user),
                timezones=[],
            ),
            422,
        )
    return render_template(
        "reports/page.html",
        report=report,
        chosen=chosen,
        errors={},
        numbers=report.numbers,
        tags=tags.listed(current_user),
        timezones=time_zones() if current_user.is_admin else [],
        filters={k: v for k, v in request.args.items() if k != "table"},
    )


@bp.get("/reports.csv")
@login_required
def csv():
    """One table of the report (days, agents, failures, summary) as a CSV download."""
    report = reports.of_selection(current_user, selection())
    table = request.args.get("table", "days")
    rows = reports.csv_for(report, table)
    name = f"sms-report-{table}-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return csv_response(rows, name)


@bp.post("/reports/timezone")
@admin_required
def timezone():
    """Set the account's time zone, in which reports count days."""
    try:
        reports.set_timezone(current_user.account, request.form.get("timezone", ""))
    except Invalid as e:
        message = " ".join([e.message, *e.fields.get("timezone", [])])
        return render_template("error.html", status=422, message=message), 422
    flash(f"Reports now count days in {current_user.account.timezone}.", "success")
    return redirect(url_for("reports.page"))
