"""Click-to-text widgets (SPEC §2.7): their settings, and what a visitor's submission does.

Each submission makes us send an SMS, so the endpoint is a target for SMS pumping: origins are
checked, rates limited (in the blueprint), input bounded, and a honeypot catches simple bots.
"""

from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app import jobs, phones
from app.extensions import db
from app.models import Account, Message, TrackingNumber, Widget
from app.models.widget import MOBILE_BEHAVIOURS, POSITIONS
from app.services import consent, inbound, notify, outbound
from app.services.errors import Conflict, Invalid

DEFAULT_CONSENT = (
    "By sending, I agree to receive text messages from {company} about my request at the number "
    "above. Message frequency varies. Msg & data rates may apply. Reply STOP to opt out, HELP for "
    "help."
)
CONFIRMATION = "Thanks! {company} got your message and will text you back here shortly."
LIMITS = {"name": 80, "message": 1000, "page_url": 2048}


def by_key(key: str) -> Widget | None:
    return db.session.scalar(select(Widget).where(Widget.key == key))


def consent_text(widget: Widget) -> str:
    """The consent the visitor agrees to, with the company named."""
    return (widget.consent_text or DEFAULT_CONSENT).replace("{company}", widget.account.name)


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-case; None when it is not an http(s) URL."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def allows(widget: Widget, page_origin: str | None) -> bool:
    """Whether a page of that origin may use the widget (our own pages may: the preview)."""
    own = origin(current_app.config["PUBLIC_BASE_URL"])
    return page_origin is not None and (page_origin in widget.allowed_origins or page_origin == own)


def settings(widget: Widget) -> dict:
    """What the widget script needs to draw itself."""
    return {
        "button_text": widget.button_text,
        "color": widget.color,
        "position": widget.position,
        "greeting": widget.greeting,
        "consent_text": consent_text(widget),
        "mobile_behaviour": widget.mobile_behaviour,
        "sms_number": widget.tracking_number.number,
        "company": widget.account.name,
    }


