"""Internal notes in a thread, and the teammates they mention (SPEC §2.10).

A note is never sent to the contact and counts no segments. Anyone who can see a conversation
adds one, open or closed (a note records what happened; it changes nothing the contact sees).
Each user it mentions is told like a claimer, and one who could not see the conversation is made
a participant by the mention, with the event that says so.
"""

from marshmallow import ValidationError, fields, pre_load, validate, validates
from sqlalchemy import select

from app.extensions import db
from app.inputs import Form, Id, Text, check, described
from app.models import Conversation, Note, NoteMention, Participant, User
from app.models.base import utcnow
from app.models.conversation import EventType
from app.services import claims, events, notify
from app.services.errors import Invalid
from app.services.outbound import MAX_BODY

MAX_NOTE = MAX_BODY  # as long as a text: a note is written in the same box
MAX_MENTIONS = 20


class NoteInput(Form):
    """A note as a service takes it: ids as JSON numbers or a form's digits."""

    body = Text(max_length=MAX_NOTE, single_line=False, blank="Write a note.")
    mentions = fields.List(
        Id(strict=False),
        load_default=list,
        validate=validate.Length(
            max=MAX_MENTIONS, error=f"At most {MAX_MENTIONS} people in one note."
        ),
        error_messages={"invalid": "A list of user ids.", "null": "A list of user ids."},
    )

    @pre_load
    def unix_lines(self, data, **kwargs):
        """Line breaks as the thread shows them: a browser posts each as CR LF, which would count
        two characters."""
        body = data.get("body") if isinstance(data, dict) else None
        if isinstance(body, str):
            data = {**data, "body": body.replace("\r\n", "\n").replace("\r", "\n")}
        return data

    @validates("mentions")
    def distinct(self, value: list[int], **kwargs) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Each user is mentioned once.")


def _check(author: User, body, mentions) -> tuple[str, list[User]]:
    """The note's body and the users it mentions, or Invalid naming each field at fault: every
    mention must be an active user of the author's account."""
    values, errors = check(NoteInput(), {"body": body, "mentions": mentions})
    users: list[User] = []
    if "mentions" not in errors and values["mentions"]:
        ids = values["mentions"]
        found = {
            user.id: user
            for user in db.session.scalars(
                select(User).where(
                    User.id.in_(ids), User.account_id == author.account_id, User.active.is_(True)
                )
            )
        }
        unknown = [str(i) for i in ids if i not in found]
        if unknown:
            errors["mentions"] = [f"No such active user in this account: {', '.join(unknown)}."]
        users = [found[i] for i in ids if i in found]
    if errors:
        raise Invalid(f"The note was not added. {described(errors)}", errors)
    return values["body"], users


def _can_see(user: User, conversation: Conversation) -> bool:
    query = Conversation.visible_to(user).where(Conversation.id == conversation.id)
    return db.session.scalar(select(query.exists())) or False


def add(conversation: Conversation, author: User, body, mentions=None) -> Note:
    """Add a note by `author` (who can see the conversation) mentioning `mentions` (user ids):
    in one transaction the note, its mentions, each mentioned user who could not see the
    conversation made a participant (an event each); then the mentioned are told."""
    body, users = _check(author, body, [] if mentions is None else mentions)
    claims.lock(conversation)  # two notes at once bring a teammate in once
    note = Note(conversation_id=conversation.id, author_id=author.id, body=body)
    db.session.add(note)
    for user in users:
        note.mentions.append(NoteMention(user_id=user.id))
        if not _can_see(user, conversation):
            db.session.add(
                Participant(conversation_id=conversation.id, user_id=user.id, added_by_id=author.id)
            )
            events.record(conversation, EventType.PARTICIPANT_ADDED, author, user)
    conversation.updated_at = utcnow()  # open portals draw the note
    db.session.flush()
    notify.queue_mentions(note, users)
    db.session.commit()
    db.session.refresh(note)
    return note
