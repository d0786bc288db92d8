"""A text arrives: store it, find or open its conversation, answer what consent calls for (§2.3)."""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import Connection, bindparam, case, insert, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import phones
from app.extensions import db
from app.models import Account, Contact, Conversation, Message, MessageMedia, TrackingNumber
from app.models.base import upsert_insert, utcnow
from app.models.conversation import (
    WAITING_WHERE,
    ConversationSource,
    ConversationStatus,
    Direction,
    MessageKind,
    MessageStatus,
    Purpose,
)
from app.models.number import PENDING_SMS_STATES
from app.queue import after_commit, backoff, enqueue, soon
from app.services import business_hours, consent, events, notify, outbound
from app.services.errors import Transient, new_error_id

log = logging.getLogger(__name__)


def receive(
    to: str, sender: str, body: str, sid: str | None, media: tuple[tuple[str, str], ...] = ()
) -> Message | None:
    """Store an inbound text exactly once and file it before returning (the simulated phone and
    the demo); None when the number is not ours. A repeated `sid` returns the stored text.
    `media` as for `accept`."""
    message_id = _store(db.session.connection(), to, sender, body, sid, None, media)
    if message_id is not None and media:
        after_commit("keep_media", message_id)
    db.session.commit()
    if message_id is None:
        message_id = _stored_before(to, sender, sid)
        if message_id is None:
            return None
    file_one(message_id)
    return db.session.get(Message, message_id)


def accept(
    to: str,
    sender: str,
    body: str,
    sid: str | None,
    opt_out_type: str | None = None,
    media: tuple[tuple[str, str], ...] = (),
) -> bool:
    """The webhook's hot path: store the text in one statement, then leave the rest (contact,
    consent, conversation, replies, notifications) to a worker's filing job, moments later; in the
    embedded default (no REDIS_URL, no worker) it is done before the answer. False when the number
    is not ours.

    Stored before the provider has its answer, so nothing it was told we got is lost; a repeated
    `sid` (the provider retrying) stores nothing new and only asks again for the filing, which
    does nothing for a text already filed. `opt_out_type` is what Twilio's Advanced Opt-Out
    matched, when it answered a keyword itself; `media` the (URL, content type) of each picture or
    file of an MMS.
    """
    # A connection of its own, out of the session: a text without media is one statement, with
    # no transaction to open and commit around it.
    with db.engine.connect() as conn:
        if not media:
            conn.execution_options(isolation_level="AUTOCOMMIT")
        message_id = _store(conn, to, sender, body, sid, opt_out_type, media)
        conn.commit()
    if message_id is not None and media:
        enqueue("keep_media", message_id)
    if message_id is None:
        message_id = _stored_before(to, sender, sid)
        if message_id is None:
            return False
    if current_app.config["REDIS_URL"]:
        # One filing job takes every text stored in its window: most texts enqueue nothing. Asked
        # for here, not after the session's commit: the text was committed out of the session.
        soon("file_waiting_texts", current_app.config["INBOUND_FILING_WINDOW"])
    else:
        file_one(message_id)
    return True


def _store_statement(dialect: str):
    """One INSERT of an inbound text that finds its number by `to` and does nothing when the
    provider's SID is stored already. Built once per dialect: building it costs more than
    running it."""
    insert = upsert_insert(dialect)
    table = Message.__table__
    given = [bindparam(name, type_=table.c[name].type).label(name) for name in STORED]
    constant = [literal(v, type_=table.c[name].type).label(name) for name, v in INBOUND.items()]
    return (
        insert(Message)
        .from_select(
            ["tracking_number_id", *STORED, *INBOUND],
            select(TrackingNumber.id, *given, *constant).where(
                TrackingNumber.number == bindparam("to_number")
            ),
        )
        .on_conflict_do_nothing(index_elements=["tracking_number_id", "provider_sid"])
        .returning(Message.id)
    )


STORED = (
    "body",
    "from_number",
    "to_number",
    "provider_sid",
    "opt_out_type",
    "created_at",
    "updated_at",
)
INBOUND = {
    "direction": Direction.INBOUND,
    "kind": MessageKind.TEXT,
    "status": MessageStatus.RECEIVED,
}
STORE = {dialect: _store_statement(dialect) for dialect in ("postgresql", "sqlite")}


