"""Search (SPEC §2.11): among the conversations a user can see, those whose contact's phone has
the digits typed (a whole number in any format, or any 4 or more of its digits in a row), whose
contact's name holds what was typed, or one of whose texts or notes has every word typed.

A query that is only digits and phone punctuation searches phones; any other searches names,
texts and notes. Each of those is one indexed query of its own (PostgreSQL: full-text GIN indexes
of the words, trigram indexes of phones and names; SQLite: FTS5 tables), newest conversations
first from the cursor on, and the pages they give are merged: no query joins them with OR, which
would keep the database from using the index of each. Words are matched by their stem ("leak"
finds "leaking"); what is typed never reaches a query's syntax (`&|!:*()`, quotes, `%`, `_` are
text). Each result carries the match to show: the newest text or note with the words, or the name
or phone, with where the words are.
"""

import re
from dataclasses import dataclass

from sqlalchemy import func, literal_column, select, table

from app import phones
from app.extensions import db
from app.inputs import Form, Text, load
from app.models import Contact, Conversation, Message, Note, TrackingNumber, User
from app.services import inbox
from app.services.inbox import NO_FILTERS, Filters

MAX_QUERY = 200
MIN_DIGITS = 4
PHONE_LIKE = re.compile(r"[\d\s()+.\-]+")
WORD = re.compile(r"\w+")
EXCERPT = 160  # characters of a text shown around its first match
LEAD = 50  # of which before it
PROBE = 2000  # texts with a word: up to this many, a rare word (see _with_words)
# Endings a word loses before two words are compared for marking (the database matched them by
# their stems already; this only says where to draw the marks).
ENDINGS = ("ing", "ed", "es", "s")


class SearchSchema(Form):
    """What is searched for: one line of at most MAX_QUERY characters."""

    q = Text(max_length=MAX_QUERY, blank="Type something to search for.")


@dataclass(frozen=True)
class Terms:
    """A query as the searches take it: the digits of a phone, or words."""

    digits: str | None
    words: tuple[str, ...]
    text: str


def terms(q: str) -> Terms:
    """How a query is searched (q checked already): digits when it reads as a phone, else words
    (and the text as typed, for names)."""
    digits = re.sub(r"\D", "", q)
    if PHONE_LIKE.fullmatch(q) and len(digits) >= MIN_DIGITS:
        return Terms(digits=digits, words=(), text=q)
    return Terms(digits=None, words=tuple(WORD.findall(q.lower())), text=q)


@dataclass
class Match:
    """Where a conversation matched: `kind` (text, note, name, phone), the text or note's id,
    an excerpt, and the (start, end) spans of it to mark."""

    kind: str
    id: int | None
    excerpt: str
    marks: list[tuple[int, int]]


def page(
    user: User,
    q,
    cursor: str | None = None,
    size: int = 50,
    narrowed: Filters = NO_FILTERS,
    tab: str | None = None,
    participants: bool = False,
) -> tuple[list[Conversation], str | None]:
    """One page of the conversations matching `q` that the user can see (in `tab` only, when
    given), narrowed by the filters, newest first: (conversations, next cursor or None); each
    conversation's `match` says where it matched. Invalid naming `q` for an empty or too long
    query; nothing for one with no word nor digits (only punctuation)."""
    found = terms(load(SearchSchema(), {"q": q}, "Nothing was searched.")["q"])
    if tab is not None:
        inbox.check_tab(tab)
    base = narrowed.narrow(
        Conversation.in_tab(user, tab) if tab else Conversation.visible_to(user), user
    )
    if cursor:
        base = base.where(inbox.after(cursor))
    sources = _sources(user, found)
    hits: dict[str, dict] = {}
    for kind, condition in sources.items():
        query = (
            base.where(condition)
            .with_only_columns(Conversation.id, Conversation.last_message_at)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(size + 1)
        )
        hits[kind] = dict(db.session.execute(query).all())
    newest = sorted(
        {(at, id_) for found_ in hits.values() for id_, at in found_.items()}, reverse=True
    )[: size + 1]
    ids = [id_ for _, id_ in newest]
    more = len(ids) > size
    ids = ids[:size]
    rows = _load(ids, participants)
    inbox.mark_unread(user, rows)
    _match(rows, found, {kind: set(found_) & set(ids) for kind, found_ in hits.items()})
    return rows, inbox.encode_cursor(rows[-1]) if more else None


def _sources(user: User, found: Terms) -> dict:
    """Each search to run, by the kind of match it finds: a condition on conversations."""
    contacts = select(Contact.id).where(Contact.account_id == user.account_id)
    if found.digits:
        return {"phone": Conversation.contact_id.in_(contacts.where(_has_digits(found.digits)))}
    if not found.words:
        return {}
    name = Contact.name.ilike(f"%{_like_escaped(found.text)}%", escape="\\")
    numbers = select(TrackingNumber.id).where(TrackingNumber.account_id == user.account_id)
    authors = select(User.id).where(User.account_id == user.account_id)
    sources = {
        "text": _with_words(Message, found.words, Message.tracking_number_id.in_(numbers)),
        "note": _with_words(Note, found.words, Note.author_id.in_(authors)),
        "name": Conversation.contact_id.in_(contacts.where(name)),
    }
    return {kind: condition for kind, condition in sources.items() if condition is not None}


