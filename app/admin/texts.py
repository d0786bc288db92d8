"""Admin views: Customization → SMS, the opt-in, opt-out, opt-in-again and help texts, the
opt-out line, and the after-hours reply with its switch."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.inputs import TICKED
from app.segments import count
from app.services import sms_texts
from app.services.errors import Invalid


@bp.route("/customization/sms", methods=["GET", "POST"])
@admin_required
def sms_customization():
    """Edit the opt-in, opt-out, opt-in-again and help texts, the opt-out line and the
    after-hours reply, and turn that reply on or off."""
    account = current_user.account
    texts, errors, status = sms_texts.current(account), {}, 200
    switch_on = account.after_hours_reply
    if request.method == "POST":
        # What the boxes held when posted: a box's Restore keeps the others' unsaved edits.
        texts = {kind: request.form.get(kind, texts[kind]) for kind in sms_texts.KINDS}
        switch = request.form.get(sms_texts.SWITCH, "")
        switch_on = switch == TICKED
        if request.form.get("restore"):
            texts = sms_texts.with_default(texts, request.form["restore"])
            flash("Default text restored. Save to keep it.", "info")
            return page(account, texts, switch_on, {}, 200)
        try:
            sms_texts.update(account, {**texts, sms_texts.SWITCH: switch})
            flash("Saved. The next texts use these words.", "success")
            return redirect(url_for("admin.sms_customization"))
        except Invalid as e:
            errors, status = e.fields, 422
    return page(account, texts, switch_on, errors, status)


def page(account, texts: dict[str, str], switch_on: bool, errors: dict, status: int):
    """The page with these texts in its boxes and the after-hours reply's switch as given (and
    what is wrong with them)."""
    return (
        render_template(
            "admin/sms_customization.html",
            kinds=sms_texts.KINDS,
            texts=texts,
            switch=sms_texts.SWITCH,
            switch_on=switch_on,
            hours_set=bool(account.hours),
            errors=errors,
            warnings=sms_texts.warnings(account, texts),
            counts={kind: count(account.expand(text)) for kind, text in texts.items()},
            max_length=sms_texts.MAX_LENGTH,
        ),
        status,
    )
