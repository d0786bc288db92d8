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
    ReplySchema,
    TabQuerySchema,
    UserIdSchema,
    UserListSchema,
)
from app.extensions import db
from app.inputs import json_object, load
from app.services import claims, inbox, outbound, people


def conversation_out(conversation, status: int = 200):
    return jsonify(ConversationSchema().dump(conversation)), status


@bp.get("/users")
def users():
    return jsonify(UserListSchema().dump({"items": inbox.account_users(current_user)}))


@bp.get("/conversations")
def conversations():
    args = load(TabQuerySchema(), request.args.to_dict())
    items, next_cursor = inbox.page(
        current_user,
        args["tab"],
        args["cursor"],
        current_app.config["API_PAGE_SIZE"],
        participants=True,
    )
    return jsonify(ConversationPageSchema().dump({"items": items, "next_cursor": next_cursor}))


@bp.get("/conversations/<id:conversation_id>")
def conversation(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    inbox.mark_read(conversation, current_user)
    thread = inbox.thread(conversation)
    conversation.messages, conversation.events = thread.messages, thread.events
    answer = ConversationDetailSchema().dump(conversation)
    db.session.commit()  # the read mark
    return jsonify(answer)


@bp.post("/conversations/<id:conversation_id>/claim")
def claim(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.claim(conversation, current_user))


@bp.post("/conversations/<id:conversation_id>/release")
def release(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.release(conversation, current_user))


@bp.post("/conversations/<id:conversation_id>/reassign")
def reassign(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    args = load(UserIdSchema(), json_object())
    target = people.account_user(current_user, args["user_id"], field="user_id")
    return conversation_out(claims.reassign(conversation, current_user, target))


@bp.post("/conversations/<id:conversation_id>/messages")
def send(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    args = load(ReplySchema(), json_object())
    message = outbound.reply(conversation, current_user, args["body"], claim=args["claim"])
    return jsonify(MessageSchema().dump(message)), 201


@bp.post("/conversations/<id:conversation_id>/participants")
def add_participant(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    args = load(UserIdSchema(), json_object())
    target = people.account_user(current_user, args["user_id"], field="user_id")
    return conversation_out(claims.add_participant(conversation, current_user, target))


@bp.delete("/conversations/<id:conversation_id>/participants/<id:user_id>")
def remove_participant(conversation_id: int, user_id: int):
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.remove_participant(conversation, current_user, user_id))


@bp.post("/conversations/<id:conversation_id>/close")
def close(conversation_id: int):
    conversation = inbox.get(current_user, conversation_id)
    return conversation_out(claims.close(conversation, current_user))


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
