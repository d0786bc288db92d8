"""Bench data (SPEC §3 `generate-load`, §5): many conversations and texts, written in bulk.

Rows go in as batched executemany INSERTs (SQLAlchemy sends them as multi-row VALUES), never as
ORM objects one by one (a million texts take minutes, not hours). Conversations are spread over
the last `days` days, each with its contact, consent, a claim, alternating texts and (for most)
a close, so that lists, threads and reports all have realistic work to do.
"""

import itertools
import random
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, insert, select, text

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
from app.models.account import Role
from app.models.base import utcnow
from app.models.contact import ConsentSource, ConsentState
from app.models.conversation import (
    ConversationSource,
    ConversationStatus,
    Direction,
    EventType,
    MessageKind,
    MessageStatus,
)
from app.models.number import SmsState
from app.services.errors import Invalid

BATCH = 1000
# What the generated texts and names are made of: words drawn by Zipf's law (the first most
# often), so a search meets words as common as "the" and as rare as "sump" at a realistic share.
WORDS = tuple(
    """the you is to a i and it for we can your my be at on this have in of are water will
    thanks today what tomorrow do how there leak heater please pipe time yes kitchen sink
    drain when tank morning quote come hot toilet need shower afternoon price bathroom
    tuesday check clogged basement still thursday appointment monday friday wednesday install
    dripping replace faucet plumber running cold garbage disposal pressure valve gas leaking
    broken flooding estimate invoice payment address gate dog park driveway upstairs
    downstairs ceiling stain smell sewer backup meter softener filter outdoor spigot frozen
    burst noise rumbling pilot light warranty parts boiler radiator thermostat drywall access
    panel crawlspace slab repipe copper pex galvanized corrosion rust hose bib sump pump
    battery alarm inspection permit schedule reschedule cancel confirm arrive late early
    window photo picture video""".split()
)
FIRST_NAMES = (
    "Wendy Tom Maria James Linda Robert Patricia Michael Jennifer David Elizabeth William "
    "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew"
).split()
LAST_NAMES = (
    "Walker Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Taylor Moore Jackson Martin Lee Perez Thompson White"
).split()


