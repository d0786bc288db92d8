"""Tags (SPEC §2.10): the account's admins define them; anyone who can reply in a conversation
adds or removes its tags, each change an event of the thread.

Who can reply: the claimer and the participants, or, while the conversation is unclaimed,
anyone who sees it (they may claim and send). A closed conversation is read-only, its tags too.
A tag's name is unique in its account whatever its case ("VIP" and "vip" are one tag); the
database keeps that too, so two admins adding it at once get one tag and one refusal.
"""

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.inputs import Choice, Form, Id, Strict, Text, check, length_of, load
from app.models import Conversation, ConversationTag, Tag, User
from app.models.conversation import EventType
from app.models.tag import TAG_COLORS, TagColor
from app.services import events
from app.services.errors import Closed, DomainError, Forbidden, Invalid, NotClaimer, NotFound


class NewTagSchema(Strict):
    """A new tag: a name of one line, and a colour of the palette (gray when not given)."""

    name = Text(max_length=length_of(Tag.name))
    color = Choice(TAG_COLORS, load_default=TagColor.GRAY)


class TagChangeSchema(Strict):
    """A change to a tag: its name, its colour or both."""

    name = Text(max_length=length_of(Tag.name), required=False)
    color = Choice(TAG_COLORS)


class TagFormSchema(Form, NewTagSchema):
    """The admin page's form of a tag (blank boxes count as not given)."""


class TagIdSchema(Strict):
    """The tag to add to a conversation."""

    tag_id = Id(required=True)


def listed(user: User) -> list[Tag]:
    """The account's tags, by name."""
    return list(db.session.scalars(Tag.of_account(user)))


def usage(user: User) -> dict[int, int]:
    """How many conversations each of the account's tags is on (one grouped query)."""
    return dict(
        db.session.execute(
            select(ConversationTag.tag_id, func.count())
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(Tag.account_id == user.account_id)
            .group_by(ConversationTag.tag_id)
        ).all()
    )


def get(user: User, tag_id, field: str | None = None) -> Tag:
    """A tag of the user's account. Not one: NotFound, or, when the id came in a body's `field`,
    Invalid naming it (another account's tag is no tag of this one)."""
    tag = (
        db.session.scalar(Tag.of_account(user).where(Tag.id == tag_id))
        if isinstance(tag_id, int)
        else None
    )
    if tag is None:
        if field:
            raise Invalid("No such tag.", {field: ["No tag of your account has this id."]})
        raise NotFound("No such tag.")
    return tag


def _admin_only(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("Only admins define the account's tags.")


def _named(user: User, name: str, other_than: Tag | None = None) -> Tag | None:
    """The account's tag of that name whatever its case, but `other_than`."""
    query = Tag.of_account(user).where(func.lower(Tag.name) == name.lower())
    if other_than is not None:
        query = query.where(Tag.id != other_than.id)
    return db.session.scalar(query)


def _taken(name: str) -> Invalid:
    return Invalid("The tag was not saved.", {"name": [f"A tag named “{name}” exists already."]})


def _save(tag: Tag, name: str) -> Tag:
    """Commit the new or changed tag; the unique index answers a race the check above missed."""
    try:
        db.session.commit()
    except IntegrityError as e:
        db.session.rollback()
        raise _taken(name) from e
    return tag


def create(user: User, data) -> Tag:
    """Add a tag from `data` (`name`, `color`); admins only; Invalid naming each field at fault,
    the name included when the account has a tag of that name already."""
    _admin_only(user)
    values, errors = check(NewTagSchema(), data)
    if "name" in values and _named(user, values["name"]):
        errors.setdefault("name", []).extend(_taken(values["name"]).fields["name"])
    if errors:
        raise Invalid("The tag was not saved.", errors)
    tag = Tag(account_id=user.account_id, **values)
    db.session.add(tag)
    return _save(tag, tag.name)


def update(user: User, tag: Tag, data) -> Tag:
    """Rename or recolour a tag; admins only. The conversations keep it; the events name it as
    it was called when they happened."""
    _admin_only(user)
    values = load(TagChangeSchema(), data, "The tag was not saved.")
    if not values:
        raise Invalid("The tag was not saved.", {"_schema": ["Give a name, a color or both."]})
    if "name" in values and _named(user, values["name"], other_than=tag):
        raise _taken(values["name"])
    for name, value in values.items():
        setattr(tag, name, value)
    return _save(tag, tag.name)


def save(user: User, tag: Tag | None, form) -> Tag:
    """The admin page's form: `tag` changed, or, when None, a new tag."""
    values = load(TagFormSchema(), form, "The tag was not saved.")
    return update(user, tag, values) if tag is not None else create(user, values)


def delete_tag(user: User, tag: Tag) -> None:
    """Delete a tag; admins only. It comes off every conversation; the threads' events keep its
    name."""
    _admin_only(user)
    db.session.execute(delete(ConversationTag).where(ConversationTag.tag_id == tag.id))
    db.session.delete(tag)
    db.session.commit()


def refusal(conversation: Conversation, user: User) -> DomainError | None:
    """Why the user may not change the conversation's tags, or None."""
    if not conversation.is_open:
        return Closed("The conversation is closed: its tags stay as they are.")
    if conversation.claimed_by_id is not None and not conversation.handled_by(user):
        return NotClaimer(
            f"Only {conversation.claimed_by.name} and participants can change its tags."
        )
    return None


def add(conversation: Conversation, user: User, data) -> Conversation:
    """Put a tag on the conversation (`data`: `tag_id`); a tag it has already changes nothing."""
    tag = get(user, load(TagIdSchema(), data, "No tag was added.")["tag_id"], field="tag_id")
    if denied := refusal(conversation, user):
        raise denied
    if tag not in conversation.tags:
        db.session.add(ConversationTag(conversation_id=conversation.id, tag_id=tag.id))
        events.record(conversation, EventType.TAGGED, user, tag_name=tag.name)
        try:
            db.session.commit()
        except IntegrityError:  # the same tag put on at the same moment by someone else
            db.session.rollback()
    db.session.refresh(conversation)
    return conversation


def remove(conversation: Conversation, user: User, tag_id: int) -> Conversation:
    """Take a tag off the conversation; NotFound when it does not have it."""
    if denied := refusal(conversation, user):
        raise denied
    tag = next((t for t in conversation.tags if t.id == tag_id), None)
    if tag is None:
        raise NotFound("The conversation has no such tag.")
    removed = db.session.execute(
        delete(ConversationTag).where(
            ConversationTag.conversation_id == conversation.id, ConversationTag.tag_id == tag.id
        )
    ).rowcount
    if removed:  # taken off by someone else at the same moment: their event says so
        events.record(conversation, EventType.UNTAGGED, user, tag_name=tag.name)
    db.session.commit()
    db.session.refresh(conversation)
    return conversation
