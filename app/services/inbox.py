"""Reading conversations: the tabs with keyset pagination, one thread, unread marks (SPEC §2.6)."""

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

from marshmallow import Schema
from sqlalchemy import Integer, and_, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload
from sqlalchemy.sql.expression import BindParameter, Executable

from app import phones
from app.extensions import db
from app.inputs import Choice, Form, Id, Text, length_of, load
from app.models import (
    Contact,
    Conversation,
    ConversationEvent,
    ConversationTag,
    Message,
    Note,
    Participant,
    ReadMark,
    Tag,
    TrackingNumber,
    User,
)
from app.models.account import full_name
from app.models.base import MAX_ID, upsert_insert, utcnow
from app.models.conversation import TABS, Direction
from app.services import notify, tags
from app.services.errors import Invalid, NotFound


class Viewer(NamedTuple):
    """A user as the inbox's statements name them: their id and account as bound parameters,
    given at each execution (`as_seen`), and whether they are an admin, which shapes the
    statement. The visibility rules that build a condition from a user's id, account and role
    (`visible_to`, `of_tab`, `handled_by`, `unread_condition`) take a Viewer alike; others read
    more of a user (`notify.hears_of`) and take none."""

    id: BindParameter
    account_id: BindParameter
    is_admin: bool


VIEWERS = {
    is_admin: Viewer(
        bindparam("viewer_id", type_=Integer),
        bindparam("viewer_account_id", type_=Integer),
        is_admin,
    )
    for is_admin in (False, True)
}
# The statements `as_seen` keeps, by key: building a tab's took longer than running it.
BUILT: dict[tuple, Executable] = {}


def as_seen(user: User, build: Callable[[Viewer], Executable], key: tuple | None = None, **params):
    """The result of the statement `build` makes for a viewer of the user's kind, run as the
    user with `params` (the values of its other bound parameters). With a `key` naming all else
    the statement depends on, it is built once per process and kind of user, and kept."""
    viewer = VIEWERS[user.is_admin]
    if key is None:
        statement = build(viewer)
    else:
        key = (*key, user.is_admin)
        statement = BUILT.get(key)
        if statement is None:
            statement = BUILT[key] = build(viewer)
    values = {"viewer_id": user.id, "viewer_account_id": user.account_id, **params}
    return db.session.execute(statement, values)


def written(limit: int):
    """A LIMIT written into a statement's SQL, not bound: PostgreSQL then plans the prepared
    statement once for every run (a generic plan), knowing how few rows it needs, where with
    the limit a parameter it planned it again at each run."""
    return literal_column(str(int(limit)))


def _visible(viewer: Viewer, shown: bool):
    """A conversation the viewer may see, by its id (`conversation_id`), with its contact and
    claimer; `shown`, its tags, its participants and the viewer's read mark too."""
    query = (
        Conversation.visible_to(viewer)
        .where(Conversation.id == bindparam("conversation_id", type_=Integer))
        .options(
            joinedload(Conversation.contact, innerjoin=True),
            joinedload(Conversation.claimed_by),
        )
    )
    if shown:
        query = query.options(
            joinedload(Conversation.tags), joinedload(Conversation.participants)
        ).add_columns(read_mark(viewer).label("read_at"))
    return query


def get(user: User, conversation_id) -> Conversation:
    """A conversation the user may see, or NotFound (never Forbidden: no existence leak)."""
    return _found(user, conversation_id, shown=False)[0]


def opened(user: User, conversation_id) -> Conversation:
    """A conversation the user opens, as its thread shows it (its tags and participants read in
    the same query), marked read when it holds a text they had not seen: opening it again
    writes nothing, nor waits for the disk as a write's commit does. NotFound as `get`. The
    caller commits once it has read what it shows (`mark_read`)."""
    conversation, read_at = _found(user, conversation_id, shown=True)
    if is_unread(conversation.last_inbound_at, read_at):
        mark_read(conversation, user)
    return conversation


def _found(user: User, conversation_id, shown: bool) -> tuple:
    """(conversation, the user's read mark when `shown`), as `get` and `opened` find it."""
    if not isinstance(conversation_id, int) or not 0 < conversation_id <= MAX_ID:
        raise NotFound("No such conversation.")
    found = as_seen(
        user,
        partial(_visible, shown=shown),
        ("conversation", shown),
        conversation_id=conversation_id,
    )
    row = found.unique().one_or_none()
    if row is None:
        raise NotFound("No such conversation.")
    return row[0], row.read_at if shown else None


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, id_ = raw.split("|")
        stamp, id_ = datetime.fromisoformat(stamp), int(id_)
        if not 0 < id_ <= MAX_ID:
            raise ValueError("id out of range")
        return stamp, id_
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise Invalid(
            "The cursor is not one this API gave out.", {"cursor": ["Unknown cursor."]}
        ) from e


