"""Bench data (SPEC §3 `generate-load`, §5): many conversations and texts, written in bulk.

Rows go in as batched executemany INSERTs (SQLAlchemy sends them as multi-row VALUES), never as
ORM objects one by one (a million texts take minutes, not hours). Conversations are spread over
the last `days` days, each with its contact, consent, a claim, alternating texts and (for most)
a close, so that lists, threads and reports all have realistic work to do.
"""

import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import (
    Account,
    Consent,
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    Message,
    TrackingNumber,
    User,
)
from app.models.base import utcnow
from app.services.errors import Invalid

BATCH = 1000


def _free_prefix(account: Account) -> str:
    """A three-digit area code none of the account's contacts uses, so the phones are new."""
    for prefix in range(200, 1000):
        used = db.session.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.account_id == account.id, Contact.phone.like(f"+1{prefix}%"))
        )
        if not used:
            return str(prefix)
    raise Invalid("No free phone prefix left for load data.")


def _insert(model, rows: list[dict], returning=None) -> list:
    """Insert rows in batches; the new ids in order when `returning` is given."""
    ids = []
    for i in range(0, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        if returning is None:
            db.session.execute(insert(model), batch)
        else:
            statement = insert(model).returning(returning, sort_by_parameter_order=True)
            ids += db.session.scalars(statement, batch).all()
    return ids


def generate(
    account: Account,
    conversations: int,
    messages_per_conversation: int,
    number: TrackingNumber | None = None,
    days: int = 90,
    seed: int = 0,
) -> dict:
    """Write `conversations` conversations of `messages_per_conversation` texts each on one of
    the account's active numbers (the first one unless given); returns what was written."""
    if conversations < 1 or messages_per_conversation < 1:
        raise Invalid("Give at least one conversation and one text each.")
    if number is None:
        number = db.session.scalar(
            select(TrackingNumber)
            .where(TrackingNumber.account_id == account.id, TrackingNumber.sms_state == "active")
            .order_by(TrackingNumber.id)
        )
    if number is None or number.account_id != account.id:
        raise Invalid("The account has no active tracking number to load.")
    users = list(
        db.session.scalars(select(User.id).where(User.account_id == account.id, User.active))
    )
    rng = random.Random(seed)
    prefix = _free_prefix(account)
    now = utcnow()
    start = now - timedelta(days=days)
    span = int((now - start).total_seconds())
    gap = timedelta(minutes=2)

    phones = [f"+1{prefix}{i:07d}" for i in range(conversations)]
    contact_ids = _insert(
        Contact,
        [{"account_id": account.id, "phone": p, "created_at": start} for p in phones],
        Contact.id,
    )
    opened = sorted(
        start + timedelta(seconds=rng.randrange(span - messages_per_conversation * 120))
        for _ in range(conversations)
    )
    plans = []
    for contact_id, phone, at in zip(contact_ids, phones, opened, strict=True):
        last = at + gap * (messages_per_conversation - 1)
        claimer = rng.choice(users) if users else None
        closed = last + timedelta(minutes=5) if rng.random() < 0.67 else None
        if closed and closed >= now:
            closed = None
        plans.append((contact_id, phone, at, last, claimer, closed))
    conversation_ids = _insert(
        Conversation,
        [
            {
                "account_id": account.id,
                "tracking_number_id": number.id,
                "contact_id": contact_id,
                "status": "closed" if closed else "open",
                "source": "widget" if rng.random() < 0.1 else "sms",
                "claimed_by_id": claimer,
                "claimed_at": at + timedelta(seconds=30) if claimer else None,
                "closed_at": closed,
                "created_at": at,
                "last_message_at": last,
                "last_inbound_at": at,
                "last_message_preview": "Load test",
                "updated_at": closed or last,
            }
            for contact_id, phone, at, last, claimer, closed in plans
        ],
        Conversation.id,
    )
    consent_ids = _insert(
        Consent,
        [
            {"contact_id": contact_id, "tracking_number_id": number.id, "state": "opted_in"}
            for contact_id, *_ in plans
        ],
        Consent.id,
    )
    _insert(
        ConsentEvent,
        [
            {"consent_id": cid, "state": "opted_in", "source": "first_text", "created_at": plan[2]}
            for cid, plan in zip(consent_ids, plans, strict=True)
        ],
    )
    events, messages = [], []
    for cid, (_, phone, at, _, claimer, closed) in zip(conversation_ids, plans, strict=True):
        if claimer:
            events.append(
                {
                    "conversation_id": cid,
                    "type": "claimed",
                    "user_id": claimer,
                    "created_at": at + timedelta(seconds=rng.randrange(10, 110)),
                }
            )
        if closed:
            events.append(
                {"conversation_id": cid, "type": "closed", "user_id": claimer, "created_at": closed}
            )
        for k in range(messages_per_conversation):
            inbound = k % 2 == 0 or claimer is None
            failed = not inbound and rng.random() < 0.02
            messages.append(
                {
                    "tracking_number_id": number.id,
                    "conversation_id": cid,
                    "direction": "inbound" if inbound else "outbound",
                    "kind": "text",
                    "body": f"Load test text {k + 1}",
                    "from_number": phone if inbound else number.number,
                    "to_number": number.number if inbound else phone,
                    "status": "received" if inbound else ("failed" if failed else "delivered"),
                    "error_code": "30003" if failed else None,
                    "error_message": "Unreachable destination handset" if failed else None,
                    "sent_by_id": None if inbound else claimer,
                    "created_at": at + gap * k,
                    "updated_at": at + gap * k,
                }
            )
        if len(messages) >= BATCH * 10:
            _insert(Message, messages)
            messages = []
    _insert(Message, messages)
    _insert(ConversationEvent, events)
    db.session.commit()
    return {
        "conversations": conversations,
        "messages": conversations * messages_per_conversation,
        "number": number.number,
        "from": start,
        "to": now,
    }
