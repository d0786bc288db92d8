"""Who hears about a text, and how (SPEC §2.5).

New conversation or new text in an unclaimed one → every SMS user of the number, by each channel
they have on. Claimed → the claimer and participants. Nobody is told of their own text, paused and
deactivated users hear nothing, and each user hears at most once per conversation per five
minutes: the next notification after that window says how many texts came. A note that
mentions a user tells them like a claimer, paced the same way (app/services/notes.py).
"""

import smtplib
import unicodedata
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import mail, phones, segments
from app.extensions import db
from app.models import (
    Conversation,
    Message,
    Note,
    Notification,
    NotificationPace,
    SmsUser,
    User,
)
from app.models.base import locked_unless_done, utcnow
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
    phone); anyone else (a claimer, a participant, a mentioned user) by e-mail."""
    chosen = []
    for user in people:
        if user.id == author_id or not user.active or user.notifications_paused:
            continue
        row = settings.get(user.id)
        by_email, by_sms = (row.notify_email, row.notify_sms) if row else (True, False)
        chosen.append((user, by_email, by_sms and bool(user.phone)))
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


def _take_turn(user: User, conversation: Conversation) -> int | None:
    """How many texts to tell the user of now, or None while their five minutes are not up
    (the text is then counted for the next notification). Safe when jobs run side by side."""
    now = utcnow()
    pace = db.session.get(NotificationPace, (user.id, conversation.id))
    if pace is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    NotificationPace(
                        user_id=user.id,
                        conversation_id=conversation.id,
                        last_sent_at=now,
                        pending=0,
                    )
                )
            return 1
        except IntegrityError:
            pace = db.session.get(NotificationPace, (user.id, conversation.id))
    cutoff = now - timedelta(minutes=NOTIFICATION_WINDOW_MINUTES)
    key = (NotificationPace.user_id == user.id, NotificationPace.conversation_id == conversation.id)
    waiting = pace.pending
    won = db.session.execute(
        update(NotificationPace)
        .where(*key, NotificationPace.last_sent_at <= cutoff, NotificationPace.pending == waiting)
        .values(last_sent_at=now, pending=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won:
        return waiting + 1
    db.session.execute(
        update(NotificationPace)
        .where(*key)
        .values(pending=NotificationPace.pending + 1)
        .execution_options(synchronize_session=False)
    )
    return None


def _add(
    conversation: Conversation, chosen: list[tuple[User, bool, bool]], **about
) -> list[Notification]:
    """Add a notification for each chosen user and channel whose five minutes are up, about a
    text (`message_id=`) or a note (`note_id=`); each sent once the caller commits."""
    queued = []
    for user, by_email, by_sms in chosen:
        if not (by_email or by_sms):
            continue
        texts = _take_turn(user, conversation)
        if texts is None:
            continue
        for channel, wanted in ((Channel.EMAIL, by_email), (Channel.SMS, by_sms)):
            if wanted:
                notification = Notification(
                    user_id=user.id,
                    conversation_id=conversation.id,
                    channel=channel,
                    texts=texts,
                    **about,
                )
                db.session.add(notification)
                queued.append(notification)
    db.session.flush()
    for notification in queued:
        after_commit("send_notification", notification.id)
    return queued


def queue(message: Message) -> list[Notification]:
    """Add the notifications a new text (inbound, or an agent's) calls for to the session, each
    sent once the caller commits them with the change that made the text."""
    db.session.flush()  # the text's author is read below
    conversation = message.conversation
    if conversation is None or not conversation.is_open:
        return []
    return _add(conversation, recipients(conversation, message.sent_by_id), message_id=message.id)


def queue_mentions(note: Note, users: list[User]) -> list[Notification]:
    """Add the notifications of the users a note mentions (its author aside), each told like a
    claimer and paced like every notification; sent once the caller commits."""
    conversation = db.session.get(Conversation, note.conversation_id)
    chosen = _reachable(users, _settings(conversation), note.author_id)
    return _add(conversation, chosen, note_id=note.id)


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


def failures(conversation: Conversation) -> dict[tuple[str, int], list[Notification]]:
    """The conversation's notifications that could not be sent, by what they were about:
    `("message", id)` for a text, `("note", id)` for a note's mention."""
    found: dict[tuple[str, int], list[Notification]] = {}
    for note in db.session.scalars(
        select(Notification)
        .where(
            Notification.conversation_id == conversation.id,
            Notification.status == NotificationStatus.FAILED,
        )
        .order_by(Notification.id)
        .options(joinedload(Notification.user))
    ):
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
