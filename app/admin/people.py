"""Admin views: the account's people, their roles and state, and invitations."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp, carry_out
from app.models.account import ROLES, Role
from app.services import people
from app.services.errors import Invalid


@bp.route("/people", methods=["GET", "POST"])
@admin_required
def people_page():
    """The account's users: role and state; invite someone."""
    errors, form, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            user = people.invite(
                current_user.account,
                current_user,
                form.get("email", ""),
                form.get("first_name", ""),
                form.get("last_name", ""),
                form.get("role", Role.AGENT),
                form.get("phone", ""),
            )
        except Invalid as e:
            errors, status = e.fields, 422
            flash(e.message, "danger")
        else:
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("admin.people_page"))
    return (
        render_template(
            "admin/people.html",
            users=people.users(current_user.account),
            errors=errors,
            form=form,
            roles=ROLES,
        ),
        status,
    )


def person_action(user_id: int, action, done: str):
    """One change to a user of the account (deactivated ones too), then back to the people
    page."""
    user = people.account_user(current_user, user_id, deactivated=True)
    return carry_out(lambda: action(user), done.format(name=user.name), "admin.people_page")


@bp.post("/people/<id:user_id>/role")
@admin_required
def person_role(user_id: int):
    """Change a user's role."""
    role = request.form.get("role", "")
    done = "{name} is now " + people.ROLE_NAMES.get(role, role) + "."
    return person_action(user_id, lambda u: people.set_role(current_user, u, role), done)


@bp.post("/people/<id:user_id>/deactivate")
@admin_required
def person_deactivate(user_id: int):
    """Deactivate a user: their sessions, API tokens and links stop working at once."""
    return person_action(
        user_id, lambda u: people.set_active(current_user, u, False), "{name} is deactivated."
    )


@bp.post("/people/<id:user_id>/reactivate")
@admin_required
def person_reactivate(user_id: int):
    """Let a deactivated user back in."""
    return person_action(
        user_id, lambda u: people.set_active(current_user, u, True), "{name} is active again."
    )


@bp.post("/people/<id:user_id>/invite")
@admin_required
def person_reinvite(user_id: int):
    """E-mail a user a new set-password link."""
    return person_action(
        user_id, lambda u: people.reinvite(u, current_user), "A new invitation went to {name}."
    )
