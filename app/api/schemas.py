"""The JSON API's shapes (SPEC §3): what it accepts and what it answers."""

from flask import url_for
from marshmallow import Schema, fields, validate

from app.inputs import Id, Moment, Strict, StrictBoolean
from app.models.account import ROLES
from app.models.contact import CONSENT_STATES
from app.models.conversation import (
    EVENT_TYPES,
    TABS,
    ConversationSource,
    ConversationStatus,
    Direction,
    HeldFor,
    MessageKind,
    MessageStatus,
)
from app.models.tag import TAG_COLORS
from app.services import inbox, saved_replies, search, tags
from app.services.contacts import NameAndNotes
from app.services.notes import MAX_MENTIONS, MAX_NOTE
from app.services.outbound import MAX_BODY


class UtcDateTime(fields.DateTime):
    """Times are stored as naive UTC; the API says so with a trailing Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat(timespec="seconds") + "Z"


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    phone = fields.String(allow_none=True)
    active = fields.Boolean()


class UserBriefSchema(Schema):
    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()


class ContactSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String(allow_none=True)


class NumberSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    label = fields.String()


class TagSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    color = fields.String(metadata={"enum": list(TAG_COLORS)})


class TagListSchema(Schema):
    items = fields.List(fields.Nested(TagSchema))


TagNewSchema = tags.NewTagSchema
TagChangeSchema = tags.TagChangeSchema
TagIdSchema = tags.TagIdSchema


class MatchSchema(Schema):
    """Where a search found the conversation: in a text or note (`id`), the contact's name or
    phone; an excerpt, and the [start, end) spans of it that matched."""

    kind = fields.String(metadata={"enum": ["text", "note", "name", "phone"]})
    id = fields.Integer(allow_none=True)
    excerpt = fields.String()
    marks = fields.List(fields.List(fields.Integer()))


class ParticipantSchema(Schema):
    user = fields.Nested(UserBriefSchema)


class ConversationSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(ConversationStatus)})
    source = fields.String(metadata={"enum": list(ConversationSource)})
    contact = fields.Nested(ContactSchema)
    tracking_number = fields.Nested(NumberSchema)
    claimed_by = fields.Nested(UserBriefSchema, allow_none=True)
    participants = fields.Method("dump_participants")
    tags = fields.List(fields.Nested(TagSchema))
    match = fields.Nested(MatchSchema, metadata={"description": "with `q` only"})
    last_message_at = UtcDateTime()
    last_message_preview = fields.String()
    unread = fields.Boolean()
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)

    def dump_participants(self, conversation):
        return UserBriefSchema(many=True).dump([p.user for p in conversation.participants])


class MessageSchema(Schema):
    id = fields.Integer()
    direction = fields.String(metadata={"enum": list(Direction)})
    body = fields.String()
    status = fields.String(metadata={"enum": list(MessageStatus)})
    kind = fields.String(metadata={"enum": list(MessageKind)})
    sent_by = fields.Nested(UserBriefSchema, allow_none=True)
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    send_at = UtcDateTime(
        allow_none=True, metadata={"description": "when a scheduled text leaves (UTC)"}
    )
    held_for = fields.String(
        allow_none=True,
        metadata={"enum": list(HeldFor), "description": "why it waits, when nobody chose when"},
    )
    created_at = UtcDateTime()
    media = fields.Method(
        "media_of",
        metadata={"description": "its pictures and files: [{url, content_type}], url in the app"},
    )

    def media_of(self, message) -> list[dict]:
        return [
            {"url": url_for("portal.media", media_id=item.id), "content_type": item.content_type}
            for item in message.media
        ]


class EventSchema(Schema):
    id = fields.Integer()
    type = fields.String(metadata={"enum": list(EVENT_TYPES)})
    user = fields.Nested(UserBriefSchema, allow_none=True)
    target_user = fields.Nested(UserBriefSchema, allow_none=True)
    tag = fields.String(
        attribute="tag_name",
        allow_none=True,
        metadata={"description": "the tag put on or taken off, as it was named then"},
    )
    created_at = UtcDateTime()


class ConversationDetailSchema(ConversationSchema):
    messages = fields.List(fields.Nested(MessageSchema))
    events = fields.List(fields.Nested(EventSchema))
    notes = fields.List(fields.Nested("NoteSchema"))


class ConversationPageSchema(Schema):
    items = fields.List(fields.Nested(ConversationSchema))
    next_cursor = fields.String(allow_none=True)


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String())
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class TabQuerySchema(Strict, inbox.FilterFields):
    """A page of a tab (active when neither `tab` nor `q` is given), or of the conversations a
    search finds (in every tab, or in `tab`), narrowed by the filters."""

    tab = fields.String(load_default=None, validate=validate.OneOf(list(TABS)))
    q = fields.String(
        load_default=None,
        metadata={
            "maxLength": search.MAX_QUERY,
            "description": "search: a phone (any format, or 4 or more of its digits in a row), "
            "part of a name, or words of texts and notes",
        },
    )
    cursor = fields.String(load_default=None)


class ReplySchema(Strict):
    body = fields.String(required=True, metadata={"maxLength": MAX_BODY})
    claim = StrictBoolean(load_default=False)
    send_at = Moment(
        load_default=None,
        metadata={"description": "send later: a future time with its offset, within a year"},
    )


class ReplyWithFilesSchema(ReplySchema):
    """A text with pictures and files (multipart/form-data): `body` may then be empty."""

    body = fields.String(load_default="", metadata={"maxLength": MAX_BODY})
    # A form's fields are words: "true" or "false" (or 1 and 0).
    claim = fields.Boolean(load_default=False, truthy={"true", "1"}, falsy={"false", "0"})
    files = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}),
        load_only=True,
        metadata={"description": "JPEG, PNG, GIF, PDF or vCard; 10 files, 5 MB together"},
    )


class ScheduledEditSchema(Strict):
    body = fields.String(metadata={"maxLength": MAX_BODY})
    send_at = Moment()


class UserIdSchema(Strict):
    user_id = Id(required=True)


# Starting a conversation (SPEC §3 "More of the JSON API")


class NewConversationSchema(Strict):
    from_ = fields.String(
        data_key="from",
        required=True,
        metadata={"description": "an active number of yours (E.164)"},
    )
    to = fields.String(required=True, metadata={"description": "the mobile number to text"})
    body = fields.String(required=True, metadata={"maxLength": MAX_BODY})
    consent = StrictBoolean(
        load_default=False,
        metadata={
            "description": "the person asked to be texted (needed when they have not "
            "texted this number before)"
        },
    )


# -- contacts (SPEC §2.9) -------------------------------------------------------------------------


class ConsentSchema(Schema):
    tracking_number = fields.Nested(NumberSchema)
    state = fields.String(metadata={"enum": list(CONSENT_STATES)})
    updated_at = UtcDateTime()


class ContactDetailSchema(Schema):
    """A contact page (services/contacts.ContactPage): the contact, its conversations the caller
    may see (newest first, at most 100) and its consent on their numbers."""

    id = fields.Integer(attribute="contact.id")
    phone = fields.String(attribute="contact.phone")
    name = fields.String(attribute="contact.name", allow_none=True)
    notes = fields.String(attribute="contact.notes", allow_none=True)
    conversations = fields.List(fields.Nested(ConversationSchema))
    consents = fields.List(fields.Nested(ConsentSchema))


class ContactChangeSchema(NameAndNotes):
    """The service's own check of a change, named for the OpenAPI document."""


