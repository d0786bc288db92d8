"""The OpenAPI document of /api/v1, generated from the API blueprint's views: a view's URL rule
gives its path and path parameters, the YAML after `---` in its docstring its operations, and the
marshmallow schemas the API loads and dumps with give every shape. A route of the blueprint whose
docstring says nothing of one of its methods is a route the document misses (a test checks)."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from app.api import bp, schemas
from app.models.base import MAX_ID

# The answers an operation refers to by name (`404: NotFound`), each in the error body's shape.
ERRORS = {
    "BadRequest": "Bad request: a cookie session's change without its CSRF token",
    "Unauthorized": "Not logged in: no session and no valid Bearer token",
    "Forbidden": "Not allowed to you (`code` says why)",
    "NotFound": "No such conversation, contact, user, saved reply or tag, or not one you may see",
    "Conflict": "Refused by the conversation's state (`code` says which)",
    "Invalid": (
        "Invalid input: `fields` names each field at fault (`_schema` for the body as a whole)"
    ),
}
# Leaves first: nested schemas then refer to them instead of registering a second copy.
SCHEMAS = (
    "UserBrief", "Contact", "Number", "Tag", "Match", "Message", "Event", "ErrorBody", "User",
    "UserList",
    "Note", "NoteIn",
    "Conversation", "ConversationDetail", "ConversationPage", "Reply", "ReplyWithFiles",
    "ScheduledEdit", "UserId",
    "Error",
    "NewConversation",
    "Consent", "ContactDetail", "ContactChange",
    "SavedReply", "SavedReplyList", "SavedReplyNew", "SavedReplyChange",
    "TagList", "TagNew", "TagChange", "TagId",
)  # fmt: skip
DOCUMENT = f"{bp.name}.openapi"  # the route serving the document, which it does not list
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


class ApiViews(FlaskPlugin):
    """FlaskPlugin, with paths relative to where the blueprint is mounted (the document's
    `servers`), each `<id:…>` of a rule a path parameter bounded as the converter bounds it
    (beyond: 404), and an operation's summary the first line of its view's docstring."""

    def path_helper(self, path=None, operations=None, parameters=None, *, view=None, **kwargs):
        """The path of `view`'s rule; its parameters and summaries added to the operations."""
        path = super().path_helper(path, operations, parameters, view=view, **kwargs)
        rule = self._rule_for_view(view, app=kwargs.get("app"))
        for converter, name in CONVERTER.findall(rule.rule):
            if converter != "id":
                raise ValueError(f"{rule.rule}: no OpenAPI form for <{converter}:…>")
            bounded = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            parameters.append({"name": name, "in": "path", "required": True, "schema": bounded})
        summary = (view.__doc__ or "").strip().splitlines()[0].removesuffix(".")
        for operation in operations.values():
            operation.setdefault("summary", summary)
        return path.removeprefix(bp.url_prefix)


def spec(app: Flask) -> dict:
    """The document of `app`'s API (built once per app)."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build(app)
    return app.extensions["openapi"]


def build(app: Flask) -> dict:
    """The document, from every route of the API blueprint in `app` but its own."""
    doc = APISpec(
        title="SMS Conversations API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[ApiViews(), MarshmallowPlugin()],
        info={"description": "Session cookie, or `Authorization: Bearer TOKEN` (flask api-token)."},
    )
    doc.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in SCHEMAS:
        doc.components.schema(name, schema=getattr(schemas, f"{name}Schema"))
    for name, description in ERRORS.items():
        error = {"application/json": {"schema": "Error"}}
        doc.components.response(name, {"description": description, "content": error})
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{bp.name}.") and rule.endpoint != DOCUMENT:
            doc.path(view=app.view_functions[rule.endpoint], app=app)
    result = doc.to_dict()
    result["servers"] = [{"url": bp.url_prefix}]
    result["security"] = [{"bearer": []}]
    return result
