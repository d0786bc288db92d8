"""API endpoints of contacts (SPEC §2.9): a contact with what the caller may see of it, and a
change of its name and notes."""

from flask import jsonify
from flask_login import current_user

from app.api import bp
from app.api.schemas import ContactDetailSchema
from app.inputs import json_object
from app.services import contacts


@bp.get("/contacts/<id:contact_id>")
def contact(contact_id: int):
    """A contact, with its conversations and consent that you may see.

    ---
    get:
      responses:
        200: {description: OK, content: {application/json: {schema: ContactDetail}}}
        401: Unauthorized
        404: NotFound
    """
    found = contacts.get(current_user, contact_id)
    return jsonify(ContactDetailSchema().dump(contacts.page(current_user, found)))


@bp.patch("/contacts/<id:contact_id>")
def change(contact_id: int):
    """Change a contact's name, notes or both (an empty name clears it).

    ---
    patch:
      requestBody: {required: true, content: {application/json: {schema: ContactChange}}}
      responses:
        200: {description: OK, content: {application/json: {schema: ContactDetail}}}
        400: BadRequest
        401: Unauthorized
        404: NotFound
        422: Invalid
    """
    found = contacts.get(current_user, contact_id)
    contacts.change(found, json_object())
    return jsonify(ContactDetailSchema().dump(contacts.page(current_user, found)))
