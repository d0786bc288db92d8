"""Portal page to start a conversation: pick a number, a mobile number, the text, the consent."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.portal import bp
from app.portal.views import sent_or_waiting
from app.services import outbound, starts
from app.services.errors import DomainError


@bp.route("/conversations/new", methods=["GET", "POST"])
@login_required
def new_conversation():
    """The form; sent, the conversation's thread (claimed by the sender); refused, the form again
    with the draft and each field's message."""
    draft = {"from": "", "to": "", "body": "", "consent": False}
    errors, status = {}, 200
    if request.method == "POST":
        draft = {
            "from": request.form.get("from", ""),
            "to": request.form.get("to", ""),
            "body": request.form.get("body", ""),
            "consent": request.form.get("consent") == "on",
        }
        try:
            conversation = starts.start(
                current_user, draft["from"], draft["to"], draft["body"], draft["consent"]
            )
        except DomainError as e:
            errors, status = e.fields or {"_schema": [e.message]}, e.status
        else:
            told = sent_or_waiting(outbound.latest(conversation))
            flash(f"{told} The conversation is yours.", "success")
            return redirect(url_for("portal.conversation", conversation_id=conversation.id))
    return render_template(
        "portal/new.html",
        numbers=starts.numbers(current_user),
        draft=draft,
        errors=errors,
        opt_out_line=current_user.account.sms_text("opt_out_line"),
    ), status