class Plan(NamedTuple):
    """One generated conversation: its contact, the times of its texts, who claimed it and
    when, when it was first answered and closed, and whether its last text is a STOP."""

    contact_id: int
    phone: str
    times: list[datetime]
    claimer: int | None
    claimed: datetime | None
    replied: datetime | None
    closed: datetime | None
    stopped: bool
    bodies: list[str]


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
    script: list[str] | None = None,
    closed_share: float = 0.67,
) -> dict:
    """Write `conversations` conversations of `messages_per_conversation` texts each on one of
    the account's active numbers (the first one unless given); returns what was written.

    The k-th text of each conversation says script[k] (cycling) when a script is given, else a
    few words drawn from WORDS; four contacts in ten have a name. About
    `closed_share` of the conversations are closed; one in 30 ends with the contact's STOP."""
    if conversations < 1 or messages_per_conversation < 1:
        raise Invalid("Give at least one conversation and one text each.")
    if number is None:
        number = db.session.scalar(
            select(TrackingNumber)
            .where(
                TrackingNumber.account_id == account.id, TrackingNumber.sms_state == SmsState.ACTIVE
            )
            .order_by(TrackingNumber.id)
        )
    if number is None or number.account_id != account.id:
        raise Invalid("The account has no active tracking number to load.")
    users = list(
        db.session.scalars(
            select(User.id).where(
                User.account_id == account.id, User.active, User.role != Role.IDENTIFIED
            )
        )
    )
    rng = random.Random(seed)
    prefix = _free_prefix(account)
    now = utcnow()
    start = now - timedelta(days=days)
    span = int((now - start).total_seconds())
    most = 900  # seconds between two texts of a conversation: from 30 s to a quarter hour

    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))

    def body(k: int) -> str:
        if script:
            return script[k % len(script)]
        words = rng.choices(WORDS, cum_weights=weights, k=rng.randrange(5, 16))
        return " ".join(words).capitalize() + "."

    phones = [f"+1{prefix}{i:07d}" for i in range(conversations)]
    contact_ids = _insert(
        Contact,
        [
            {
                "account_id": account.id,
                "phone": p,
                # Four in ten named, as after a few months of agents filling names in.
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if rng.random() < 0.4
                else None,
                "created_at": start,
            }
            for p in phones
        ],
        Contact.id,
    )
    opened = sorted(
        start + timedelta(seconds=rng.randrange(span - messages_per_conversation * most))
        for _ in range(conversations)
    )
    plans = []
    for contact_id, phone, at in zip(contact_ids, phones, opened, strict=True):
        times = [at]
        for _ in range(messages_per_conversation - 1):
            times.append(times[-1] + timedelta(seconds=rng.randrange(30, most)))
        last = times[-1]
        claimer = rng.choice(users) if users else None
        # Claimed before the first answer (the second text), which the claimer sends.
        replied = times[1] if claimer and messages_per_conversation > 1 else None
        claim_within = int(((replied or at + timedelta(seconds=most)) - at).total_seconds())
        claimed = at + timedelta(seconds=rng.randrange(5, claim_within)) if claimer else None
        closed = last + timedelta(minutes=5) if rng.random() < closed_share else None
        if closed and closed >= now:
            closed = None
        stopped = messages_per_conversation > 1 and rng.random() < 1 / 30
        bodies = [body(k) for k in range(messages_per_conversation)]
        if stopped:
            bodies[-1] = "STOP"
        plans.append(
            Plan(contact_id, phone, times, claimer, claimed, replied, closed, stopped, bodies)
        )
    conversation_ids = _insert(
        Conversation,
        [
            {
                "account_id": account.id,
                "tracking_number_id": number.id,
                "contact_id": p.contact_id,
                "status": ConversationStatus.CLOSED if p.closed else ConversationStatus.OPEN,
                "source": ConversationSource.WIDGET
                if rng.random() < 0.1
                else ConversationSource.SMS,
                "claimed_by_id": p.claimer,
                "claimed_at": p.claimed,
                "first_claimed_at": p.claimed,
                "first_claimed_by_id": p.claimer,
                "first_replied_at": p.replied,
                "first_replied_by_id": p.claimer if p.replied else None,
                "closed_at": p.closed,
                "created_at": p.times[0],
                "last_message_at": p.times[-1],
                "last_inbound_at": p.times[0],
                "last_message_preview": p.bodies[-1][:160],
                "updated_at": p.closed or p.times[-1],
            }
            for p in plans
        ],
        Conversation.id,
    )
    consent_ids = _insert(
        Consent,
        [
            {
                "contact_id": p.contact_id,
                "tracking_number_id": number.id,
                "state": ConsentState.OPTED_OUT if p.stopped else ConsentState.OPTED_IN,
            }
            for p in plans
        ],
        Consent.id,
    )
    consent_events = []
    for cid, p in zip(consent_ids, plans, strict=True):
        consent_events.append(
            {
                "consent_id": cid,
                "state": ConsentState.OPTED_IN,
                "source": ConsentSource.FIRST_TEXT,
                "created_at": p.times[0],
            }
        )
        if p.stopped:  # the last text says STOP
            consent_events.append(
                {
                    "consent_id": cid,
                    "state": ConsentState.OPTED_OUT,
                    "source": ConsentSource.KEYWORD,
                    "created_at": p.times[-1],
                }
            )
    _insert(ConsentEvent, consent_events)
    events, messages = [], []
    for cid, (_, phone, times, claimer, claimed, _, closed, stopped, bodies) in zip(
        conversation_ids, plans, strict=True
    ):
        if claimer:
            events.append(
                {
                    "conversation_id": cid,
                    "type": EventType.CLAIMED,
                    "user_id": claimer,
                    "created_at": claimed,
                }
            )
        if closed:
            events.append(
                {
                    "conversation_id": cid,
                    "type": EventType.CLOSED,
                    "user_id": claimer,
                    "created_at": closed,
                }
            )
        for k in range(messages_per_conversation):
            stop = stopped and k == messages_per_conversation - 1
            inbound = k % 2 == 0 or claimer is None or stop
            failed = not inbound and rng.random() < 0.02
            sent = MessageStatus.FAILED if failed else MessageStatus.DELIVERED
            messages.append(
                {
                    "tracking_number_id": number.id,
                    "conversation_id": cid,
                    "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
                    "kind": MessageKind.TEXT,
                    "body": bodies[k],
                    "from_number": phone if inbound else number.number,
                    "to_number": number.number if inbound else phone,
                    "status": MessageStatus.RECEIVED if inbound else sent,
                    "error_code": "30003" if failed else None,
                    "error_message": "Unreachable destination handset" if failed else None,
                    "sent_by_id": None if inbound else claimer,
                    "created_at": times[k],
                    "updated_at": times[k],
                }
            )
        if len(messages) >= BATCH * 10:
            _insert(Message, messages)
            messages = []
    _insert(Message, messages)
    _insert(ConversationEvent, events)
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, so the reports' and lists' queries are planned for this much data
        # (the reports' opt-ins and opt-outs read the consents and their events).
        db.session.execute(
            text("ANALYZE messages, conversations, conversation_events, consents, consent_events")
        )
        db.session.commit()
    return {
        "conversations": conversations,
        "messages": conversations * messages_per_conversation,
        "number": number.number,
        "from": start,
        "to": now,
    }
