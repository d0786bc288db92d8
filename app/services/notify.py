"""Who hears about a text, and how (SPEC §2.5).

New conversation or new text in an unclaimed one → every SMS user of the number, by each channel
they have on. Claimed → the claimer and participants. Nobody is told of their own text, paused and
deactivated users hear nothing, and each user hears at most once per conversation per five
minutes: the next notification after that window says how many texts came. A note that
mentions a user tells them like a claimer, paced the same way (app/services/notes.py).
"""

import smtplib
import unicodedata
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app, render_template
from sqlalchemy import Integer, and_, bindparam, false, insert, or_, select, tuple_, update
from sqlalchemy.orm import joinedload

from app import mail, phones, segments
from app.extensions import db
from app.models import (
    Conversation,
    Message,
    Note,
    Notification,
    NotificationPace,
    Participant,
    SmsUser,
    User,
)
from app.models.base import locked_unless_done, upsert_insert, utcnow
from app.models.conversation import ConversationStatus
from app.models.notification import NOTIFICATION_WINDOW_MINUTES, Channel, NotificationStatus
from app.queue import after_commit
from app.services import links
from app.services.errors import Transient, Unexpected
from app.sms import SendError, provider

SIMULATED_NOTIFY_NUMBER = "+15005550000"
SMS_LIMIT = 160  # GSM-7 units in one segment
SMS_START_WANTED = 30  # units of the text's start worth a shorter head
SMS_START_LEAST = 10  # fewer are left out


def _settings(conversation: Conversation) -> dict[int, SmsUser]:
    """The SMS users of the conversation's number, by user id, with the channels they chose."""
    return {
        row.user_id: row
        for row in db.session.scalars(
            select(SmsUser)
            .where(SmsUser.tracking_number_id == conversation.tracking_number_id)
            .options(joinedload(SmsUser.user))
        )
    }


def _reachable(
    people: list[User], settings: dict[int, SmsUser], author_id: int | None
) -> list[tuple[User, bool, bool]]:
    """(user, by e-mail, by SMS) for each of `people` to tell, but the author, paused and
    deactivated users: an SMS user of the number by the channels they chose (SMS only with a
    phone); anyone else (a claimer, a participant, a mentioned user) by e-mail. A user left
    with no channel (SMS only, and no phone) is not told."""
    chosen = []
    for user in people:
        if user.id == author_id or not user.active or user.notifications_paused:
            continue
        row = settings.get(user.id)
        by_email, by_sms = (row.notify_email, row.notify_sms) if row else (True, False)
        by_sms = by_sms and bool(user.phone)
        if by_email or by_sms:
            chosen.append((user, by_email, by_sms))
    return chosen


def hears_of(user: User):
    """SQL condition on conversations: a new text in it is told to the user, by the rule of
    `recipients`: an open conversation's claimer and participants, or, while it is unclaimed,
    the SMS users of its number; never a deactivated user or one who paused notifications."""
    if not user.active or user.notifications_paused:
        return false()
    numbers = select(SmsUser.tracking_number_id).where(SmsUser.user_id == user.id)
    unclaimed = and_(
        Conversation.claimed_by_id.is_(None), Conversation.tracking_number_id.in_(numbers)
    )
    return and_(
        Conversation.status == ConversationStatus.OPEN,
        or_(unclaimed, Conversation.handled_by(user)),
    )


def recipients(conversation: Conversation, author_id: int | None) -> list[tuple[User, bool, bool]]:
    """(user, by e-mail, by SMS) for everyone to tell about a new text in the conversation."""
    settings = _settings(conversation)
    if conversation.claimed_by_id is None:
        people = [row.user for row in settings.values()]
    else:
        people = conversation.handlers
    return _reachable(people, settings, author_id)


NEVER = datetime(1970, 1, 1)  # when a new pace was last sent: its first text is told at once


