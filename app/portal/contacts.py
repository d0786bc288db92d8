"""Portal pages of contacts (SPEC §2.9): the contact page, and the change of a contact's name and
notes from it or from a thread's contact panel."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.models.contact import CONSENT_SOURCES
from app.portal import bp
from app.portal.views import act
from app.services import contacts
from app.services.errors import Invalid


def edited() -> dict:
    """The contact form's fields as posted (a blank one clears that field)."""
    return {field: request.form[field] for field in ("name", "notes") if field in request.form}


@bp.route("/contacts/<id:contact_id>")
@login_required
def contact(contact_id: int):
    found = contacts.get(current_user, contact_id)
    return render_template(
        "portal/contact.html",
        page=contacts.page(current_user, found),
        tab_of=contacts.tab_of,
        limits=contacts.LIMITS,
        consent_sources=CONSENT_SOURCES,
    )


@bp.post("/contacts/<id:contact_id>")
@login_required
def change(contact_id: int):
    found = contacts.get(current_user, contact_id)
    try:
        contacts.change(found, edited())
        flash("Contact saved.", "success")
    except Invalid as e:
        flash(e.message, "danger")
    return redirect(url_for("portal.contact", contact_id=contact_id))


@bp.post("/conversations/<id:conversation_id>/contact")
@login_required
def change_in_thread(conversation_id: int):
    return act(conversation_id, lambda c: contacts.change(c.contact, edited()), "Contact saved.")
