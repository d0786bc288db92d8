"""/dev/phone texts any active number as any phone; /dev/outbox lists all the app has sent."""

import contextlib

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import and_, or_, select

from app import phones
from app.dev import bp
from app.extensions import db
from app.inputs import uploaded
from app.models import Message, MessageMedia, OutboxItem, TrackingNumber, Widget
from app.models.number import SmsState
from app.models.outbox import OutboxChannel
from app.portal.views import served
from app.services import attachments, inbound
from app.services.errors import Invalid
from app.sms.simulator import phone_keeps, phone_sends

DEFAULT_PHONE = "+15555550199"


def thread(phone: str, number: str) -> list[OutboxItem]:
    """Everything between the phone and the number, both ways, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.channel.in_((OutboxChannel.SMS_MO, OutboxChannel.SMS_MT)),
                or_(
                    and_(OutboxItem.sender == phone, OutboxItem.recipient == number),
                    and_(OutboxItem.sender == number, OutboxItem.recipient == phone),
                ),
            )
            .order_by(OutboxItem.id)
        )
    )


def chosen() -> tuple[str, str]:
    """The phone and number picked in the query string (phone normalised when it can be)."""
    phone, number = request.values.get("phone", DEFAULT_PHONE), request.values.get("number", "")
    with contextlib.suppress(ValueError):
        phone = phones.normalize(phone)
    with contextlib.suppress(ValueError):
        number = phones.normalize(number)
    return phone, number


@bp.route("/phone")
def phone():
    numbers = db.session.scalars(
        select(TrackingNumber)
        .where(TrackingNumber.sms_state == SmsState.ACTIVE)
        .order_by(TrackingNumber.id)
    ).all()
    phone_number, number = chosen()
    if not number and numbers:
        number = numbers[0].number
    return render_template(
        "dev/phone.html",
        numbers=numbers,
        phone=phone_number,
        number=number,
        **thread_context(phone_number, number),
    )


def pictures(items: list[OutboxItem]) -> dict[str, list[MessageMedia]]:
    """The pictures and files of the texts in a thread, by the texts' SIDs: what the phone got
    with the business's texts, and what it attached to its own (once the app kept them)."""
    sids = [item.provider_sid for item in items if item.provider_sid]
    found = db.session.execute(
        select(Message.provider_sid, MessageMedia)
        .join(MessageMedia, MessageMedia.message_id == Message.id)
        .where(Message.provider_sid.in_(sids), MessageMedia.storage_key.is_not(None))
        .order_by(MessageMedia.message_id, MessageMedia.position)
    ).all()
    media = {}
    for sid, item in found:
        media.setdefault(sid, []).append(item)
    return media


def thread_context(phone_number: str, number: str) -> dict:
    items = thread(phone_number, number)
    return {"thread": items, "media": pictures(items)}


@bp.route("/phone/media/<id:media_id>")
def phone_media(media_id: int):
    """A picture or file as the simulated phone shows it (the simulated carrier hands the phone
    what the app keeps)."""
    item = db.session.get(MessageMedia, media_id)
    if item is None or not item.storage_key:
        abort(404)
    return served(item, attachments.content(item), "private, max-age=3600")


@bp.route("/phone/thread")
def phone_thread():
    phone_number, number = chosen()
    return render_template(
        "dev/_thread.html", phone=phone_number, **thread_context(phone_number, number)
    )


@bp.post("/phone")
def phone_send():
    phone_number, number = chosen()
    body = request.form.get("body", "")
    back = redirect(url_for("dev.phone", phone=phone_number, number=number))
    try:
        phones.normalize(phone_number)
    except ValueError:
        flash("That is not a phone number.", "danger")
        return back
    try:
        files = attachments.checked(uploaded())
    except Invalid as e:
        flash(e.message, "danger")
        return back
    if not body.strip() and not files:
        flash("Write a text or attach a picture.", "danger")
        return back
    media = tuple((phone_keeps(f.data, f.content_type), f.content_type) for f in files)
    sid = phone_sends(phone_number, number, body)
    if inbound.receive(to=number, sender=phone_number, body=body, sid=sid, media=media) is None:
        flash(f"{number} is not a tracking number; the carrier dropped the text.", "warning")
    db.session.commit()
    return back


@bp.route("/outbox")
def outbox():
    items = db.session.scalars(
        select(OutboxItem)
        .where(OutboxItem.channel != OutboxChannel.SMS_MO)
        .order_by(OutboxItem.id.desc())
        .limit(500)
    ).all()
    return render_template("dev/outbox.html", items=items)


@bp.route("/website")
def website():
    """A sample business website with the demo's widget, to be opened under another host name
    (another origin) than the app's, as a real site would be."""
    widget = db.session.scalar(select(Widget).order_by(Widget.id).limit(1))
    base = current_app.config["PUBLIC_BASE_URL"]
    response = make_response(render_template("dev/website.html", widget=widget, base=base))
    # This page plays a foreign site: it loads the widget from the app's public address.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {base}; connect-src 'self' {base}; "
        "style-src 'self' 'unsafe-inline'"
    )
    return response
