"""API endpoints of saved replies (SPEC §2.10): the account's shared ones (admins manage them)
and each user's own."""

from flask import jsonify, request
from flask_login import current_user

from app.api import bp
from app.api.schemas import SavedReplyListSchema, SavedReplySchema
from app.inputs import json_object
from app.services import saved_replies


@bp.get("/saved-replies")
def saved_reply_list():
    """The saved replies you may use: the account's shared ones, then your own, by title.

    ---
    get:
      description: The bodies are as written, with their variables (the composer fills them in).
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


# One rule for both methods: with a rule each, an id beyond any row's would answer the second
# method with 405 (Werkzeug converts the id only once a rule of the method is found).
@bp.route("/saved-replies/<id:reply_id>", methods=["PATCH", "DELETE"])
def saved_reply(reply_id: int):
    """Change or delete a saved reply (shared ones: admins).

    ---
    patch:
      summary: Change a saved reply's title or body (shared ones, admins)
      description: Whether a reply is shared cannot be changed; `shared` may only repeat it.
      requestBody: {required: true, content: {application/json: {schema: SavedReplyChange}}}
      responses:
        200: {description: OK, content: {application/json: {schema: SavedReply}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        422: Invalid
    delete:
      summary: Delete a saved reply (shared ones, admins)
      responses:
        204: {description: Deleted (no body)}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
    """
    reply = saved_replies.get(current_user, reply_id)
    if request.method == "DELETE":
        saved_replies.delete(current_user, reply)
        return "", 204
    reply = saved_replies.update(current_user, reply, json_object())
    return jsonify(SavedReplySchema().dump(reply))
