"""Outbound texts: agent replies and auto-replies, queued, then handed to the provider by a job.

Consent is checked when a text is created and again when the job sends it.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Account, Conversation, EarlyStatus, Message, User
from app.models.base import locked_unless_done, utcnow
from app.models.conversation import (
    OUTBOUND_WHERE,
    Direction,
    HeldFor,
    MessageKind,
    MessageStatus,
    Purpose,
)
from app.queue import after_commit
from app.services import attachments, claims, consent, notify, quiet_hours
from app.services.errors import (
    Closed,
    DomainError,
    Invalid,
    NotClaimed,
    NotClaimer,
    OptedOut,
    Transient,
    Unexpected,
)
from app.sms import Reason, SendError, UnknownOutcome, provider

log = logging.getLogger(__name__)

MAX_BODY = 1600
RECONCILE_AFTER_SECONDS = 30


def check_body(body, files: bool = False) -> str:
    """A reply's body, or Invalid: not empty (unless `files` go with it), at most 1,600
    characters, line breaks as the phone shows them (a browser posts each as CR LF, which would
    count and be sent as two)."""
    if files and (body is None or body == ""):
        return ""
    if not isinstance(body, str) or not body.strip():
        raise Invalid("The text is empty.", {"body": ["Write a text to send."]})
    body = body.replace("\r\n", "\n")
    if "\x00" in body or any("\ud800" <= c <= "\udfff" for c in body):
        raise Invalid(
            "The text has characters that cannot be sent.", {"body": ["Remove control characters."]}
        )
    if len(body) > MAX_BODY:
        raise Invalid(
            f"The text is over {MAX_BODY:,} characters.",
            {"body": [f"At most {MAX_BODY:,} characters ({len(body):,} given)."]},
        )
    return body


def send_refusal(conversation: Conversation, user: User, claim: bool = False) -> DomainError | None:
    """Why the user cannot send in the conversation (claiming first when `claim`), or None.

    Checked in the order of SPEC §3: closed, not claimed, not the claimer, opted out.
    """
    if not conversation.is_open:
        return Closed("The conversation is closed.")
    if conversation.claimed_by_id is None and not claim:
        return NotClaimed("Claim the conversation before replying.")
    if conversation.claimed_by_id is not None and not conversation.handled_by(user):
        return NotClaimer(
            f"Only {conversation.claimed_by.name} and participants can reply."
            if not claim
            else claims.claimed_message(conversation)
        )
    if consent.is_opted_out(conversation.contact_id, conversation.tracking_number_id):
        return OptedOut("The contact has opted out of texts from this number.")
    return None


def reply(
    conversation: Conversation,
    user: User,
    body,
    claim: bool = False,
    send_at: datetime | None = None,
    files=(),
) -> Message:
    """Send an agent's text, now or at `send_at` (naive UTC, checked by `check_send_at`), with
    `files` (as Werkzeug gives them) as one MMS; with claim=True an unclaimed one is claimed
    first, in one step."""
    uploads = attachments.checked(files) if files else []
    body = check_body(body, files=bool(uploads))
    claims.lock(conversation)
    if refusal := send_refusal(conversation, user, claim):
        raise refusal
    if conversation.claimed_by_id is None and not claims.try_claim(conversation, user):
        db.session.rollback()
        db.session.refresh(conversation)
        raise NotClaimer(claims.claimed_message(conversation))
    message = queue(conversation, body, sent_by=user, send_at=send_at, uploads=uploads)
    db.session.commit()
    return message


def delivery_failed(message_id: int, error: Exception) -> None:
    """A text's delivery gave up: it kept failing for a passing reason until the retries ran out,
    or failed on an error nobody expected (`Unexpected`, whose id the reason names)."""
    message = locked_unless_done(Message, message_id, MessageStatus.QUEUED)
    if message is not None:
        message.status = MessageStatus.FAILED
        if isinstance(error, Unexpected):
            message.error_message = f"could not be sent ({error})"
        else:
            tries = current_app.config["JOB_MAX_TRIES"]
            message.error_message = f"could not be sent, tried {tries} times: {error}"
        message.conversation.updated_at = utcnow()
        db.session.commit()


def opt_out_contact(conversation: Conversation, user: User) -> bool:
    """An agent confirms a contact's request to stop: opted out, and told so once.

    False when the contact had already opted out (nothing is sent again).
    """
    if not consent.opt_out(conversation, user):
        return False
    account = conversation.tracking_number.account
    queue(conversation, account.sms_text(Purpose.OPT_OUT), purpose=Purpose.OPT_OUT)
    db.session.commit()
    return True


def with_opt_out_line(account: Account, body: str) -> str:
    """A first text to someone who never gave consent on the number, as it is sent: the body,
    then the account's opt-out line (Customization → SMS) after a blank line."""
    return f"{body}\n\n{account.sms_text('opt_out_line')}"