class FilterFields(Schema):
    """The filters of a list (SPEC §2.11), as a query string gives them: `number` (one of the
    user's numbers, in any format), `tag` (a tag's id), `unread=1`, `mine=1`."""

    number = Text(max_length=length_of(TrackingNumber.number) * 2, required=False)
    tag = Id(strict=False)
    unread = Choice(("1", "0"), load_default="0")
    mine = Choice(("1", "0"), load_default="0")


class FilterSchema(Form, FilterFields):
    """The filters of a page's list: a blank box counts as not given, other arguments pass."""


@dataclass(frozen=True)
class Filters:
    """What narrows a tab: one number, one tag, unread texts only, claimed by the user."""

    number: TrackingNumber | None = None
    tag: Tag | None = None
    unread: bool = False
    mine: bool = False

    def args(self) -> dict[str, str | int]:
        """The filters as a query string gives them, for links that keep them."""
        found: dict[str, str | int] = {}
        if self.number is not None:
            found["number"] = self.number.number
        if self.tag is not None:
            found["tag"] = self.tag.id
        if self.unread:
            found["unread"] = "1"
        if self.mine:
            found["mine"] = "1"
        return found

    def narrow(self, query, user: User):
        """`query` (of conversations) narrowed by each filter that is set."""
        if self.number is not None:
            query = query.where(Conversation.tracking_number_id == self.number.id)
        if self.tag is not None:
            query = query.where(
                Conversation.id.in_(
                    select(ConversationTag.conversation_id).where(
                        ConversationTag.tag_id == self.tag.id
                    )
                )
            )
        if self.unread:
            query = query.where(unread_condition(user))
        if self.mine:
            query = query.where(Conversation.claimed_by_id == user.id)
        return query


NO_FILTERS = Filters()


def numbers_seen(user: User) -> list[TrackingNumber]:
    """The numbers whose conversations the user sees, by label: what the number filter offers."""
    return list(as_seen(user, _numbers_seen, ("numbers seen",)).scalars())


def _numbers_seen(viewer: Viewer):
    """The statement of `numbers_seen`."""
    return TrackingNumber.visible_to(viewer).order_by(TrackingNumber.label, TrackingNumber.id)


def filters(user: User, args) -> Filters:
    """The filters a query string asks for; Invalid naming the field for a number that is not
    one of the user's, or a tag that is not one of the account's."""
    values = load(FilterSchema(), args, "The filters were not understood.")
    number = None
    if "number" in values:
        try:
            e164 = phones.normalize(values["number"])
        except ValueError:
            e164 = None
        number = e164 and db.session.scalar(
            TrackingNumber.visible_to(user).where(TrackingNumber.number == e164)
        )
        if not number:
            raise Invalid(
                "The filters were not understood.",
                {"number": ["Not one of the numbers whose texts you see."]},
            )
    tag = tags.get(user, values["tag"], field="tag") if "tag" in values else None
    return Filters(number, tag, values["unread"] == "1", values["mine"] == "1")


def page(
    user: User,
    tab: str,
    cursor: str | None = None,
    size: int = 50,
    narrowed: Filters = NO_FILTERS,
):
    """One page of a tab as the API lists it, newest text first: (conversations, next cursor or
    None), `narrowed` by the filters, each conversation with its participants."""
    query = in_order(user, tab, cursor, narrowed)
    rows = list(db.session.scalars(listed(query.limit(size + 1), participants=True)))
    more = len(rows) > size
    rows = rows[:size]
    mark_unread(user, rows)
    return rows, encode_cursor(rows[-1]) if more else None


def in_order(user: User, tab: str, cursor: str | None, narrowed: Filters):
    """A tab's conversations after the cursor, newest text first, narrowed by the filters."""
    check_tab(tab)
    query = narrowed.narrow(Conversation.in_tab(user, tab), user)
    if cursor:
        query = query.where(after(cursor))
    return query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


class ContactBrief(NamedTuple):
    """What a list row shows of its contact."""

    name: str | None
    phone: str


