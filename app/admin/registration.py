"""Admin views: carrier registration (SPEC §2.1) and the numbers CSV that goes with it."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.csvfile import csv_response
from app.models.registration import RegistrationKind
from app.services import registration
from app.services.errors import Invalid


def page(
    kind: str,
    data: dict,
    errors: dict | None = None,
    problem: str | None = None,
    status_form: dict | None = None,
    status_errors: dict | None = None,
    code: int = 200,
):
    """The registration page of one kind, with the answers and whatever went wrong."""
    account = current_user.account
    rows = registration.history(account, kind)
    return (
        render_template(
            "admin/registration.html",
            kind=kind,
            kinds=registration.KIND_LABELS,
            sections=registration.sections(kind),
            data=data,
            errors=errors or {},
            labels={f.name: f.label for f in registration.FIELDS},
            problem=problem,
            current=rows[0] if rows else None,
            earlier=rows[1:],
            statuses=registration.STATUS_LABELS,
            status_form=status_form or {},
            status_errors=status_errors or {},
            groups=registration.GROUPS,
            numbers=registration.numbers_by_group(account),
            samples_max=registration.SAMPLES_MAX,
            telecom=registration.telecom_recipients(),
            simulator=current_app.config["SMS_PROVIDER"] == "simulator",
        ),
        code,
    )


def kind_arg() -> str:
    """The registration kind the query string asks for (10DLC unless told); 404 for others."""
    kind = request.args.get("kind", RegistrationKind.TEN_DLC)
    if kind not in registration.KIND_LABELS:
        abort(404, "No such registration kind.")
    return kind


@bp.route("/registration", methods=["GET", "POST"])
@admin_required
def carrier_registration():
    """The brand & campaign form of one kind: save it as a draft, or submit it."""
    account, kind = current_user.account, kind_arg()
    if request.method == "GET":
        return page(kind, registration.prefill(account, kind))
    action = request.form.get("action")
    if action not in ("draft", "submit"):
        abort(400, "Choose Save draft or Submit.")
    data = registration.from_form(request.form)
    try:
        if action == "submit":
            registration.submit(account, current_user, kind, data)
            flash("Submitted: the telecom team has it by e-mail, with your numbers.", "success")
        else:
            registration.save_draft(account, current_user, kind, data)
            flash("Draft saved.", "success")
    except Invalid as e:
        return page(kind, data, errors=e.fields, problem=e.message, code=422)
    except registration.MailFailed as e:
        return page(kind, data, problem=e.message, code=e.status)
    return redirect(url_for("admin.carrier_registration", kind=kind))


@bp.route("/registration/<id:registration_id>/status", methods=["POST"])
@admin_required
def registration_status(registration_id: int):
    """Record the carriers' answer: the status of a registration and a note."""
    account = current_user.account
    row = registration.get(account, registration_id)
    form = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    try:
        registration.set_status(account, row.id, form["status"], form["note"])
    except Invalid as e:
        data = registration.prefill(account, row.kind)
        return page(row.kind, data, status_form=form, status_errors=e.fields, code=422)
    flash(f"Status saved: {registration.STATUS_LABELS[row.status]}.", "success")
    return redirect(url_for("admin.carrier_registration", kind=row.kind))


@bp.route("/numbers.csv")
@admin_required
def numbers_csv():
    """The account's numbers as CSV, split into DID/Local and Toll-Free."""
    account = current_user.account
    return csv_response(registration.numbers_rows(account), registration.csv_filename(account))
