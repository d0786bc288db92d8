"""Admin views: Customization → SMS, the opt-in, opt-out, opt-in-again and help texts and the
opt-out line."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.segments import count
from app.services import sms_texts
from app.services.errors import Invalid


@bp.route("/customization/sms", methods=["GET", "POST"])
@admin_required
def sms_customization():
    """Edit the opt-in, opt-out, opt-in-again and help texts and the opt-out line."""
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
            counts={kind: count(account.expand(text)) for kind, text in texts.items()},
            max_length=sms_texts.MAX_LENGTH,
        ),
        status,
    )