class NumberBrief(NamedTuple):
    """What a list row shows of its tracking number."""

    label: str


class UserBrief(NamedTuple):
    """What a list row shows of its claimer."""

    name: str


class TagBrief(NamedTuple):
    """What a list row shows of a tag."""

    name: str
    color: str


@dataclass(frozen=True)
class Row:
    """A conversation as the portal's list shows it, under the names `Conversation` gives the
    same things: one list template draws these and a search's conversations."""

    id: int
    last_message_at: datetime
    last_message_preview: str
    source: str
    unread: bool
    contact: ContactBrief
    tracking_number: NumberBrief
    claimed_by: UserBrief | None
    tags: list[TagBrief]


# A listed conversation's claimer, joined by this name (made once: an alias is costly to build).
CLAIMER = aliased(User, name="claimer")


def listing(
    user: User,
    tab: str,
    cursor: str | None = None,
    size: int = 50,
    narrowed: Filters = NO_FILTERS,
) -> tuple[list[Row], str | None]:
    """One page of a tab as the portal's list shows it: (rows, next cursor or None), as `page`.
    Read as plain columns, the user's read marks with them, in one query (and one more for the
    tags of the rows that have any): the list is drawn on every tab and thread page, and
    building models of 50 conversations with their contacts, numbers and claimers took longer
    than reading them."""
    # The first page of a tab, unfiltered, is the one every tab and thread page shows.
    key = ("listing", tab, size) if cursor is None and narrowed == NO_FILTERS else None
    build = partial(_listing, tab=tab, cursor=cursor, size=size, narrowed=narrowed)
    found = as_seen(user, build, key).all()
    more = len(found) > size
    found = found[:size]
    on = tags_on([r.id for r in found if r.tagged])
    shown = [
        Row(
            id=r.id,
            last_message_at=r.last_message_at,
            last_message_preview=r.last_message_preview,
            source=r.source,
            unread=is_unread(r.last_inbound_at, r.read_at),
            contact=ContactBrief(r.name, r.phone),
            tracking_number=NumberBrief(r.label),
            claimed_by=UserBrief(full_name(r.first_name, r.last_name)) if r.claimed_by_id else None,
            tags=on.get(r.id, []),
        )
        for r in found
    ]
    return shown, encode_cursor(shown[-1]) if more else None


