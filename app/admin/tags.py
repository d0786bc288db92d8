"""Admin views: the account's tags, which whoever can reply puts on conversations (§2.10)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.models.tag import TAG_COLORS
from app.services import tags
from app.services.errors import Invalid


@bp.route("/tags", methods=["GET", "POST"])
@bp.route("/tags/<id:tag_id>", methods=["GET", "POST"])
@admin_required
def tags_page(tag_id: int | None = None):
    """The tags: the list, a new one, or one of them to edit."""
    tag = tags.get(current_user, tag_id) if tag_id else None
    values = {"name": tag.name, "color": tag.color} if tag else {}
    errors, status = {}, 200
    if request.method == "POST":
        values = {"name": request.form.get("name", ""), "color": request.form.get("color", "")}
        try:
            saved = tags.save(current_user, tag, values)
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"Tag “{saved.name}” saved.", "success")
            return redirect(url_for("admin.tags_page"))
    return (
        render_template(
            "admin/tags.html",
            tags=tags.listed(current_user),
            usage=tags.usage(current_user),
            tag=tag,
            values=values,
            errors=errors,
            colors=TAG_COLORS,
        ),
        status,
    )


@bp.post("/tags/<id:tag_id>/delete")
@admin_required
def tag_delete(tag_id: int):
    """Delete a tag: it comes off every conversation."""
    tag = tags.get(current_user, tag_id)
    tags.delete_tag(current_user, tag)
    flash(f"Tag “{tag.name}” deleted; the conversations' history still names it.", "success")
    return redirect(url_for("admin.tags_page"))
