"""API endpoints: parse with a schema, call one service, dump with a schema."""

from flask import current_app, jsonify, request
from flask_login import current_user

from app.api import bp
from app.api.openapi import spec
from app.api.schemas import (
    ConversationDetailSchema,
    ConversationPageSchema,
    ConversationSchema,
    MessageSchema,
    NewConversationSchema,
    ReplySchema,
    ReplyWithFilesSchema,
    ScheduledEditSchema,
    TabQuerySchema,
    UserIdSchema,
    UserListSchema,
)
from app.extensions import db
from app.inputs import json_object, load
from app.models.conversation import Tab
from app.services import claims, inbox, outbound, people, scheduled, search, starts


def conversation_out(conversation, status: int = 200):
    """A conversation as the API answers it."""
    return jsonify(ConversationSchema().dump(conversation)), status


@bp.get("/users")
def users():
    """The account's users, for picking participants.

    ---
    get:
      responses:
        200: {description: OK, content: {application/json: {schema: UserList}}}
        401: Unauthorized
    """
    return jsonify(UserListSchema().dump({"items": inbox.account_users(current_user)}))


@bp.get("/conversations")
def conversations():
    """One page of a tab, or of what a search finds, newest first, narrowed by the filters.

    ---
    get:
      parameters:
        - {in: query, schema: TabQuerySchema}
      responses:
        200: {description: OK, content: {application/json: {schema: ConversationPage}}}
        401: Unauthorized
        422: Invalid
    """
    args = load(TabQuerySchema(), request.args.to_dict())
    size, narrowed = current_app.config["API_PAGE_SIZE"], inbox.filters(current_user, args)
    if args["q"] is not None:
        items, next_cursor = search.page(
            current_user, args["q"], args["cursor"], size, narrowed, args["tab"], participants=True
        )
    else:
        items, next_cursor = inbox.page(
            current_user,
            args["tab"] or Tab.ACTIVE,
            args["cursor"],
            size,
            narrowed=narrowed,
        )
    return jsonify(ConversationPageSchema().dump({"items": items, "next_cursor": next_cursor}))


@bp.post("/conversations")
def start():
    """Text a mobile number from one of your numbers: its conversation, claimed by you.

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: NewConversation}}}
      responses:
        201: {description: Created, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        409: Conflict
        422: Invalid
    """
    args = load(NewConversationSchema(), json_object())
    conversation = starts.start(
        current_user, args["from_"], args["to"], args["body"], args["consent"]
    )
    return conversation_out(conversation, 201)


@bp.get("/conversations/<id:conversation_id>")
def conversation(conversation_id: int):
    """A conversation with its messages, events and notes (marked read).

    ---
    get:
      responses:
        200: {description: OK, content: {application/json: {schema: ConversationDetail}}}
        401: Unauthorized
        404: NotFound
    """
    conversation = inbox.get(current_user, conversation_id)
    inbox.mark_read(conversation, current_user)
    thread = inbox.thread(conversation)
    conversation.messages, conversation.events = thread.messages, thread.events
    conversation.notes = thread.notes
    answer = ConversationDetailSchema().dump(conversation)
    db.session.commit()  # the read mark
    return jsonify(answer)


@bp.post("/conversations/<id:conversation_id>/claim")
def claim(conversation_id: int):
    """Claim an unclaimed conversation.

    ---
    post:
      responses:
        200: {description: OK, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        404: NotFound
        409: Conflict
    """
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.claim(conversation, current_user))


@bp.post("/conversations/<id:conversation_id>/release")
def release(conversation_id: int):
    """Release your claim.

    ---
    post:
      responses:
        200: {description: OK, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.release(conversation, current_user))


@bp.post("/conversations/<id:conversation_id>/reassign")
def reassign(conversation_id: int):
    """Hand the conversation to another user (admins).

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: UserId}}}
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
    args = load(UserIdSchema(), json_object())
    target = people.account_user(current_user, args["user_id"], field="user_id")
    return conversation_out(claims.reassign(conversation, current_user, target))


@bp.post("/conversations/<id:conversation_id>/messages")
def send(conversation_id: int):
    """Send a text (optionally claiming first), with pictures and files as one MMS when sent as
    multipart/form-data.

    ---
    post:
      requestBody:
        required: true
        content:
          application/json: {schema: Reply}
          multipart/form-data: {schema: ReplyWithFiles}
      responses:
        201: {description: OK, content: {application/json: {schema: Message}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
        422: Invalid
    """
    conversation = inbox.get(current_user, conversation_id)
    if request.mimetype == "multipart/form-data":
        args = load(ReplyWithFilesSchema(), request.form.to_dict())
        files = request.files.getlist("files")
    else:
        args, files = load(ReplySchema(), json_object()), []
    send_at = args["send_at"] and scheduled.check_send_at(args["send_at"])
    message = outbound.reply(
        conversation,
        current_user,
        args["body"],
        claim=args["claim"],
        send_at=send_at,
        files=files,
    )
    return jsonify(MessageSchema().dump(message)), 201


@bp.route(
    "/conversations/<id:conversation_id>/messages/<id:message_id>", methods=["PATCH", "DELETE"]
)
def scheduled_message(conversation_id: int, message_id: int):
    """Change (PATCH) or cancel (DELETE) a scheduled text while it has not left: its author,
    or an admin.

    ---
    patch:
      requestBody: {required: true, content: {application/json: {schema: ScheduledEdit}}}
      responses:
        200: {description: OK, content: {application/json: {schema: Message}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
        422: Invalid
    delete:
      responses:
        200: {description: OK, content: {application/json: {schema: Message}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    conversation = inbox.get(current_user, conversation_id)
    message = scheduled.get(conversation, message_id)
    if request.method == "DELETE":
        message = scheduled.cancel(message, current_user)
    else:
        args = load(ScheduledEditSchema(), json_object())
        send_at = args.get("send_at") and scheduled.check_send_at(args["send_at"])
        message = scheduled.edit(message, current_user, args.get("body"), send_at)
    return jsonify(MessageSchema().dump(message))


@bp.post("/conversations/<id:conversation_id>/participants")
def add_participant(conversation_id: int):
    """Add a participant (claimer or admin).

    ---
    post:
      requestBody: {required: true, content: {application/json: {schema: UserId}}}
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
    args = load(UserIdSchema(), json_object())
    target = people.account_user(current_user, args["user_id"], field="user_id")
    return conversation_out(claims.add_participant(conversation, current_user, target))


@bp.delete("/conversations/<id:conversation_id>/participants/<id:user_id>")
def remove_participant(conversation_id: int, user_id: int):
    """Remove a participant.

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
    return conversation_out(claims.remove_participant(conversation, current_user, user_id))


@bp.post("/conversations/<id:conversation_id>/close")
def close(conversation_id: int):
    """Close (claimer, participant or admin).

    ---
    post:
      responses:
        200: {description: OK, content: {application/json: {schema: Conversation}}}
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.close(conversation, current_user))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API (no login needed)."""
    return jsonify(spec(current_app))