def _take_turns(texts: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """For (user id, conversation id) pairs, each with its count of new texts: how many texts
    to tell each user of now, for those whose five minutes are up (the notification of the
    first new text counts those that waited before it; the others wait for the next). The paces
    are made where missing and locked in key order, so jobs side by side wait for each other and
    never deadlock."""
    if not texts:
        return {}
    keys = sorted(texts)
    key = tuple_(NotificationPace.user_id, NotificationPace.conversation_id)
    table = NotificationPace.__table__
    db.session.execute(
        upsert_insert()(table)
        .values(last_sent_at=NEVER, pending=0)
        .on_conflict_do_nothing(index_elements=["user_id", "conversation_id"]),
        [{"user_id": u, "conversation_id": c} for u, c in keys],
    )
    paces = db.session.execute(
        select(
            NotificationPace.user_id,
            NotificationPace.conversation_id,
            NotificationPace.last_sent_at,
            NotificationPace.pending,
        )
        .where(key.in_(keys))
        .order_by(NotificationPace.user_id, NotificationPace.conversation_id)
        .with_for_update()
    ).all()
    now = utcnow()
    cutoff = now - timedelta(minutes=NOTIFICATION_WINDOW_MINUTES)
    turns, paced = {}, []
    for user_id, conversation_id, last_sent_at, pending in paces:
        count = texts[user_id, conversation_id]
        pace = {"user": user_id, "conversation": conversation_id}
        if last_sent_at <= cutoff:
            turns[user_id, conversation_id] = pending + 1
            paced.append({**pace, "sent": now, "waiting": count - 1})
        else:
            paced.append({**pace, "sent": last_sent_at, "waiting": pending + count})
    db.session.execute(
        update(table)
        .where(
            table.c.user_id == bindparam("user"),
            table.c.conversation_id == bindparam("conversation"),
        )
        .values(last_sent_at=bindparam("sent"), pending=bindparam("waiting")),
        paced,
    )
    return turns


def _add(conversation: Conversation, chosen: list[tuple[User, bool, bool]], **about) -> None:
    """Add a notification for each chosen user and channel whose five minutes are up, about a
    text (`message_id=`) or a note (`note_id=`); each sent once the caller commits."""
    turns = _take_turns({(user.id, conversation.id): 1 for user, _, _ in chosen})
    _insert(
        {"user_id": user.id, "conversation_id": conversation.id, **about, **told}
        for user, by_email, by_sms in chosen
        for told in _channels(turns.get((user.id, conversation.id)), by_email, by_sms)
    )


def _channels(texts: int | None, by_email: bool, by_sms: bool) -> list[dict]:
    """The notifications' channel and count of texts, for a user told of `texts` texts now
    (None: not now)."""
    if texts is None:
        return []
    chosen = ((Channel.EMAIL, by_email), (Channel.SMS, by_sms))
    return [{"channel": channel, "texts": texts} for channel, wanted in chosen if wanted]


def _insert(rows) -> None:
    """Add the notifications in one statement; each sent once the caller commits."""
    rows = list(rows)
    if rows:
        for notification_id in db.session.scalars(
            insert(Notification).returning(Notification.id), rows
        ):
            after_commit("send_notification", notification_id)


def queue(message: Message) -> None:
    """Add the notifications a new text (inbound, or an agent's) calls for to the session, each
    sent once the caller commits them with the change that made the text."""
    db.session.flush()  # the text's author is read below
    conversation = message.conversation
    if conversation is None or not conversation.is_open:
        return
    _add(conversation, recipients(conversation, message.sent_by_id), message_id=message.id)


class Filed(NamedTuple):
    """An inbound text the filing job put in an open conversation, as `queue_filed` needs it."""

    message_id: int
    conversation_id: int
    tracking_number_id: int
    claimed_by_id: int | None


def queue_filed(texts: list[Filed]) -> None:
    """Add the notifications of inbound texts filed together, in their order, as `queue` would
    one text at a time, in a few statements whatever their number: the numbers' SMS users read
    once, the claimed conversations' handlers once, and every pace taken in one go."""
    by_conversation: dict[int, list[Filed]] = {}
    for filed in texts:
        by_conversation.setdefault(filed.conversation_id, []).append(filed)
    settings: dict[int, dict[int, SmsUser]] = {}
    for row in db.session.scalars(
        select(SmsUser)
        .where(SmsUser.tracking_number_id.in_({f.tracking_number_id for f in texts}))
        .options(joinedload(SmsUser.user))
    ):
        settings.setdefault(row.tracking_number_id, {})[row.user_id] = row
    handlers = _handlers({f.conversation_id: f.claimed_by_id for f in texts if f.claimed_by_id})
    chosen = {}
    for conversation_id, its in by_conversation.items():
        number = settings.get(its[0].tracking_number_id, {})
        people = handlers.get(conversation_id)
        if people is None:
            people = [row.user for row in number.values()]
        chosen[conversation_id] = _reachable(people, number, None)
    turns = _take_turns(
        {
            (user.id, conversation_id): len(by_conversation[conversation_id])
            for conversation_id, told in chosen.items()
            for user, _, _ in told
        }
    )
    _insert(
        {
            "user_id": user.id,
            "conversation_id": conversation_id,
            "message_id": by_conversation[conversation_id][0].message_id,
            **told,
        }
        for conversation_id, chosen_here in chosen.items()
        for user, by_email, by_sms in chosen_here
        for told in _channels(turns.get((user.id, conversation_id)), by_email, by_sms)
    )


def _handlers(claimers: dict[int, int]) -> dict[int, list[User]]:
    """The claimer, then the participants, of each claimed conversation (`claimers`:
    conversation id → claimer id)."""
    if not claimers:
        return {}
    participants = db.session.execute(
        select(Participant.conversation_id, Participant.user_id)
        .where(Participant.conversation_id.in_(claimers))
        .order_by(Participant.created_at)
    ).all()
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(
                User.id.in_({*claimers.values(), *(user_id for _, user_id in participants)})
            )
        )
    }
    handlers = {conversation_id: [users[user_id]] for conversation_id, user_id in claimers.items()}
    for conversation_id, user_id in participants:
        handlers[conversation_id].append(users[user_id])
    return handlers


