"""The OpenAPI document of /api/v1, built from the same marshmallow schemas the API uses."""

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.api import schemas
from app.models.base import MAX_ID


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


ERRORS = {
    400: "Bad request: a cookie session's change without its CSRF token",
    401: "Not logged in: no session and no valid Bearer token",
    403: "Not allowed to you (`code` says why)",
    404: "No such conversation or user, or not one you may see",
    409: "Refused by the conversation's state (`code` says which)",
    422: "Invalid input: `fields` names each field at fault (`_schema` for the body as a whole)",
}


def _answers(ok: int, schema: str | None, *errors: int) -> dict:
    """The answers of one operation: `ok` with its schema, and each error it can give, in the
    error body's shape."""
    answers = {str(ok): {"description": "OK", **(_json(schema) if schema else {})}}
    for status in sorted({401, *errors}):
        answers[str(status)] = {"description": ERRORS[status], **_json("Error")}
    return answers


def _id(name: str) -> dict:
    """A path id, bounded as the `<id:…>` converter bounds it (beyond: 404)."""
    bounded = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "schema": bounded}


ID = _id("conversation_id")


@functools.cache
def spec() -> dict:
    """The document (built once)."""
    doc = APISpec(
        title="SMS Conversations API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Session cookie, or `Authorization: Bearer TOKEN` (flask api-token)."},
    )
    doc.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    # Leaves first: nested schemas then refer to them instead of registering a second copy.
    for name in (
        "UserBrief", "Contact", "Number", "Message", "Event", "ErrorBody", "User", "UserList",
        "Conversation", "ConversationDetail", "ConversationPage", "Reply", "UserId", "Error",
    ):  # fmt: skip
        doc.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    conversation = {"parameters": [ID]}
    doc.path(
        "/users",
        operations={
            "get": {"summary": "The account's users", "responses": _answers(200, "UserList")}
        },
    )
    doc.path(
        "/conversations",
        operations={
            "get": {
                "summary": "One page of a tab, newest first",
                "parameters": [
                    {
                        "name": "tab",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["active", "team", "closed"]},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": _answers(200, "ConversationPage", 422),
            }
        },
    )
    doc.path(
        "/conversations/{conversation_id}",
        operations={
            "get": {
                **conversation,
                "summary": "A conversation with its messages and events",
                "responses": _answers(200, "ConversationDetail", 404),
            }
        },
    )
    actions = {
        "claim": ("Claim an unclaimed conversation", None, (409,)),
        "release": ("Release your claim", None, (403, 409)),
        "reassign": ("Hand the conversation to another user (admins)", "UserId", (403, 409, 422)),
        "close": ("Close (claimer, participant or admin)", None, (403, 409)),
        "participants": ("Add a participant (claimer or admin)", "UserId", (403, 409, 422)),
    }
    changes = (400, 404)  # every change: CSRF for cookie sessions, and the conversation
    for action, (summary, body, errors) in actions.items():
        operation = {
            **conversation,
            "summary": summary,
            "responses": _answers(200, "Conversation", *changes, *errors),
        }
        if body:
            operation["requestBody"] = {"required": True, **_json(body)}
        doc.path(f"/conversations/{{conversation_id}}/{action}", operations={"post": operation})
    doc.path(
        "/conversations/{conversation_id}/messages",
        operations={
            "post": {
                **conversation,
                "summary": "Send a text (optionally claiming first)",
                "requestBody": {"required": True, **_json("Reply")},
                "responses": _answers(201, "Message", *changes, 403, 409, 422),
            }
        },
    )
    doc.path(
        "/conversations/{conversation_id}/participants/{user_id}",
        operations={
            "delete": {
                "summary": "Remove a participant",
                "parameters": [ID, _id("user_id")],
                "responses": _answers(200, "Conversation", *changes, 403, 409),
            }
        },
    )
    result = doc.to_dict()
    result["servers"] = [{"url": "/api/v1"}]
    result["security"] = [{"bearer": []}]
    return result
