"""Admin views: click-to-text widgets, their settings, snippet and live preview."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.services import widget_intake
from app.services.errors import Invalid

FORM_FIELDS = (
    "name",
    "button_text",
    "color",
    "position",
    "greeting",
    "consent_text",
    "mobile_behaviour",
)


def widget_form() -> dict:
    """The settings as the page's form posts them."""
    form = request.form
    return {
        "tracking_number_id": form.get("tracking_number_id"),
        # One website a line: a line with a space in it is one bad address, not two.
        "allowed_origins": [
            line.strip() for line in form.get("allowed_origins", "").splitlines() if line.strip()
        ],
        **{field: form.get(field, "") for field in FORM_FIELDS},
    }


@bp.route("/widgets", methods=["GET", "POST"])
@bp.route("/widgets/<id:widget_id>", methods=["GET", "POST"])
@admin_required
def widgets(widget_id: int | None = None):
    """Click-to-text widgets: the list, and one widget's settings with its snippet and preview."""
    account = current_user.account
    widget = widget_intake.get(account, widget_id) if widget_id else None
    numbers = widget_intake.number_choices(account)
    values, errors, status = widget_intake.form_values(widget, numbers), {}, 200
    if request.method == "POST":
        values = widget_form()
        try:
            widget = widget_intake.save(account, values, widget)
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash("Widget saved.", "success")
            return redirect(url_for("admin.widgets", widget_id=widget.id))
    return (
        render_template(
            "admin/widgets.html",
            widget=widget,
            widgets=widget_intake.of_account(account),
            numbers=numbers,
            values=values,
            errors=errors,
            default_consent=account.expand(widget_intake.DEFAULT_CONSENT),
            base=current_app.config["PUBLIC_BASE_URL"],
        ),
        status,
    )