def _clean_settings(account: Account, data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    number = db.session.get(TrackingNumber, data.get("tracking_number_id") or 0)
    if number is None or number.account_id != account.id or number.archived_at:
        errors["tracking_number_id"] = ["Choose one of this account's numbers."]
    else:
        cleaned["tracking_number"] = number
    origins = []
    for raw in data.get("allowed_origins") or []:
        if not raw.strip():
            continue
        found = origin(raw)
        if found is None:
            errors.setdefault("allowed_origins", []).append(f"{raw!r} is not a website address.")
        elif found not in origins:
            origins.append(found)
    if not origins:
        errors.setdefault("allowed_origins", []).append(
            "Name at least one website, e.g. https://example.com."
        )
    cleaned["allowed_origins"] = origins
    for field, limit in (("name", 120), ("button_text", 40), ("greeting", 200)):
        value = " ".join(str(data.get(field) or "").split())
        if not value or len(value) > limit:
            errors[field] = [f"Between 1 and {limit} characters."]
        cleaned[field] = value
    color = str(data.get("color") or "")
    if (
        len(color) != 7
        or color[0] != "#"
        or any(c not in "0123456789abcdefABCDEF" for c in color[1:])
    ):
        errors["color"] = ["A colour like #0d6efd."]
    cleaned["color"] = color
    if data.get("position") not in POSITIONS:
        errors["position"] = [f"One of {', '.join(POSITIONS)}."]
    cleaned["position"] = data.get("position")
    if data.get("mobile_behaviour") not in MOBILE_BEHAVIOURS:
        errors["mobile_behaviour"] = [f"One of {', '.join(MOBILE_BEHAVIOURS)}."]
    cleaned["mobile_behaviour"] = data.get("mobile_behaviour")
    text = " ".join(str(data.get("consent_text") or "").split())
    if text and not (40 <= len(text) <= 600):
        errors["consent_text"] = ["Between 40 and 600 characters (or empty for the default)."]
    elif text and "stop" not in text.lower():
        errors["consent_text"] = ["Say how to stop (e.g. “Reply STOP to opt out”)."]
    cleaned["consent_text"] = text or None
    if errors:
        raise Invalid("The widget was not saved.", errors)
    return cleaned


def save(account: Account, data: dict, widget: Widget | None = None) -> Widget:
    """Create or update a widget of the account, every setting checked."""
    cleaned = _clean_settings(account, data)
    if widget is None:
        widget = Widget(account=account)
        db.session.add(widget)
    for field, value in cleaned.items():
        setattr(widget, field, value)
    db.session.commit()
    return widget


def defaults(number: TrackingNumber, origins: list[str]) -> dict:
    """Settings for a new widget on a number."""
    return {
        "tracking_number_id": number.id,
        "allowed_origins": origins,
        "name": "Website",
        "button_text": "Text us",
        "color": "#0d6efd",
        "position": "bottom-right",
        "greeting": "Hi! How can we help?",
        "mobile_behaviour": "form",
        "consent_text": "",
    }


def _text(data: dict, field: str) -> str:
    """A field of the form: text; anything else (a list, a number…) counts as missing."""
    value = data.get(field)
    return value if isinstance(value, str) else ""


def _check_submission(data: dict) -> tuple[str, str, str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join(_text(data, "name").split())
    message = _text(data, "message").strip().replace("\x00", "")
    page_url = _text(data, "page_url")
    if not name:
        errors["name"] = ["Tell us your name."]
    elif len(name) > LIMITS["name"]:
        errors["name"] = [f"At most {LIMITS['name']} characters."]
    try:
        # The simulated carrier also takes the demo's fictional numbers (see phones.textable).
        simulated = current_app.config["SMS_PROVIDER"] == "simulator"
        phone = phones.textable(_text(data, "phone"), fictional=simulated)
    except ValueError:
        phone = ""
        errors["phone"] = ["Enter a mobile number we can text, e.g. (555) 010-0199."]
    if not message:
        errors["message"] = ["Write your message."]
    elif len(message) > LIMITS["message"]:
        errors["message"] = [f"At most {LIMITS['message']} characters."]
    if data.get("consent") is not True:
        errors["consent"] = ["Tick the box to agree to receive texts."]
    if len(page_url) > LIMITS["page_url"]:
        page_url = page_url[: LIMITS["page_url"]]
    if errors:
        raise Invalid("Please check the form.", errors)
    return name, phone, message, page_url


def submit(widget: Widget, data: dict, ip: str, user_agent: str) -> Message | None:
    """A visitor's form: consent recorded, the conversation found or opened (source widget) with
    the message as an inbound text, the visitor answered by SMS, the SMS users notified.

    None when the honeypot was filled: a bot is told it worked and nothing happens.
    """
    if str(data.get("website") or "").strip():
        return None
    name, phone, body, page_url = _check_submission(data)
    number = widget.tracking_number
    if not number.sms_active:
        raise Conflict("This number does not take texts right now. Please call us instead.")
    contact = inbound.contact_for(number, phone)
    contact.name = contact.name or name
    conversation = inbound.conversation_for(number, contact, "widget", keyword_only=False)
    message = inbound.new_text(number, phone, body)
    inbound.attach(message, conversation)
    evidence = (
        f"{consent_text(widget)}\n"
        f"[widget form · name: {name} · page: {page_url or 'unknown'} · IP: {ip} · "
        f"browser: {user_agent[:300]}]"
    )
    answer = consent.from_widget(contact, number, message, evidence)
    text = (
        number.account.sms_text("opt_in")
        if answer == "opt_in"
        else CONFIRMATION.replace("{company}", number.account.name)
    )
    reply = outbound.queue(conversation, text, purpose=answer)
    note_ids = notify.queue(message)
    db.session.commit()
    jobs.deliver_message.delay(reply.id)
    notify.send_soon(note_ids)
    return message
