"""Admin views: the saved replies the account shares with every user (SPEC §2.10)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.portal.views import reply_files
from app.services import saved_replies
from app.services.errors import Invalid


@bp.route("/saved-replies", methods=["GET", "POST"])
@bp.route("/saved-replies/<id:reply_id>", methods=["GET", "POST"])
@admin_required
def saved_replies_page(reply_id: int | None = None):
    """The shared replies: the list, a new one, or one of them to edit."""
    reply = saved_replies.get(current_user, reply_id, shared=True) if reply_id else None
    values = {"title": reply.title, "body": reply.body} if reply else {}
    errors, status = {}, 200
    if request.method == "POST":
        values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        try:
            saved = saved_replies.save(current_user, reply, **values, shared=True, **reply_files())
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"Saved reply “{saved.title}” saved.", "success")
            return redirect(url_for("admin.saved_replies_page"))
    return (
        render_template(
            "admin/saved_replies.html",
            replies=saved_replies.shared_of(current_user),
            reply=reply,
            values=values,
            errors=errors,
            variables=saved_replies.VARIABLES,
        ),
        status,
    )


@bp.post("/saved-replies/<id:reply_id>/delete")
@admin_required
def saved_reply_delete(reply_id: int):
    """Delete a shared reply."""
    reply = saved_replies.get(current_user, reply_id, shared=True)
    saved_replies.delete(current_user, reply)
    flash(f"Saved reply “{reply.title}” deleted.", "success")
    return redirect(url_for("admin.saved_replies_page"))