def initiate(
    conversation: Conversation, body: str, sent_by: User, opt_out_line: bool = False
) -> Message:
    """Queue a text the business starts, not an answer to the contact: an agent's text that
    starts (or continues) a conversation, with the opt-out line after it when the pair has no
    consent on the number yet. The caller commits.

    Like every agent's text, it waits for the end of quiet hours when the contact has not
    texted in the last 24 hours (`queue`).
    """
    if opt_out_line:
        body = with_opt_out_line(conversation.tracking_number.account, body)
    return queue(conversation, body, sent_by=sent_by)


def queue(
    conversation: Conversation,
    body: str,
    sent_by: User | None = None,
    purpose: str | None = None,
    send_at: datetime | None = None,
    uploads: list[attachments.Upload] = (),
) -> Message:
    """Add an outbound text, with `uploads` kept as its pictures and files, to the session:
    queued, its delivery asked for once the caller commits; or `scheduled` for `send_at` (naive
    UTC), or for the end of quiet hours.

    Nothing is queued for an opted-out pair but the opt-out confirmation itself. An agent's
    text is one the business starts when it is scheduled or when the contact has not texted in
    the last 24 hours: it then leaves only inside quiet hours' window (SPEC §2.12). Auto-replies
    answer the contact's text and go at once.
    """
    if purpose != Purpose.OPT_OUT and consent.is_opted_out(
        conversation.contact_id, conversation.tracking_number_id
    ):
        raise OptedOut("The contact has opted out of texts from this number.")
    now = utcnow()
    held_for = None
    if sent_by is not None and (opening := quiet_hold(conversation, now, send_at)):
        send_at, held_for = opening, HeldFor.QUIET_HOURS
    message = Message(
        conversation=conversation,
        tracking_number_id=conversation.tracking_number_id,
        direction=Direction.OUTBOUND,
        kind=MessageKind.AUTO if purpose else MessageKind.TEXT,
        purpose=purpose,
        body=body,
        from_number=conversation.tracking_number.number,
        to_number=conversation.contact.phone,
        status=MessageStatus.SCHEDULED if send_at else MessageStatus.QUEUED,
        send_at=send_at,
        held_for=held_for,
        sent_by=sent_by,
        created_at=now,
    )
    db.session.add(message)
    attachments.attach(message, uploads)
    conversation.updated_at = now
    db.session.flush()  # its id, for its delivery
    if send_at is None:
        leaves(message, now)
    return message


def latest(conversation: Conversation) -> Message | None:
    """The conversation's newest text to the contact."""
    return db.session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id, text(OUTBOUND_WHERE))
        .order_by(Message.id.desc())
        .limit(1)
    )


def quiet_hold(
    conversation: Conversation, now: datetime, send_at: datetime | None = None
) -> datetime | None:
    """When an agent's text written `now` (for `send_at`, when scheduled) would leave, if quiet
    hours hold it: a scheduled text, or one to a contact who has not texted in the last 24
    hours, is one the business starts (SPEC §2.12). None when nothing holds it."""
    if send_at is None and not quiet_hours.starts_conversation(conversation.last_inbound_at, now):
        return None
    return held_until(conversation, send_at or now)


def held_until(conversation: Conversation, at: datetime) -> datetime | None:
    """When a text the business starts at `at` may reach the conversation's contact: None when
    it may at `at`, else the opening of quiet hours' window (naive UTC)."""
    zone = conversation.tracking_number.account.timezone
    return quiet_hours.held_until(conversation.contact.phone, zone, at)


def leaves(message: Message, now: datetime) -> None:
    """A text starts on its way (at once, or at its scheduled time): it stands in the list as
    the conversation's latest, counts as a reply, its author's teammates in the conversation
    hear of it, and its delivery is asked for once the caller commits."""
    conversation = message.conversation
    message.created_at = now  # where it stands in the thread and in the reports' days
    if message.sent_by_id is not None:
        notify.queue(message)  # the claimer and participants, not the author
    if not message.purpose:  # an auto-reply would hide the customer's text from the list
        conversation.last_message_at = now
        conversation.last_message_preview = message.body[:160]
        # Set by the first reply only, in SQL: of two replies at once the first committed wins.
        conversation.first_replied_at = func.coalesce(Conversation.first_replied_at, now)
        conversation.first_replied_by_id = func.coalesce(
            Conversation.first_replied_by_id, message.sent_by_id
        )
    after_commit("deliver_message", message.id)


