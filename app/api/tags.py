"""API endpoints of tags (SPEC §2.10): the account's tags (admins define them) and a
conversation's."""

from flask import jsonify, request
from flask_login import current_user

from app.api import bp
from app.api.schemas import TagListSchema, TagSchema
from app.api.views import conversation_out
from app.inputs import json_object
from app.services import inbox, tags


@bp.get("/tags")
def tag_list():
    """The account's tags, by name.

    ---
    get:
      responses:
        200: {description: OK, content: {application/json: {schema: TagList}}}
        401: Unauthorized
    """
    return jsonify(TagListSchema().dump({"items": tags.listed(current_user)}))


@bp.post("/tags")
def tag_add():
    """Add a tag to the account (admins).

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: TagNew}}}
      responses:
        201: {description: Added, content: {application/json: {schema: Tag}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        422: Invalid
    """
    tag = tags.create(current_user, json_object())
    return jsonify(TagSchema().dump(tag)), 201


# One rule for both methods: with a rule each, an id beyond any row's would answer the second
# method with 405 (Werkzeug converts the id only once a rule of the method is found).
@bp.route("/tags/<id:tag_id>", methods=["PATCH", "DELETE"])
def tag(tag_id: int):
    """Rename, recolour or delete a tag (admins).

    ---
    patch:
      summary: Rename or recolour a tag (admins)
      requestBody: {required: true, content: {application/json: {schema: TagChange}}}
      responses:
        200: {description: OK, content: {application/json: {schema: Tag}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        422: Invalid
    delete:
      summary: Delete a tag (admins); it comes off every conversation
      responses:
        204: {description: Deleted (no body)}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
    """
    found = tags.get(current_user, tag_id)
    if request.method == "DELETE":
        tags.delete_tag(current_user, found)
        return "", 204
    return jsonify(TagSchema().dump(tags.update(current_user, found, json_object())))


@bp.post("/conversations/<id:conversation_id>/tags")
def conversation_tag_add(conversation_id: int):
    """Put a tag on a conversation (whoever can reply in it).

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: TagId}}}
      responses:
        200: {description: OK, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
        422: Invalid
    """
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(tags.add(conversation, current_user, json_object()))


@bp.delete("/conversations/<id:conversation_id>/tags/<id:tag_id>")
def conversation_tag_remove(conversation_id: int, tag_id: int):
    """Take a tag off a conversation (whoever can reply in it).

    ---
    delete:
      responses:
        200: {description: OK, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(tags.remove(conversation, current_user, tag_id))