def queue_mentions(note: Note, users: list[User]) -> None:
    """Add the notifications of the users a note mentions (its author aside), each told like a
    claimer and paced like every notification; sent once the caller commits."""
    conversation = db.session.get(Conversation, note.conversation_id)
    chosen = _reachable(users, _settings(conversation), note.author_id)
    _add(conversation, chosen, note_id=note.id)


def _content(notification: Notification) -> dict:
    """What a notification says: the contact, the number, what happened (new texts, or a note
    that mentions the user), its start, and the signed link."""
    conversation = notification.conversation
    contact = conversation.contact.name or phones.pretty(conversation.contact.phone)
    context = {
        "user": notification.user,
        "contact": contact,
        "phone": conversation.contact.phone,
        "label": conversation.tracking_number.label,
        "company": conversation.tracking_number.account.name,
        "texts": notification.texts,
        "link": links.make(notification.user, conversation),
        "author": None,
        "from_agent": None,
    }
    if notification.note_id is not None:
        note = db.session.get(Note, notification.note_id)
        context["author"] = note.author.name
        context["what"] = f"{note.author.name} mentioned you in a note"
        context["start"] = note.body[:200]
    else:
        message = db.session.get(Message, notification.message_id)
        texts = notification.texts
        context["what"] = "a new text" if texts == 1 else f"{texts} new texts"
        context["start"] = message.body[:200]
        context["from_agent"] = message.sent_by.name if message.sent_by else None
    return context


def subject(context: dict) -> str:
    """The notification e-mail's subject."""
    if context["author"]:
        return f"{context['what']} about {context['contact']} on {context['label']}"
    return f"{context['what'].capitalize()} from {context['contact']} on {context['label']}"


def _sms_heads(context: dict, who: str) -> list[str]:
    """What an SMS may open with, longest first: the last is the shortest there is."""
    what, company = context["what"], _gsm7(context["company"])
    if context["author"]:
        author = _gsm7(context["author"]) or "A teammate"
        mentioned = f"{author} mentioned you in a note"
        return [
            *([f"{company}: {mentioned} on {who}"] if company else []),
            f"{mentioned} on {who}",
            mentioned,
        ]
    return [
        *([f"{company}: {what} from {who}"] if company else []),
        f"{what.capitalize()} from {who}",
        who if context["texts"] == 1 else f"{who}, {context['texts']} texts",
    ]


def sms_text(context: dict) -> str:
    """The notification SMS, in GSM-7 and one segment where the link leaves room: the head gets
    shorter before the start of the text (or note) is given up."""
    contact = _gsm7(context["contact"]) or phones.pretty(context["phone"])
    label = _gsm7(context["label"])
    who = f"{contact} ({label})" if label else contact
    heads = _sms_heads(context, who)
    link = context["link"]
    start = _gsm7(context["start"])

    def room(head: str) -> int:
        return SMS_LIMIT - _units(f'{head}: "" {link}')

    if start:
        wanted = min(_units(start), SMS_START_WANTED)
        head = next((head for head in heads if room(head) >= wanted), heads[-1])
        if room(head) >= min(wanted, SMS_START_LEAST):
            return f'{head}: "{_clip(start, room(head))}" {link}'
    fitting = [head for head in heads if _units(f"{head} {link}") <= SMS_LIMIT]
    return f"{fitting[0] if fitting else heads[-1]} {link}"


