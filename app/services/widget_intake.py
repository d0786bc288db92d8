"""Click-to-text widgets (SPEC §2.7): their settings, and what a visitor's submission does.

Each submission makes us send an SMS, so the endpoint is a target for SMS pumping: origins are
checked, rates limited (in the blueprint), input bounded, and a honeypot catches simple bots.
"""

from urllib.parse import urlsplit

from flask import current_app
from marshmallow import ValidationError, fields, validate, validates
from sqlalchemy import select

from app import phones
from app.extensions import db
from app.inputs import (
    CONTROL,
    Choice,
    Form,
    Id,
    StrictBoolean,
    Text,
    check,
    length_of,
    one_line,
)
from app.models import Account, Message, TrackingNumber, Widget
from app.models.conversation import ConversationSource, Purpose
from app.models.number import SmsState
from app.models.widget import DEFAULTS, MOBILE_BEHAVIOURS, POSITIONS
from app.services import consent, inbound, notify, outbound
from app.services.errors import Conflict, Invalid, NotFound

DEFAULT_CONSENT = (
    "By sending, I agree to receive text messages from {company} about my request at the number "
    "above. Message frequency varies. Msg & data rates may apply. Reply STOP to opt out, HELP for "
    "help."
)
CONFIRMATION = "Thanks! {company} got your message and will text you back here shortly."
LIMITS = {"name": 80, "message": 1000, "page_url": 2048}
MAX_ORIGINS = 50
MAX_URL = 2048


def by_key(key: str) -> Widget | None:
    """The widget of a public key; None for a key no widget can have (too long, control
    characters), without asking the database."""
    if len(key) > length_of(Widget.key) or CONTROL.search(key):
        return None
    return db.session.scalar(select(Widget).where(Widget.key == key))


def consent_text(widget: Widget) -> str:
    """The consent the visitor agrees to, with the company named."""
    return widget.account.expand(widget.consent_text or DEFAULT_CONSENT)


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-case; None when it is not an http(s) URL."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port  # ValueError beyond 65535 or when not a number: no usable origin
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or CONTROL.search(url):
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}{f':{port}' if port else ''}"


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


class SettingsSchema(Form):
    """A widget's settings as the admin page or the CLI gives them."""

    tracking_number_id = Id(
        strict=False, required=True, error_messages={"required": "Choose one of the numbers."}
    )
    allowed_origins = fields.List(
        Text(max_length=MAX_URL, min_length=0),
        load_default=list,
        validate=validate.Length(max=MAX_ORIGINS, error="At most {max} websites."),
    )
    name = Text(max_length=length_of(Widget.name), collapse=True)
    button_text = Text(max_length=length_of(Widget.button_text), collapse=True)
    greeting = Text(max_length=length_of(Widget.greeting), collapse=True)
    color = Text(
        max_length=length_of(Widget.color),
        validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="A colour like #0d6efd."),
    )
    position = Choice(POSITIONS, required=True)
    mobile_behaviour = Choice(MOBILE_BEHAVIOURS, required=True)
    consent_text = Text(max_length=600, min_length=0, collapse=True, load_default="")

    @validates("consent_text")
    def says_how_to_stop(self, value: str, data_key: str) -> None:
        """A consent text of its own (empty: the default) is long enough and says how to stop."""
        if value and len(value) < 40:
            raise ValidationError("Between 40 and 600 characters (or empty for the default).")
        if value and "stop" not in value.lower():
            raise ValidationError("Say how to stop (e.g. “Reply STOP to opt out”).")


def _clean_settings(account: Account, data: dict) -> dict:
    cleaned, errors = check(SettingsSchema(), data)
    if "tracking_number_id" not in errors:
        number = db.session.get(TrackingNumber, cleaned.pop("tracking_number_id"))
        if number is None or number.account_id != account.id or number.archived_at:
            errors["tracking_number_id"] = ["Choose one of this account's numbers."]
        else:
            cleaned["tracking_number"] = number
    origins = []
    for raw in cleaned.get("allowed_origins", []):
        if not raw:
            continue
        found = origin(raw)
        if found is None:
            errors.setdefault("allowed_origins", []).append(f"“{raw}” is not a website address.")
        elif found not in origins:
            origins.append(found)
    if not origins and "allowed_origins" not in errors:
        errors["allowed_origins"] = ["Name at least one website, e.g. https://example.com."]
    cleaned["allowed_origins"] = origins
    if errors:
        raise Invalid("The widget was not saved.", errors)
    cleaned["consent_text"] = cleaned["consent_text"] or None
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
        **DEFAULTS,
        "consent_text": "",
    }


