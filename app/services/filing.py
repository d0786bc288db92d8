"""The filing job: the texts the webhook stored, filed in batches (SPEC §5).

A batch is the oldest waiting texts, locked with SKIP LOCKED so that workers side by side share
them, filed in one transaction by a handful of statements whatever its size: the batch's numbers,
its contacts (the new ones added in one statement), their consents and open conversations, each
read once. A text that changes nothing but its conversation, from a contact already met on that
number and not a keyword (most texts: the replies of a conversation going on), is filed by
statements over the whole set: its conversation found or opened, the texts attached, the
conversations' latest text, and the notifications paced and queued (`notify.queue_filed`). A
contact with any other text in the batch (a first text, a keyword, one the after-hours reply may
answer) has all of its texts filed one by one, in their order, by the rules of `inbound.act`.

A batch that fails is rolled back and each of its texts filed alone (`inbound.file_one`), so
one text that cannot be filed holds up no other, and is marked failed with its reason after
JOB_MAX_TRIES tries.
"""

import logging
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, bindparam, case, insert, or_, select, text, tuple_, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Account, Consent, Contact, Conversation, Message, TrackingNumber
from app.models.base import in_sql, upsert_insert, utcnow
from app.models.conversation import (
    WAITING_WHERE,
    ConversationSource,
    ConversationStatus,
    MessageStatus,
)
from app.models.number import PENDING_SMS_STATES
from app.services import business_hours, consent, inbound, notify

log = logging.getLogger(__name__)

# A text waiting for its number's pending SMS change is left to the end of that change.
FILING_WHERE = (
    f"{WAITING_WHERE} AND tracking_number_id NOT IN "
    f"(SELECT id FROM tracking_numbers WHERE {in_sql('sms_state', PENDING_SMS_STATES)})"
)
PREVIEW = Conversation.last_message_preview.type.length


class Waiting(NamedTuple):
    """A stored text as the batch reads it, with its number's account."""

    id: int
    tracking_number_id: int
    from_number: str
    body: str
    opt_out_type: str | None
    created_at: datetime
    account_id: int

    @property
    def sender(self) -> tuple[int, str]:
        """Whose text it is: the account's contact of that phone, as (account id, phone)."""
        return self.account_id, self.from_number


def file_waiting() -> None:
    """File every stored text waiting when it starts, oldest first, a batch at a time. It stops
    at the first batch that is not full: a text stored since has a job of its own asked for
    after it (`inbound.accept`), so batches stay large while texts keep coming."""
    size = current_app.config["INBOUND_FILING_BATCH"]
    after = 0
    while True:
        batch = _take(after, size)
        if not batch:
            db.session.rollback()
            return
        after = batch[-1].id
        try:
            file_batch(batch)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.warning("a batch of %d texts could not be filed: each is filed alone", len(batch))
            for text_ in batch:
                inbound.file_one(text_.id)
        if len(batch) < size:
            return


def _take(after: int, size: int) -> list[Waiting]:
    """The oldest `size` texts waiting after id `after`, locked: another worker skips them."""
    columns = [Message.__table__.c[name] for name in Waiting._fields[:-1]]
    return [
        Waiting(*row)
        for row in db.session.execute(
            select(*columns, TrackingNumber.account_id)
            .join(TrackingNumber, TrackingNumber.id == Message.tracking_number_id)
            .where(text(FILING_WHERE), Message.id > after)
            .order_by(Message.id)
            .limit(size)
            .with_for_update(of=Message.__table__, skip_locked=True)
        )
    ]


def file_batch(batch: list[Waiting]) -> None:
    """File a batch of locked texts in the session's transaction (the caller commits)."""
    numbers = {
        number.id: number
        for number in db.session.scalars(
            select(TrackingNumber)
            .where(TrackingNumber.id.in_({t.tracking_number_id for t in batch}))
            .options(joinedload(TrackingNumber.account))
        )
    }
    # A number whose SMS change began since the texts were chosen: they wait for its end.
    batch = [t for t in batch if numbers[t.tracking_number_id].sms_state not in PENDING_SMS_STATES]
    ignored = [t.id for t in batch if not numbers[t.tracking_number_id].sms_active]
    if ignored:
        # Kept for audit: a number whose SMS is not active opens no conversation.
        db.session.execute(
            update(Message.__table__)
            .where(Message.id.in_(ignored))
            .values(status=MessageStatus.IGNORED, updated_at=utcnow())
        )
    batch = [t for t in batch if numbers[t.tracking_number_id].sms_active]
    if not batch:
        return
    contacts = _contacts({t.sender for t in batch})
    pairs = {(contacts[t.sender], t.tracking_number_id) for t in batch}
    met = {
        tuple(row)
        for row in db.session.execute(
            select(Consent.contact_id, Consent.tracking_number_id).where(
                tuple_(Consent.contact_id, Consent.tracking_number_id).in_(pairs)
            )
        )
    }
    answering = _answering_after_hours({n.account for n in numbers.values()})
    one_by_one = {
        t.sender
        for t in batch
        if (contacts[t.sender], t.tracking_number_id) not in met
        or t.opt_out_type
        or consent.keyword(t.body)
        or t.account_id in answering
    }
    alone = [t.id for t in batch if t.sender in one_by_one]
    if alone:
        for message in db.session.scalars(
            select(Message).where(Message.id.in_(alone)).order_by(Message.id)
        ):
            inbound.act(numbers[message.tracking_number_id], message)
    together = [t for t in batch if t.sender not in one_by_one]
    if together:
        _file_together(together, contacts)