def _with_words(model, words: tuple[str, ...], of_account):
    """A condition on conversations: one of their texts (or notes) has the words; None when
    none of the account's has. The index of words is asked first for at most PROBE rows: a word
    that rare gives its conversations at once, and the page is read from those; a commoner word
    is found by reading the newest conversations and looking for it in each, which soon fills a
    page. (Left to itself, the planner may take a rare word for a common one and look through
    every conversation.)"""
    has = (model.conversation_id.is_not(None), _has_words(model, words), of_account)
    found = db.session.scalars(select(model.conversation_id).where(*has).limit(PROBE + 1)).all()
    if not found:
        return None
    if len(found) <= PROBE:
        return Conversation.id.in_(set(found))
    return Conversation.id.in_(select(model.conversation_id).where(*has))


def _has_digits(digits: str):
    """SQL: the contact's phone holds the digits in a row (they are digits only: nothing to
    escape)."""
    return Contact.phone.like(f"%{digits}%")


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_words(model, words: tuple[str, ...]):
    """SQL: the row's body has every one of the words (by their stems), through the engine's
    index of words."""
    if db.session.get_bind().dialect.name == "postgresql":
        english = literal_column("'english'::regconfig")
        vector = func.to_tsvector(english, model.body)
        return vector.op("@@")(func.plainto_tsquery(english, " ".join(words)))
    index = f"search_{model.__tablename__}"
    # Each word a quoted string: FTS5 reads nothing in it as an operator.
    query = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    rowids = (
        select(literal_column("rowid"))
        .select_from(table(index))
        .where(literal_column(index).op("MATCH")(query))
    )
    return model.id.in_(rowids)


def _load(ids: list[int], participants: bool) -> list[Conversation]:
    """The conversations of `ids`, in that order, with what a list shows of each."""
    if not ids:
        return []
    query = inbox.listed(select(Conversation).where(Conversation.id.in_(ids)), participants)
    found = {c.id: c for c in db.session.scalars(query)}
    return [found[id_] for id_ in ids]


def _match(rows: list[Conversation], found: Terms, by_kind: dict[str, set[int]]) -> None:
    """Set each conversation's `match`: the newest text with the words, else the newest note,
    else the name or phone."""
    texts = _newest(Message, by_kind.get("text"), found.words)
    notes = _newest(Note, by_kind.get("note"), found.words)
    for c in rows:
        if c.id in texts:
            c.match = _excerpt("text", *texts[c.id], found.words)
        elif c.id in notes:
            c.match = _excerpt("note", *notes[c.id], found.words)
        elif found.digits:
            c.match = _phone_match(c.contact.phone, found.digits)
        else:
            c.match = _name_match(c.contact.name or "", found.text)


def _newest(model, ids: set[int] | None, words) -> dict[int, tuple[int, str]]:
    """The newest row of `model` with the words in each of the conversations `ids`: its id and
    body (one query)."""
    if not ids:
        return {}
    newest: dict[int, tuple[int, str]] = {}
    for conversation_id, id_, body in db.session.execute(
        select(model.conversation_id, model.id, model.body)
        .where(model.conversation_id.in_(ids), _has_words(model, words))
        .order_by(model.id.desc())
    ):
        newest.setdefault(conversation_id, (id_, body))
    return newest


def _root(word: str) -> str:
    word = word.lower()
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _excerpt(kind: str, id_: int, body: str, words) -> Match:
    """The part of a body around its first word matched, with every word matched marked."""
    roots = {_root(w) for w in words}
    spans = [(m.start(), m.end()) for m in WORD.finditer(body) if _root(m.group()) in roots]
    start = 0
    if len(body) > EXCERPT and spans:
        start = max(0, min(spans[0][0] - LEAD, len(body) - EXCERPT))
    end = min(len(body), start + EXCERPT)
    lead, tail = ("…" if start else ""), ("…" if end < len(body) else "")
    shift = len(lead) - start
    marks = [(s + shift, e + shift) for s, e in spans if s >= start and e <= end]
    return Match(kind, id_, lead + body[start:end] + tail, marks)


def _phone_match(phone: str, digits: str) -> Match:
    """The phone as the list shows it, the typed digits marked (across its punctuation)."""
    shown = phones.pretty(phone)
    places = [i for i, ch in enumerate(shown) if ch.isdigit()]
    at = "".join(shown[i] for i in places).find(digits)
    if at < 0:  # the pretty form dropped the country code the digits began with
        return Match("phone", None, phone, _spans_of(phone, digits))
    return Match("phone", None, shown, [(places[at], places[at + len(digits) - 1] + 1)])


def _spans_of(text: str, part: str) -> list[tuple[int, int]]:
    at = text.lower().find(part.lower())
    return [(at, at + len(part))] if at >= 0 else []


def _name_match(name: str, typed: str) -> Match:
    return Match("name", None, name, _spans_of(name, typed))