# What GSM-7 lacks, written with what it has; other characters (emoji) are left out.
GSM7_STANDINS = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        "\u2026": "...",
        "\u2022": "*",
    }
)


def _gsm7(text: str) -> str:
    """The text in GSM-7 characters, on one line: accents the alphabet lacks are dropped
    (ë → e), typographic quotes and dashes become plain ones."""
    kept = []
    for c in text.translate(GSM7_STANDINS):
        if c not in segments.GSM7_BASIC and c not in segments.GSM7_EXTENSION:
            c = "".join(
                d
                for d in unicodedata.normalize("NFKD", c)
                if d in segments.GSM7_BASIC or d in segments.GSM7_EXTENSION
            )
        kept.append(c)
    return " ".join("".join(kept).split())


def _units(text: str) -> int:
    return segments.count(text)[0]


def _clip(text: str, room: int) -> str:
    """The text, cut to `room` GSM-7 units with "..." when it is longer."""
    if _units(text) <= room:
        return text
    kept, used = [], _units("...")
    for c in text:
        used += _units(c)
        if used > room:
            break
        kept.append(c)
    return "".join(kept).rstrip() + "..."


def send(notification_id: int) -> None:
    """Send one notification; a failure that may pass is retried by the job system."""
    note = locked_unless_done(Notification, notification_id, NotificationStatus.QUEUED)
    if note is None:
        return
    context = _content(note)
    try:
        if note.channel == Channel.EMAIL:
            mail.send(
                [note.user.email],
                subject(context),
                render_template("mail/notify.txt", **context),
                render_template("mail/notify.html", **context),
            )
        else:
            sender = current_app.config["NOTIFY_FROM_NUMBER"] or SIMULATED_NOTIFY_NUMBER
            provider().send(sender, note.user.phone, sms_text(context))
    except (smtplib.SMTPException, OSError) as e:
        raise Transient(f"mail server: {e}") from e
    except SendError as e:
        if e.retryable:
            raise Transient(e.message) from e
        note.status, note.error = NotificationStatus.FAILED, e.message
    else:
        note.status, note.sent_at = NotificationStatus.SENT, utcnow()
    db.session.commit()


def failed(notification_id: int, error: Exception) -> None:
    """The retries ran out, or the send failed on an error nobody expected (`Unexpected`, whose
    id the reason names): the notification shows as failed, with why."""
    note = locked_unless_done(Notification, notification_id, NotificationStatus.QUEUED)
    if note is not None:
        reason = f"could not be sent ({error})" if isinstance(error, Unexpected) else str(error)
        note.status, note.error = NotificationStatus.FAILED, reason
        db.session.commit()


# A conversation's notifications that could not be sent, built once: each run binds it.
FAILED_IN = (
    select(Notification)
    .where(
        Notification.conversation_id == bindparam("conversation_id", type_=Integer),
        Notification.status == NotificationStatus.FAILED,
    )
    .order_by(Notification.id)
    .options(joinedload(Notification.user))
)


def failures(conversation: Conversation) -> dict[tuple[str, int], list[Notification]]:
    """The conversation's notifications that could not be sent, by what they were about:
    `("message", id)` for a text, `("note", id)` for a note's mention."""
    found: dict[tuple[str, int], list[Notification]] = {}
    for note in db.session.scalars(FAILED_IN, {"conversation_id": conversation.id}):
        about = ("note", note.note_id) if note.note_id is not None else ("message", note.message_id)
        found.setdefault(about, []).append(note)
    return found


def set_paused(user: User, paused: bool) -> None:
    """Pause (or resume) every notification to the user."""
    user.notifications_paused = paused
    db.session.commit()


def subscriptions(user: User) -> list[SmsUser]:
    """The numbers the user hears about, with the channels they hear by."""
    return list(
        db.session.scalars(
            select(SmsUser).where(SmsUser.user_id == user.id).order_by(SmsUser.tracking_number_id)
        )
    )
