"""Saved replies (SPEC §2.10): titled bodies an agent inserts into the composer, shared by the
account (admins manage those) or kept by one user; and the variables filled in when inserted.

Who may do what: everyone uses the account's shared replies and their own; only admins add,
change or delete shared ones (an agent trying is refused: they can see the reply); a personal
reply is its owner's alone (anyone else, and every other account, finds no such reply).

A body may name only the variables below: `{contact_frist_name}` would reach a customer as
written, so a `{word}` that is not one of them is refused when the reply is saved.
"""

import logging
import re

from flask import url_for
from marshmallow import ValidationError, validates, validates_schema
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inputs import Strict, StrictBoolean, Text, length_of, load
from app.models import Conversation, SavedReply, SavedReplyFile, User
from app.services import attachments
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.outbound import MAX_BODY
from app.storage import storage

log = logging.getLogger(__name__)

VARIABLES = {
    "contact_first_name": "the contact's first name",
    "contact_name": "the contact's name",
    "agent_first_name": "your first name",
    "company": "the account's name",
    "number_label": "the label of the conversation's number",
}
LISTED = ", ".join(f"{{{name}}}" for name in VARIABLES)
# What looks like a variable: a word in braces. Only the known ones are filled in.
LOOKS_LIKE_VARIABLE = re.compile(r"\{(\w+)\}")
VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")
# Where a value is empty, the space before it goes when what follows is a space, punctuation or
# the end of the line ("Hi {contact_first_name}," → "Hi,", not "Hi ,"); at the start of a line
# the space after it goes.
CLOSES = re.compile(r"^([ \t,.;:!?)]|\n|$)")


class Body(Text):
    """A reply's body: line breaks as the phone shows them (a browser posts each as CR LF, which
    would count and be sent as two), then trimmed and bounded like any text."""

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_BODY, single_line=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super()._deserialize(value, attr, data, **kwargs)


def unknown_variables(body: str) -> list[str]:
    """The `{word}`s of a body that are not variables, in order, once each."""
    found = [f"{{{word}}}" for word in LOOKS_LIKE_VARIABLE.findall(body) if word not in VARIABLES]
    return list(dict.fromkeys(found))


class _Fields(Strict):
    """What a new reply and a change share: the body names only known variables."""

    @validates("body")
    def names_known_variables(self, value: str, data_key: str) -> None:
        """Every `{word}` is a variable (a typo would reach the customer in braces)."""
        if unknown := unknown_variables(value):
            raise ValidationError(
                f"Not a variable: {', '.join(unknown)}. The variables are {LISTED}."
            )


class NewSavedReplySchema(_Fields):
    """A new saved reply: `shared` for the whole account (admins), else the caller's own."""

    title = Text(max_length=length_of(SavedReply.title))
    body = Body()
    shared = StrictBoolean(load_default=False)


class SavedReplyChangeSchema(_Fields):
    """A change to a saved reply: its title, its body or both. Whether it is shared stays as it
    is (`shared` may be given only with the value it has)."""

    title = Text(max_length=length_of(SavedReply.title), required=False)
    body = Body(required=False)
    shared = StrictBoolean()

    @validates_schema
    def changes_something(self, data: dict, **kwargs) -> None:
        """At least one of title and body."""
        if "title" not in data and "body" not in data:
            raise ValidationError("Give a title, a body or both.")


def usable(user: User) -> list[SavedReply]:
    """The replies the user may insert: the account's shared ones first, then their own, each by
    title; with their files (every list of them shows or offers those)."""
    query = SavedReply.usable_by(user).options(joinedload(SavedReply.files))
    return list(db.session.scalars(query).unique())


def shared_of(user: User) -> list[SavedReply]:
    """The account's shared replies, by title."""
    return [reply for reply in usable(user) if reply.shared]


def own(user: User) -> list[SavedReply]:
    """The user's own replies, by title."""
    return [reply for reply in usable(user) if not reply.shared]


def get(user: User, reply_id: int, shared: bool | None = None) -> SavedReply:
    """A reply the user may use (and, when `shared` is given, of that kind); NotFound otherwise:
    someone else's own reply and another account's are nobody's business."""
    query = SavedReply.usable_by(user).where(SavedReply.id == reply_id)
    if shared is not None:
        query = query.where(
            SavedReply.user_id.is_(None) if shared else SavedReply.user_id.is_not(None)
        )
    reply = db.session.scalar(query)
    if reply is None:
        raise NotFound("No such saved reply.")
    return reply


def refusal(user: User, reply_shared: bool) -> Forbidden | None:
    """Why the user may not add, change or delete a reply of that kind, or None."""
    if reply_shared and not user.is_admin:
        return Forbidden("Only admins manage the account's shared replies.")
    return None