def deliver(message_id: int) -> None:
    """Hand a queued text to the provider; a text to an opted-out pair is blocked instead."""
    message = locked_unless_done(Message, message_id, MessageStatus.QUEUED)
    if message is None:
        return
    conversation = message.conversation
    # The opt-out confirmation is the one text an opted-out contact may still receive.
    if message.purpose != Purpose.OPT_OUT and consent.is_opted_out(
        conversation.contact_id, message.tracking_number_id
    ):
        message.status = MessageStatus.BLOCKED
        message.error_message = "The contact opted out before this text was sent."
        conversation.updated_at = utcnow()
        db.session.commit()
        return
    try:
        media = [attachments.shared_url(item) for item in message.media]
        result = provider().send(message.from_number, message.to_number, message.body, media)
    except SendError as e:
        if e.retryable:
            raise Transient(e.message) from e
        if isinstance(e, UnknownOutcome):
            # The provider may have taken it: look it up later instead of sending it twice.
            message.status, message.error_message = MessageStatus.UNKNOWN, e.message
            conversation.updated_at = utcnow()
            after_commit("reconcile_message", message.id, countdown=RECONCILE_AFTER_SECONDS)
            db.session.commit()
            return
        message.status = MessageStatus.FAILED
        message.error_code = e.code
        message.error_message = e.message
        if e.reason == Reason.UNSUBSCRIBED:
            consent.provider_opt_out(message, e.message)
        log.warning("text %s failed: %s", message.id, e)
    else:
        _took(message, result.sid, result.status)
    conversation.updated_at = utcnow()
    db.session.commit()


def _took(message: Message, sid: str, status: str) -> None:
    """The provider took the text: keep its SID, and apply callbacks that came before it."""
    message.provider_sid, message.status, message.error_message = sid, status, None
    early = db.session.scalars(
        select(EarlyStatus).where(EarlyStatus.provider_sid == sid).order_by(EarlyStatus.id)
    ).all()
    for row in early:
        _advance(message, row.status, row.error_code)
        db.session.delete(row)


def reconcile(message_id: int) -> None:
    """Settle a text whose send timed out: found at the provider → taken; not found → queued
    again and sent (it never arrived there, so this is no second copy)."""
    message = locked_unless_done(Message, message_id, MessageStatus.UNKNOWN)
    if message is None:
        return
    since = message.created_at - timedelta(minutes=1)
    try:
        found = provider().find(message.from_number, message.to_number, message.body, since)
    except SendError as e:
        raise Transient(e.message) from e  # asked again later; it stays "unknown" meanwhile
    # A text just like it, sent a moment before, may be there too: its SID is stored already.
    stored = _stored_sids([f.sid for f in found])
    match = next((f for f in found if f.sid not in stored), None)
    if match is not None:
        _took(message, match.sid, match.status)
        message.conversation.updated_at = utcnow()
        try:
            db.session.commit()
        except IntegrityError as e:  # another text's settling took that SID at the same moment
            raise Transient("the text found was settled for another text") from e
        return
    message.status, message.error_message = MessageStatus.QUEUED, None
    after_commit("deliver_message", message.id)
    db.session.commit()


def _stored_sids(sids: list[str]) -> set[str]:
    """Which of these SIDs (the provider's, unique across all its texts) are stored already."""
    if not sids:
        return set()
    return set(
        db.session.scalars(
            select(Message.provider_sid).where(text(OUTBOUND_WHERE), Message.provider_sid.in_(sids))
        )
    )


def lookup_failed(message_id: int, error: Exception) -> None:
    """A timed-out text could not be looked up until the retries ran out, or its lookup failed on
    an error nobody expected: it is shown failed, saying it may have reached the contact all the
    same."""
    message = locked_unless_done(Message, message_id, MessageStatus.UNKNOWN)
    if message is not None:
        message.status = MessageStatus.FAILED
        message.error_message = (
            "The provider did not answer when this text was sent and could not be asked about it "
            f"since: it may or may not have reached the contact. ({error})"
        )
        message.conversation.updated_at = utcnow()
        db.session.commit()


# How far along a text is: callbacks arrive out of order, and never move a text backwards.
PROGRESS = {
    MessageStatus.QUEUED: 0,
    MessageStatus.ACCEPTED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
}


def _advance(message: Message, status: str, error_code: str | None) -> None:
    if PROGRESS[status] > PROGRESS.get(message.status, PROGRESS[MessageStatus.FAILED]):
        message.status = status
        if error_code:
            message.error_code = error_code
            message.error_message = provider().reason(error_code)


def apply_status(sid: str, status: str, error_code: str | None = None) -> None:
    """Apply a provider's delivery status to the text with that SID (forward only: callbacks
    arrive out of order); one for a SID not stored yet is kept and applied when it is."""
    if not sid or status not in PROGRESS:
        return
    message = db.session.scalar(
        # Written as the partial index is, so the database finds it.
        select(Message).where(Message.provider_sid == sid, text(OUTBOUND_WHERE))
    )
    if message is None:
        # Kept until its text is stored; texts we do not follow (notifications) get callbacks
        # too, let go of by the beat's sweep after a day.
        db.session.add(EarlyStatus(provider_sid=sid, status=status, error_code=error_code))
    else:
        _advance(message, status, error_code)
        message.conversation.updated_at = utcnow()
    db.session.commit()