# Saved replies (SPEC §2.10): the bodies as written, with their variables; the composer fills them.


class SavedReplySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    shared = fields.Boolean()
    files = fields.Method(
        "files_of",
        metadata={"description": "its pictures and files: [{url, content_type, filename}]"},
    )
    created_at = UtcDateTime()
    updated_at = UtcDateTime()

    def files_of(self, reply) -> list[dict]:
        return [
            {
                "url": url_for("portal.saved_reply_file", reply_id=reply.id, file_id=f.id),
                "content_type": f.content_type,
                "filename": f.filename,
            }
            for f in reply.files
        ]


class SavedReplyListSchema(Schema):
    items = fields.List(fields.Nested(SavedReplySchema))


SavedReplyNewSchema = saved_replies.NewSavedReplySchema
SavedReplyChangeSchema = saved_replies.SavedReplyChangeSchema


# Internal notes (SPEC §2.10): what a note is answered as, and what adding one takes.


class NoteSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    author = fields.Nested(UserBriefSchema)
    mentions = fields.List(fields.Integer(), attribute="mentioned_ids")
    created_at = UtcDateTime()


class NoteInSchema(Strict):
    body = fields.String(required=True, metadata={"maxLength": MAX_NOTE})
    mentions = fields.List(
        Id(), load_default=list, metadata={"maxItems": MAX_MENTIONS, "uniqueItems": True}
    )