def _listing(viewer: Viewer, tab: str, cursor: str | None, size: int, narrowed: Filters):
    """The statement of `listing`: a page's rows, and one more to tell whether there are more."""
    # Whether the conversation has a tag: the tags are asked for only when some row has one.
    tagged = exists().where(ConversationTag.conversation_id == Conversation.id).label("tagged")
    return (
        in_order(viewer, tab, cursor, narrowed)
        .with_only_columns(
            Conversation.id,
            Conversation.last_message_at,
            Conversation.last_message_preview,
            Conversation.source,
            Conversation.last_inbound_at,
            Conversation.claimed_by_id,
            read_mark(viewer).label("read_at"),
            Contact.name,
            Contact.phone,
            TrackingNumber.label,
            CLAIMER.first_name,
            CLAIMER.last_name,
            tagged,
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(TrackingNumber, TrackingNumber.id == Conversation.tracking_number_id)
        .outerjoin(CLAIMER, CLAIMER.id == Conversation.claimed_by_id)
        .limit(written(size + 1))
    )


def tags_on(conversation_ids: list[int]) -> dict[int, list[TagBrief]]:
    """The tags on each of the conversations, by name (none asked for when there are none)."""
    on: dict[int, list[TagBrief]] = {}
    if conversation_ids:
        for conversation_id, name, color in db.session.execute(
            select(ConversationTag.conversation_id, Tag.name, Tag.color)
            .join(Tag, Tag.id == ConversationTag.tag_id)
            .where(ConversationTag.conversation_id.in_(conversation_ids))
            .order_by(func.lower(Tag.name), Tag.id)
        ):
            on.setdefault(conversation_id, []).append(TagBrief(name, color))
    return on


def check_tab(tab: str) -> None:
    """Invalid naming `tab` unless it is one of the portal's tabs."""
    if tab not in TABS:
        raise Invalid("Unknown tab.", {"tab": [f"One of {', '.join(TABS)}."]})


def after(cursor: str):
    """SQL: the conversation comes after the cursor's, newest text first (Invalid naming
    `cursor` for one this app did not give out)."""
    stamp, id_ = decode_cursor(cursor)
    return or_(
        Conversation.last_message_at < stamp,
        and_(Conversation.last_message_at == stamp, Conversation.id < id_),
    )


def listed(query, participants: bool = False):
    """A query of conversations with what a list shows of each loaded with it; with
    `participants`, their participants too (the API lists them)."""
    query = query.options(
        # In the page's own query: one row each, so joining them costs less than asking.
        joinedload(Conversation.contact, innerjoin=True),
        joinedload(Conversation.tracking_number, innerjoin=True),
        joinedload(Conversation.claimed_by),
        selectinload(Conversation.tags),
    )
    if participants:
        query = query.options(
            selectinload(Conversation.participants).selectinload(Participant.user)
        )
    return query


def read_mark(user: User):
    """SQL: when the user last read the conversation (NULL: never), looked up by its key."""
    return (
        select(ReadMark.read_at)
        .where(ReadMark.conversation_id == Conversation.id, ReadMark.user_id == user.id)
        .scalar_subquery()
    )


def unread_condition(user: User):
    """SQL condition: the conversation has an inbound text newer than the user's last read.

    The read mark is looked up by its key for each conversation a tab reads, not joined: a tab
    stops at a page or at COUNT_CAP, so it reads a few hundred conversations, never every mark
    the user has (as a join may, when the planner expects few)."""
    read_at = read_mark(user)
    return and_(
        Conversation.last_inbound_at.is_not(None),
        or_(read_at.is_(None), read_at < Conversation.last_inbound_at),
    )


def mark_unread(user: User, conversations: list[Conversation]) -> None:
    """Set `.unread` on each conversation for this user (one query for the whole page)."""
    ids = [c.id for c in conversations]
    reads = (
        dict(
            db.session.execute(
                select(ReadMark.conversation_id, ReadMark.read_at).where(
                    ReadMark.user_id == user.id, ReadMark.conversation_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    for c in conversations:
        c.unread = is_unread(c.last_inbound_at, reads.get(c.id))


def is_unread(last_inbound_at: datetime | None, read_at: datetime | None) -> bool:
    """Whether a conversation has an inbound text newer than the user's read mark."""
    return last_inbound_at is not None and (read_at is None or read_at < last_inbound_at)


COUNT_CAP = 100  # a badge says "99+" beyond this: counting further would read every row


def unread_counts(user: User) -> dict[str, int]:
    """How many conversations with unread texts each tab holds, up to COUNT_CAP (one query)."""
    counts = as_seen(user, _unread_counts, ("unread counts",)).one()
    return dict(zip(TABS, counts, strict=True))


def _unread_counts(viewer: Viewer):
    """The statement of `unread_counts`."""
    unread = (
        Conversation.visible_to(viewer)
        .with_only_columns(Conversation.id)
        .where(unread_condition(viewer))
    )
    counts = [
        select(func.count())
        .select_from(
            unread.where(Conversation.of_tab(viewer, tab)).limit(written(COUNT_CAP)).subquery()
        )
        .scalar_subquery()
        for tab in TABS
    ]
    return select(*counts)


def mark_read(conversation: Conversation, user: User) -> None:
    """The user has seen everything in the conversation up to now. The caller commits once it
    has read what it shows: a commit expires every row loaded, which would then be read again."""
    insert = upsert_insert()
    now = utcnow()
    db.session.execute(
        insert(ReadMark)
        .values(conversation_id=conversation.id, user_id=user.id, read_at=now)
        .on_conflict_do_update(index_elements=["conversation_id", "user_id"], set_={"read_at": now})
    )
    conversation.unread = False


@dataclass
class Thread:
    """A conversation's texts, events and notes, oldest first, and the people of its account."""

    messages: list[Message]
    events: list[ConversationEvent]
    people: list[User]
    notes: list[Note]


# The thread's statements, built once: each run binds its conversation, or its account.
IN_CONVERSATION = bindparam("conversation_id", type_=Integer)
PEOPLE = (
    select(User)
    .where(User.account_id == bindparam("account_id", type_=Integer))
    .order_by(User.first_name, User.id)
)
TEXTS = (
    select(Message)
    .where(Message.conversation_id == IN_CONVERSATION)
    .order_by(Message.id)
    .options(joinedload(Message.media))
)
EVENTS = (
    select(ConversationEvent)
    .where(ConversationEvent.conversation_id == IN_CONVERSATION)
    .order_by(ConversationEvent.id)
)
NOTES = (
    select(Note)
    .where(Note.conversation_id == IN_CONVERSATION)
    .order_by(Note.id)
    .options(selectinload(Note.mentions))
)


def thread(conversation: Conversation) -> Thread:
    """A conversation's texts, events and notes. The account's people are read first, in one
    query: each text's sender, each event's people and each note's author and mentioned users
    are then found in the session, not asked for."""
    people = list(db.session.scalars(PEOPLE, {"account_id": conversation.account_id}))
    of_it = {"conversation_id": conversation.id}
    messages = db.session.scalars(TEXTS, of_it).unique().all()
    events = db.session.scalars(EVENTS, of_it).all()
    notes = db.session.scalars(NOTES, of_it).all()
    return Thread(list(messages), list(events), people, list(notes))


def history(conversation: Conversation, user: User) -> list[tuple[Conversation, list[Message]]]:
    """The contact's earlier conversations on the same number that the user may open, newest
    first, with their texts."""
    earlier = list(
        as_seen(
            user,
            _earlier,
            ("history",),
            contact_id=conversation.contact_id,
            tracking_number_id=conversation.tracking_number_id,
            conversation_id=conversation.id,
        ).scalars()
    )
    texts: dict[int, list[Message]] = {c.id: [] for c in earlier}
    if earlier:
        for message in db.session.scalars(
            select(Message)
            .where(Message.conversation_id.in_(texts))
            .order_by(Message.id)
            .options(joinedload(Message.media))
        ).unique():
            texts[message.conversation_id].append(message)
    return [(c, texts[c.id]) for c in earlier]


def _earlier(viewer: Viewer):
    """The statement of `history`'s conversations."""
    return (
        Conversation.visible_to(viewer)
        .where(
            Conversation.contact_id == bindparam("contact_id", type_=Integer),
            Conversation.tracking_number_id == bindparam("tracking_number_id", type_=Integer),
            Conversation.id < bindparam("conversation_id", type_=Integer),
        )
        .order_by(Conversation.id.desc())
    )


# A change is stamped before its transaction commits: one stamped a moment before the latest may
# commit after it. The changes of these last seconds are part of what a page has seen.
LATE_COMMITS = timedelta(seconds=10)
RECENT_CHANGES = 100


def change_stamp(user: User) -> str:
    """What the portal shows the user is up to date with: the account's latest change, and each
    conversation changed in the LATE_COMMITS before it (one indexed query, newest first)."""
    recent = db.session.execute(
        select(Conversation.id, Conversation.updated_at)
        .where(Conversation.account_id == user.account_id)
        .order_by(Conversation.updated_at.desc())
        .limit(written(RECENT_CHANGES))
    ).all()
    if not recent:
        return ""
    last = recent[0].updated_at
    seen = [(id_, at.isoformat()) for id_, at in recent if at >= last - LATE_COMMITS]
    digest = hashlib.blake2b(repr(sorted(seen)).encode(), digest_size=6).hexdigest()
    return f"{last.isoformat()}~{digest}"


ALERTS = 5  # texts told of at once; more make one page's worth of noise


def alerts(user: User, since: str) -> list[Message]:
    """The texts from contacts filed since the change stamp `since` (`change_stamp`) in the
    conversations the user is told of (`notify.hears_of`), newest first, at most ALERTS: what
    an open portal taps its user on the shoulder for. Read from the conversations changed since,
    through their index, never from every text."""
    try:
        # An account with no conversation yet has the empty stamp: every text is new.
        moment = datetime.fromisoformat(since.split("~")[0]) if since else datetime.min
    except ValueError:
        return []
    return list(
        db.session.scalars(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                Conversation.account_id == user.account_id,
                Conversation.updated_at > moment,
                notify.hears_of(user),
                Message.direction == Direction.INBOUND,
                Message.updated_at > moment,
            )
            .order_by(Message.id.desc())
            .limit(ALERTS)
            .options(contains_eager(Message.conversation).joinedload(Conversation.contact))
        )
    )


def account_users(user: User, people: list[User] | None = None) -> list[User]:
    """The users of the account, for picking participants; admins also see deactivated ones.
    `people`, the account's users read already (a thread's), are picked from, not asked for."""
    if people is None:
        people = list(db.session.scalars(PEOPLE, {"account_id": user.account_id}))
    return [u for u in people if user.is_admin or u.active]
