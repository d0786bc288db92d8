"""API endpoints of saved replies (SPEC §2.10): the account's shared ones (admins manage them)
and each user's own."""

from flask import jsonify
from flask_login import current_user

from app.api import bp
from app.api.schemas import SavedReplyListSchema, SavedReplySchema
from app.inputs import json_object
from app.services import saved_replies


@bp.get("/saved-replies")
def saved_reply_list():
    """The saved replies you may use: the account's shared ones, then your own, by title.

    Bodies are as written, with their variables (the composer fills them in).
    ---
    get:
      responses:
        200: {description: OK, content: {application/json: {schema: SavedReplyList}}}
        401: Unauthorized
    """
    items = saved_replies.usable(current_user)
    return jsonify(SavedReplyListSchema().dump({"items": items}))


@bp.post("/saved-replies")
def saved_reply_add():
    """Add a saved reply: your own, or (admins) one shared by the account.

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: SavedReplyNew}}}
      responses:
        201: {description: Added, content: {application/json: {schema: SavedReply}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        422: Invalid
    """
    reply = saved_replies.create(current_user, json_object())
    return jsonify(SavedReplySchema().dump(reply)), 201


@bp.patch("/saved-replies/<id:reply_id>")
def saved_reply_change(reply_id: int):
    """Change a saved reply's title or body (shared ones: admins).

    Whether a reply is shared cannot be changed: `shared` may only repeat its value.
    ---
    patch:
      requestBody: {required: true, content: {application/json: {schema: SavedReplyChange}}}
      responses:
        200: {description: OK, content: {application/json: {schema: SavedReply}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        422: Invalid
    """
    reply = saved_replies.get(current_user, reply_id)
    reply = saved_replies.update(current_user, reply, json_object())
    return jsonify(SavedReplySchema().dump(reply))


@bp.delete("/saved-replies/<id:reply_id>")
def saved_reply_delete(reply_id: int):
    """Delete a saved reply (shared ones: admins).

    ---
    delete:
      responses:
        204: {description: Deleted (no body)}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
    """
    saved_replies.delete(current_user, saved_replies.get(current_user, reply_id))
    return "", 204