def create(user: User, data, files=()) -> SavedReply:
    """Save a new reply from `data` (`title`, `body`, `shared`) with `files` (as Werkzeug gives
    them: pictures and files attached with its text, checked as the composer's); Invalid naming
    each field at fault, Forbidden for an agent's shared one."""
    values = load(NewSavedReplySchema(), data, "The saved reply was not added.")
    if denied := refusal(user, values["shared"]):
        raise denied
    uploads = attachments.checked(files) if files else []
    reply = SavedReply(
        account_id=user.account_id,
        user_id=None if values["shared"] else user.id,
        title=values["title"],
        body=values["body"],
    )
    _attach(reply, uploads)
    db.session.add(reply)
    db.session.commit()
    return reply


def update(user: User, reply: SavedReply, data, files=(), dropped=()) -> SavedReply:
    """Change a reply's title or body from `data`, remove its files whose ids are `dropped` and
    add `files`; Forbidden for an agent's change to a shared one, Invalid naming each field at
    fault (`shared` included, when it would change)."""
    if denied := refusal(user, reply.shared):
        raise denied
    values = load(SavedReplyChangeSchema(), data, "The saved reply was not changed.")
    if values.pop("shared", reply.shared) != reply.shared:
        kind = "shared" if reply.shared else "personal"
        raise Invalid(
            "The saved reply was not changed.",
            {"shared": [f"This reply stays {kind}: add a new one instead."]},
        )
    gone = [f for f in reply.files if f.id in dropped]
    staying = [f for f in reply.files if f.id not in dropped]
    already = (len(staying), sum(f.size for f in staying))
    uploads = attachments.checked(files, already) if files else []
    for name, value in values.items():
        setattr(reply, name, value)
    for file in gone:
        reply.files.remove(file)
    _attach(reply, uploads)
    db.session.commit()
    _forget(gone)
    return reply


def _attach(reply: SavedReply, uploads: list[attachments.Upload]) -> None:
    """Keep the files and add them to the reply, after those it has (the caller commits)."""
    for upload in uploads:
        reply.files.append(SavedReplyFile(position=len(reply.files), **upload.kept()))


def _forget(files: list[SavedReplyFile]) -> None:
    """Delete the kept files of rows deleted (committed): one left behind is only space."""
    for file in files:
        try:
            storage().delete(file.storage_key)
        except Exception:
            log.exception("saved reply file %s not deleted from storage", file.storage_key)


def save(
    user: User, reply: SavedReply | None, title, body, shared: bool, files=(), dropped=()
) -> SavedReply:
    """A page's form: `reply` changed, or, when None, a new reply (shared, or the user's own)."""
    values = {"title": title, "body": body}
    if reply is not None:
        return update(user, reply, values, files, dropped)
    return create(user, {**values, "shared": shared}, files)


def delete(user: User, reply: SavedReply) -> None:
    """Delete a reply, with its files; Forbidden for an agent's shared one."""
    if denied := refusal(user, reply.shared):
        raise denied
    files = list(reply.files)
    db.session.delete(reply)
    db.session.commit()
    _forget(files)


def file_of(user: User, reply_id: int, file_id: int) -> SavedReplyFile:
    """A file of a reply the user may use; NotFound otherwise."""
    found = next((f for f in get(user, reply_id).files if f.id == file_id), None)
    if found is None:
        raise NotFound("No such file.")
    return found


def fill(body: str, conversation: Conversation, agent: User) -> str:
    """The body as it is inserted into `conversation`'s composer by `agent`: each variable
    replaced by its value. A value not known (a contact with no name) is empty, and the space it
    leaves is tidied; anything else in braces stays as written (`{{contact_name}}` keeps its outer
    braces around the name)."""
    values = values_of(conversation, agent)
    pieces = VARIABLE.split(body)  # text, variable, text, variable, …, text
    out = pieces[0]
    for i in range(1, len(pieces), 2):
        value, after = values[pieces[i]], pieces[i + 1]
        # Right before another variable there is nothing to tidy yet.
        if not value and (after or i + 2 == len(pieces)):
            if out == "" or out.endswith("\n"):
                after = after.lstrip(" \t")
            elif CLOSES.match(after):
                out = out.rstrip(" \t")
        out += value + after
    return out


def values_of(conversation: Conversation, agent: User) -> dict[str, str]:
    """Each variable's value in a conversation, for an agent ("" when not known)."""
    name = " ".join((conversation.contact.name or "").split())
    return {
        "contact_first_name": name.split(" ")[0] if name else "",
        "contact_name": name,
        "agent_first_name": (agent.first_name or "").strip(),
        "company": agent.account.name,
        "number_label": conversation.tracking_number.label,
    }


def for_composer(conversation: Conversation, agent: User) -> list[dict]:
    """The replies the agent may insert in the conversation, filled in: `{"title", "body",
    "files"}`, each file `{"url", "name", "type"}` (attached with the text)."""
    return [
        {
            "title": reply.title,
            "body": fill(reply.body, conversation, agent),
            "files": [
                {
                    "url": url_for("portal.saved_reply_file", reply_id=reply.id, file_id=f.id),
                    "name": f.filename,
                    "type": f.content_type,
                }
                for f in reply.files
            ],
        }
        for reply in usable(agent)
    ]
