"""A text arrives: store it, find or open its conversation, answer what consent calls for (§2.3)."""

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import jobs, phones
from app.extensions import db
from app.models import Contact, Conversation, Message, MessageMedia, TrackingNumber
from app.models.base import utcnow
from app.services import consent, events, outbound

log = logging.getLogger(__name__)


def receive(
    to: str,
    sender: str,
    body: str,
    sid: str | None,
    source: str = "sms",
    opt_out_type: str | None = None,
    media: tuple[tuple[str, str], ...] = (),
) -> Message | None:
    """Store an inbound text exactly once and act on it; None when the number is not ours.

    The provider retries a webhook it got no answer to, so a repeated `sid` returns the stored text.
    `opt_out_type` is what Twilio's Advanced Opt-Out matched, when it answered a keyword itself;
    `media` the (URL, content type) of each picture or file of an MMS.
    """
    number = TrackingNumber.by_number(to)
    if number is None:
        log.info("text to unknown number %s from %s ignored", to, sender)
        return None
    try:
        sender = phones.normalize(sender)
    except ValueError:
        pass  # short codes and alphanumeric senders are kept as the carrier gave them
    body = (body or "").replace("\x00", "")  # no database stores NUL in text
    args = (number, sender, body, sid, source, opt_out_type, media)
    # Two deliveries of one text, or two texts opening one conversation, can race: the unique
    # (number, sid) and the one-open-conversation-per-pair index settle it, then we look again.
    for _ in range(2):
        existing = _stored(number, sid)
        if existing is not None:
            return existing
        try:
            return _receive(*args)
        except IntegrityError:
            db.session.rollback()
    return _stored(number, sid) or _receive(*args)


def _stored(number: TrackingNumber, sid: str | None) -> Message | None:
    if not sid:
        return None
    return db.session.scalar(
        select(Message).where(Message.tracking_number_id == number.id, Message.provider_sid == sid)
    )


def _receive(
    number: TrackingNumber,
    sender: str,
    body: str,
    sid: str | None,
    source: str,
    opt_out_type: str | None,
    media: tuple[tuple[str, str], ...],
) -> Message:
    message = new_text(number, sender, body, sid)
    for position, (url, content_type) in enumerate(media):
        db.session.add(
            MessageMedia(message=message, position=position, url=url, content_type=content_type)
        )
    if not number.sms_active:
        # Kept for audit; a number whose SMS is not active opens no conversation.
        db.session.commit()
        return message
    contact = contact_for(number, sender)
    provider_answers = bool(opt_out_type) or current_app.config["TWILIO_ADVANCED_OPT_OUT"]
    outcome = consent.on_inbound(contact, number, message, provider_answers, opt_out_type)
    conversation = conversation_for(number, contact, source, keyword_only=bool(outcome.keyword))
    attach(message, conversation)
    if outcome.event:
        events.record(conversation, outcome.event, None)
    replies = [
        outbound.queue(conversation, number.account.sms_text(kind), purpose=kind)
        for kind in outcome.replies
    ]
    # Read what the jobs need before the commit expires it: reading it after would cost a query
    # per text on the webhook's hot path.
    db.session.flush()
    message_id, reply_ids = message.id, [reply.id for reply in replies]
    notify = conversation.is_open  # a keyword-only text on a closed conversation notifies nobody
    db.session.commit()
    for reply_id in reply_ids:
        jobs.deliver_message.delay(reply_id)
    if notify:
        jobs.notify_about.delay(message_id)
    return message


def new_text(number: TrackingNumber, sender: str, body: str, sid: str | None = None) -> Message:
    """An inbound text to the number, added to the session (no conversation yet)."""
    message = Message(
        tracking_number_id=number.id,
        direction="inbound",
        body=body,
        from_number=sender,
        to_number=number.number,
        status="received",
        provider_sid=sid or None,
        created_at=utcnow(),
    )
    db.session.add(message)
    return message


def attach(message: Message, conversation: Conversation) -> None:
    """Put an inbound text in its conversation; an open one shows it as its latest text."""
    message.conversation = conversation
    conversation.updated_at = message.created_at
    if conversation.is_open:
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
        select(Conversation).where(*pair, Conversation.status == "open")
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
            status="closed" if keyword_only else "open",
            closed_at=now if keyword_only else None,
            last_message_at=now,
        )
        db.session.add(conversation)
        db.session.flush()
    return conversation
