"""API endpoints of internal notes (SPEC §2.10): add a note to a conversation's thread."""

from flask import jsonify
from flask_login import current_user

from app.api import bp
from app.api.schemas import NoteInSchema, NoteSchema
from app.inputs import json_object, load
from app.services import inbox, notes


@bp.post("/conversations/<id:conversation_id>/notes")
def add_note(conversation_id: int):
    """Add an internal note, mentioning teammates (never sent to the contact).

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: NoteIn}}}
      responses:
        201: {description: Created, content: {application/json: {schema: Note}}}
        400: BadRequest
        401: Unauthorized
        404: NotFound
        422: Invalid
    """
    conversation = inbox.get(current_user, conversation_id)
    args = load(NoteInSchema(), json_object())
    note = notes.add(conversation, current_user, args["body"], args["mentions"])
    return jsonify(NoteSchema().dump(note)), 201