def _store(
    conn: Connection,
    to: str,
    sender: str,
    body: str,
    sid: str | None,
    opt_out_type: str | None,
    media: tuple[tuple[str, str], ...] = (),
) -> int | None:
    """Store an inbound text and its media through `conn` (the caller commits); its id, or None
    when nothing was stored: the number is not ours, or this `sid` is stored already."""
    now = utcnow()
    message_id = conn.scalar(
        STORE[conn.dialect.name],
        {
            "body": (body or "").replace("\x00", ""),  # no database stores NUL in text
            "from_number": _sender(sender),
            "to_number": to,
            "provider_sid": sid or None,
            "opt_out_type": opt_out_type or None,
            "created_at": now,
            "updated_at": now,
        },
    )
    if message_id is not None and media:
        conn.execute(
            insert(MessageMedia),
            [
                {"message_id": message_id, "position": i, "url": url, "content_type": kind}
                for i, (url, kind) in enumerate(media)
            ],
        )
    return message_id


def _sender(phone: str) -> str:
    """The sender in E.164; short codes and alphanumeric senders as the carrier gave them."""
    try:
        return phones.normalize(phone)
    except ValueError:
        return phone


def _stored_before(to: str, sender: str, sid: str | None) -> int | None:
    """After an INSERT that stored nothing: the text stored before under `sid` (the provider
    retried), or None when the number is not ours."""
    number = TrackingNumber.by_number(to)
    message_id = None
    if number is None:
        log.info("text to unknown number %s from %s ignored", to, sender)
    elif sid:
        message_id = db.session.scalar(
            select(Message.id).where(
                Message.tracking_number_id == number.id, Message.provider_sid == sid
            )
        )
    db.session.rollback()
    return message_id


def file_one(message_id: int) -> None:
    """File one stored text (`take_in`); one that fails is logged under an error id and counted
    on its `attempts`, and a later filing run tries it again, until JOB_MAX_TRIES failures mark
    it `failed` with the reason: it is never retried for ever."""
    try:
        take_in(message_id)
    except Exception:
        db.session.rollback()
        _filing_failed(message_id)


def _filing_failed(message_id: int) -> None:
    error_id = new_error_id()
    log.exception("inbound text %s could not be filed, logged as %s", message_id, error_id)
    last = Message.attempts + 1 >= current_app.config["JOB_MAX_TRIES"]
    reason = f"could not be filed in a conversation (error logged as {error_id})"
    attempts = db.session.scalar(
        update(Message)
        .where(Message.id == message_id, text(WAITING_WHERE))
        .values(
            attempts=Message.attempts + 1,
            status=case((last, MessageStatus.FAILED), else_=Message.status),
            error_message=case((last, reason), else_=Message.error_message),
        )
        .returning(Message.attempts)
        .execution_options(synchronize_session=False)
    )
    tries_left = attempts is not None and attempts < current_app.config["JOB_MAX_TRIES"]
    if tries_left and not current_app.config["REDIS_URL"]:
        # Without workers no beat asks for the next filing: this does.
        after_commit("file_waiting_texts", countdown=backoff(attempts - 1))
    db.session.commit()


def take_in(message_id: int) -> None:
    """The rest of a stored text's work: its contact, consent, conversation, the replies consent
    calls for and the notifications. Done once, however often it is asked. A text to a number
    whose SMS change is pending waits for its end (`activation`)."""
    clashes = 0
    while True:
        # Locked, so a filing that runs twice (a worker died after finishing it) waits, then
        # sees the text filed.
        message = db.session.scalar(
            select(Message).where(Message.id == message_id).with_for_update()
        )
        if message is None or message.status != MessageStatus.RECEIVED or message.conversation_id:
            db.session.rollback()
            return
        # With its account, in the one statement that reads the number: the account's settings
        # (the after-hours reply's switch) cost every text nothing more.
        number = db.session.get(
            TrackingNumber, message.tracking_number_id, options=[joinedload(TrackingNumber.account)]
        )
        if number.sms_state in PENDING_SMS_STATES:
            number_id = number.id
            db.session.rollback()
            # The change may have ended while this text was held, its own filing passing it by.
            state = db.session.scalar(
                select(TrackingNumber.sms_state).where(TrackingNumber.id == number_id)
            )
            db.session.rollback()
            if state in PENDING_SMS_STATES:
                return
            continue
        if not number.sms_active:
            # Kept for audit: a number whose SMS is not active opens no conversation.
            message.status = MessageStatus.IGNORED
            db.session.commit()
            return
        try:
            act(number, message)
            db.session.commit()
            return
        except IntegrityError as e:
            db.session.rollback()  # a text of the same contact opened the conversation first
            clashes += 1
            if clashes == 3:
                raise Transient("the conversation kept changing while filing") from e