def _contacts(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The id of each sender's contact, by (account id, phone); the new ones added in one
    statement (which adds nothing a worker beside this one added first)."""

    def read(keys) -> dict[tuple[int, str], int]:
        rows = db.session.execute(
            select(Contact.account_id, Contact.phone, Contact.id).where(
                tuple_(Contact.account_id, Contact.phone).in_(keys)
            )
        )
        return {(account_id, phone): id_ for account_id, phone, id_ in rows}

    found = read(wanted)
    new = wanted - found.keys()
    if new:
        db.session.execute(
            upsert_insert()(Contact.__table__)
            .values(created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["account_id", "phone"]),
            [{"account_id": a, "phone": p} for a, p in sorted(new)],
        )
        found |= read(new)
    return found


def _answering_after_hours(accounts: set[Account]) -> set[int]:
    """The accounts whose after-hours reply may answer a text now: on, and closed."""
    now = utcnow()
    return {
        account.id
        for account in accounts
        if account.after_hours_reply and business_hours.week(account).closed_since(now) is not None
    }


def _file_together(batch: list[Waiting], contacts: dict[tuple[int, str], int]) -> None:
    """File texts that change nothing but their conversation, by statements over the set."""
    accounts = {(contacts[t.sender], t.tracking_number_id): t.account_id for t in batch}
    conversations = {
        (row.contact_id, row.tracking_number_id): row
        for row in db.session.execute(
            select(
                Conversation.id,
                Conversation.contact_id,
                Conversation.tracking_number_id,
                Conversation.claimed_by_id,
            ).where(
                tuple_(Conversation.contact_id, Conversation.tracking_number_id).in_(accounts),
                Conversation.status == ConversationStatus.OPEN,
            )
        )
    }
    now = utcnow()
    opening = sorted(accounts.keys() - conversations.keys())
    if opening:
        # The pair's last conversation is closed, or they never had one (their consent was
        # given some other way): a new unclaimed one, as `inbound.conversation_for` opens.
        opened = db.session.execute(
            insert(Conversation).returning(
                Conversation.id,
                Conversation.contact_id,
                Conversation.tracking_number_id,
                Conversation.claimed_by_id,
            ),
            [
                {
                    "account_id": accounts[contact_id, number_id],
                    "tracking_number_id": number_id,
                    "contact_id": contact_id,
                    "source": ConversationSource.SMS,
                    "status": ConversationStatus.OPEN,
                    "last_message_at": now,
                }
                for contact_id, number_id in opening
            ],
        )
        conversations |= {(row.contact_id, row.tracking_number_id): row for row in opened}
    filed = [(t, conversations[contacts[t.sender], t.tracking_number_id]) for t in batch]
    db.session.execute(
        update(Message.__table__)
        .where(Message.id == bindparam("text_id"))
        .values(conversation_id=bindparam("conversation"), updated_at=now),
        [{"text_id": t.id, "conversation": c.id} for t, c in filed],
    )
    latest: dict[int, Waiting] = {}
    for t, c in filed:
        if c.id not in latest or t.created_at >= latest[c.id].created_at:
            latest[c.id] = t
    _show_latest(latest, now)
    notify.queue_filed(
        [notify.Filed(t.id, c.id, c.tracking_number_id, c.claimed_by_id) for t, c in filed]
    )


def _show_latest(latest: dict[int, Waiting], now: datetime) -> None:
    """Each conversation shows its newest text filed now as its latest, unless a later one was
    filed first or it closed meanwhile (`inbound.attach`, for many conversations at once)."""
    table = Conversation.__table__
    at = bindparam("at", type_=table.c.last_inbound_at.type)
    newer = and_(
        table.c.status == ConversationStatus.OPEN,
        or_(table.c.last_inbound_at.is_(None), table.c.last_inbound_at <= at),
    )
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("conversation"))
        .values(
            updated_at=now,
            last_message_at=case((newer, at), else_=table.c.last_message_at),
            last_inbound_at=case((newer, at), else_=table.c.last_inbound_at),
            last_message_preview=case(
                (newer, bindparam("preview")), else_=table.c.last_message_preview
            ),
        ),
        [
            {"conversation": id_, "at": t.created_at, "preview": t.body[:PREVIEW]}
            for id_, t in latest.items()
        ],
    )