def of_account(account: Account) -> list[Widget]:
    """The account's widgets, oldest first."""
    return list(
        db.session.scalars(
            select(Widget).where(Widget.account_id == account.id).order_by(Widget.id)
        )
    )


def get(account: Account, widget_id: int) -> Widget:
    """One of the account's widgets, or NotFound (never another account's)."""
    widget = db.session.get(Widget, widget_id)
    if widget is None or widget.account_id != account.id:
        raise NotFound("No such widget.")
    return widget


def number_choices(account: Account) -> list[TrackingNumber]:
    """The numbers the settings page offers a widget: the account's, with SMS on."""
    return list(
        db.session.scalars(
            select(TrackingNumber)
            .where(
                TrackingNumber.account_id == account.id,
                TrackingNumber.archived_at.is_(None),
                TrackingNumber.sms_state == SmsState.ACTIVE,
            )
            .order_by(TrackingNumber.id)
        )
    )


def form_values(widget: Widget | None, numbers: list[TrackingNumber]) -> dict:
    """What the settings form starts from: a new widget's settings on the first of the numbers
    (none without a number), then the widget's own."""
    values = defaults(numbers[0], []) if numbers else {}
    if widget is None:
        return values
    return {
        **values,
        **{f: getattr(widget, f) for f in values},
        "consent_text": widget.consent_text or "",
    }


class SubmissionSchema(Form):
    """A visitor's form, as the widget posts it (other fields, the honeypot among them, are not
    the schema's business)."""

    name = Text(max_length=LIMITS["name"], collapse=True, blank="Tell us your name.")
    phone = Text(max_length=64, blank="Enter a mobile number we can text.")
    message = Text(max_length=LIMITS["message"], single_line=False, blank="Write your message.")
    consent = StrictBoolean(
        required=True,
        validate=validate.Equal(True),
        error_messages={
            key: "Tick the box to agree to receive texts."
            for key in ("required", "null", "invalid", "validator_failed")
        },
    )
    # The page the form was on, as the widget saw it: kept as evidence, cut to a sane length.
    page_url = fields.String(load_default="", validate=one_line)


def _check_submission(data: dict) -> tuple[str, str, str, str]:
    values, errors = check(SubmissionSchema(), data)
    if "phone" not in errors:
        try:
            # The simulated carrier also takes the demo's fictional numbers (see phones.textable).
            simulated = current_app.config["SMS_PROVIDER"] == "simulator"
            values["phone"] = phones.textable(values["phone"], fictional=simulated)
        except ValueError:
            errors["phone"] = ["Enter a mobile number we can text, e.g. (555) 010-0199."]
    if errors:
        raise Invalid("Please check the form.", errors)
    page_url = values["page_url"][: LIMITS["page_url"]]
    return values["name"], values["phone"], values["message"], page_url


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
    conversation = inbound.conversation_for(
        number, contact, ConversationSource.WIDGET, keyword_only=False
    )
    message = inbound.new_text(number, phone, body)
    inbound.attach(message, conversation)
    evidence = (
        f"{consent_text(widget)}\n"
        f"[widget form · name: {name} · page: {page_url or 'unknown'} · IP: {ip} · "
        f"browser: {CONTROL.sub('', user_agent)[:300]}]"
    )
    answer = consent.from_widget(contact, number, message, evidence)
    text = (
        number.account.sms_text(Purpose.OPT_IN)
        if answer == Purpose.OPT_IN
        else number.account.expand(CONFIRMATION)
    )
    outbound.queue(conversation, text, purpose=answer)
    notify.queue(message)
    db.session.commit()
    return message