def act(number: TrackingNumber, message: Message) -> None:
    """File a stored inbound text: contact, consent, conversation, replies, notifications, in
    the session's transaction (the caller commits)."""
    contact = contact_for(number, message.from_number)
    opt_out_type = message.opt_out_type
    provider_answers = bool(opt_out_type) or current_app.config["TWILIO_ADVANCED_OPT_OUT"]
    outcome = consent.on_inbound(contact, number, message, provider_answers, opt_out_type)
    conversation = conversation_for(
        number, contact, ConversationSource.SMS, keyword_only=bool(outcome.keyword)
    )
    attach(message, conversation)
    if outcome.event:
        events.record(conversation, outcome.event, None)
    for kind in outcome.replies:
        outbound.queue(conversation, number.account.sms_text(kind), purpose=kind)
    # After the opt-in message when this is the contact's first text: welcome, then when they
    # will hear back.
    _answer_after_hours(number.account, conversation, message, outcome.keyword)
    # Queued with the filing, so a text is filed and its people told of it together, once.
    notify.queue(message)


def _answer_after_hours(
    account: Account, conversation: Conversation, message: Message, keyword: str | None
) -> None:
    """A contact's text filed outside business hours, with the after-hours reply on, is answered
    by it (SPEC §2.12): at most once per closed period of the conversation, through the tracked
    outbound path; never to an opted-out pair, nor to a keyword: neither one acted on (`keyword`,
    the provider's match included) nor one that changed nothing ("YES", "START" from a pair that
    never opted out). Nothing is asked of the database while the reply is off; the hours are
    read once."""
    if not account.after_hours_reply or keyword or consent.keyword(message.body):
        return
    now = utcnow()
    closed_since = business_hours.week(account).closed_since(now)
    replied = conversation.after_hours_replied_at
    if closed_since is None or (replied is not None and replied >= closed_since):
        return
    if consent.is_opted_out(conversation.contact_id, conversation.tracking_number_id):
        return
    if _first_after_hours_reply(conversation, closed_since, now):
        body = account.sms_text(Purpose.AFTER_HOURS)
        outbound.queue(conversation, body, purpose=Purpose.AFTER_HOURS)


def _first_after_hours_reply(
    conversation: Conversation, closed_since: datetime, now: datetime
) -> bool:
    """Mark the conversation answered after hours at `now`, unless it was since `closed_since`:
    one conditional UPDATE, so of two texts filed at once exactly one is answered."""
    last = Conversation.after_hours_replied_at
    return bool(
        db.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id, or_(last.is_(None), last < closed_since))
            .values(after_hours_replied_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def new_text(number: TrackingNumber, sender: str, body: str, sid: str | None = None) -> Message:
    """An inbound text to the number, added to the session (no conversation yet)."""
    message = Message(
        tracking_number_id=number.id,
        direction=Direction.INBOUND,
        body=body,
        from_number=sender,
        to_number=number.number,
        status=MessageStatus.RECEIVED,
        provider_sid=sid or None,
        created_at=utcnow(),
    )
    db.session.add(message)
    return message


def attach(message: Message, conversation: Conversation) -> None:
    """Put an inbound text in its conversation; an open one shows it as its latest text, unless
    a later one was filed first (texts are filed by jobs, which may run out of order)."""
    message.conversation = conversation
    # Now, not when the text came: an open portal asks for what changed since it last looked.
    conversation.updated_at = utcnow()
    latest = conversation.last_inbound_at
    if conversation.is_open and (latest is None or message.created_at >= latest):
        conversation.last_message_at = conversation.last_inbound_at = message.created_at
        conversation.last_message_preview = message.body[:160]


def contact_for(number: TrackingNumber, phone: str) -> Contact:
    """The account's contact for a phone, created on first sight."""
    contact = db.session.scalar(
        select(Contact).where(Contact.account_id == number.account_id, Contact.phone == phone)
    )
    if contact is None:
        contact = Contact(account_id=number.account_id, phone=phone)
        db.session.add(contact)
        db.session.flush()
    return contact


def conversation_for(
    number: TrackingNumber, contact: Contact, source: str, keyword_only: bool
) -> Conversation:
    """The pair's open conversation, or a new unclaimed one (first text, or the last is closed).

    A keyword-only text with no open conversation goes on the latest one, which stays closed
    (or on a new closed one when there is none): a STOP is no work for an agent.
    """
    pair = (Conversation.tracking_number_id == number.id, Conversation.contact_id == contact.id)
    conversation = db.session.scalar(
        select(Conversation).where(*pair, Conversation.status == ConversationStatus.OPEN)
    )
    if conversation is None and keyword_only:
        conversation = db.session.scalar(
            select(Conversation).where(*pair).order_by(Conversation.id.desc()).limit(1)
        )
    if conversation is None:
        now = utcnow()
        conversation = Conversation(
            account_id=number.account_id,
            tracking_number=number,
            contact=contact,
            source=source,
            status=ConversationStatus.CLOSED if keyword_only else ConversationStatus.OPEN,
            closed_at=now if keyword_only else None,
            last_message_at=now,
        )
        db.session.add(conversation)
        db.session.flush()
    return conversation
