"""Carrier registration (SPEC §2.1): the brand & campaign form, the carriers' rules, submitting.

One form serves both kinds: an A2P 10DLC brand + campaign (local numbers) and a toll-free
verification, which asks the same questions plus the monthly volume and how people opt in.
"""

import functools
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import marshmallow
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from app import csvfile, mail, phones
from app.extensions import db
from app.inputs import EMAIL, Choice, Form, Length, Text, check, field_errors, load
from app.models import Account, CarrierRegistration, TrackingNumber, User
from app.models.base import utcnow
from app.models.number import NumberType
from app.models.registration import (
    REGISTRATION_KINDS,
    REGISTRATION_STATUSES,
    RegistrationKind,
    RegistrationStatus,
)
from app.services.errors import DomainError, Invalid, NotFound

KIND_LABELS = {
    RegistrationKind.TEN_DLC: "A2P 10DLC brand & campaign (local numbers)",
    RegistrationKind.TOLL_FREE: "Toll-free verification",
}
STATUS_LABELS = {
    RegistrationStatus.DRAFT: "Draft",
    RegistrationStatus.SUBMITTED: "Submitted",
    RegistrationStatus.APPROVED: "Approved",
    RegistrationStatus.REJECTED: "Rejected",
}
SECTIONS = {"brand": "Brand", "campaign": "Campaign", "toll_free": "Toll-free verification"}
# The CSV's groups, by number type.
GROUPS = {NumberType.LOCAL: "DID/Local", NumberType.TOLL_FREE: "Toll-Free"}

# The limits The Campaign Registry and the toll-free verifiers apply to a campaign's texts.
SAMPLES_MIN, SAMPLES_MAX = 2, 5
SAMPLE_MIN_LENGTH, SAMPLE_MAX_LENGTH = 20, 1024
NOTE_MAX_LENGTH = 2000
# The simulated carrier's telecom team, when no TELECOM_EMAIL is set (example.com takes no mail).
SIMULATED_TELECOM_EMAIL = "telecom@example.com"

YES_NO = {"yes": "Yes", "no": "No"}
BUSINESS_TYPES = {
    "private_profit": "Private company",
    "public_profit": "Publicly traded company",
    "non_profit": "Non-profit organization",
    "government": "Government",
}
VERTICALS = {
    "agriculture": "Agriculture",
    "communication": "Communication",
    "construction": "Construction",
    "education": "Education",
    "energy": "Energy",
    "entertainment": "Entertainment",
    "financial": "Financial",
    "healthcare": "Healthcare",
    "hospitality": "Hospitality",
    "human_resources": "Human resources",
    "insurance": "Insurance",
    "legal": "Legal",
    "manufacturing": "Manufacturing",
    "professional": "Professional services",
    "real_estate": "Real estate",
    "retail": "Retail",
    "technology": "Technology",
    "transportation": "Transportation",
}
USE_CASES = {
    "customer_care": "Customer care",
    "account_notification": "Account notifications",
    "delivery_notification": "Delivery notifications",
    "low_volume_mixed": "Low-volume mixed",
    "mixed": "Mixed",
    "marketing": "Marketing",
}
MONTHLY_VOLUMES = {
    v: v
    for v in (
        "10",
        "100",
        "1,000",
        "10,000",
        "100,000",
        "250,000",
        "500,000",
        "750,000",
        "1,000,000",
        "5,000,000",
        "10,000,000+",
    )
}
OPT_IN_TYPES = {
    "verbal": "Verbal (in person or by phone)",
    "web_form": "Web form",
    "paper_form": "Paper form",
    "via_text": "By text (keyword)",
    "mobile_qr_code": "QR code",
}
REGISTRATION_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Field:
    """One question of the form and the rule its answer must follow."""

    name: str
    label: str
    section: str
    widget: str = "text"  # text, textarea, email, url, tel, select, radio, samples
    required: bool = True
    min_length: int = 0
    max_length: int = 255
    choices: dict[str, str] | None = None
    pattern: re.Pattern | None = None
    pattern_message: str = ""
    hint: str = ""
    kinds: tuple[str, ...] = REGISTRATION_KINDS


def sms_text_field(name: str, label: str, hint: str) -> Field:
    """One of the opt-in / opt-out / help texts: 20 to 320 characters, as carriers ask."""
    return Field(name, label, "campaign", "textarea", min_length=20, max_length=320, hint=hint)


FIELDS = (
    Field(
        "legal_name", "Legal business name", "brand", hint="Exactly as registered (IRS, registry)."
    ),
    Field("business_type", "Business type", "brand", "select", choices=BUSINESS_TYPES),
    Field(
        "ein",
        "EIN / registration number",
        "brand",
        max_length=40,
        pattern=REGISTRATION_NUMBER,
        pattern_message="Letters, digits, spaces, dots, slashes and dashes only.",
        hint="US: the 9-digit EIN (12-3456789). Elsewhere: the company registration number.",
    ),
    Field("vertical", "Vertical (industry)", "brand", "select", choices=VERTICALS),
    Field("website", "Website", "brand", "url", hint="The business's public website."),
    Field("address_street", "Street address", "brand"),
    Field("address_city", "City", "brand", max_length=100),
    Field("address_state", "State / region", "brand", max_length=100),
    Field("address_postal_code", "ZIP / postal code", "brand", max_length=20),
    Field(
        "address_country",
        "Country",
        "brand",
        max_length=2,
        pattern=COUNTRY,
        pattern_message="Two letters, e.g. US.",
        hint="Two-letter code, e.g. US.",
    ),
    Field("contact_name", "Authorized contact: name", "brand", max_length=120),
    Field("contact_title", "Authorized contact: title", "brand", max_length=120),
    Field("contact_email", "Authorized contact: e-mail", "brand", "email", max_length=254),
    Field("contact_phone", "Authorized contact: phone", "brand", "tel", max_length=30),
    Field("use_case", "Use case", "campaign", "select", choices=USE_CASES),
    Field(
        "description",
        "Campaign description",
        "campaign",
        "textarea",
        min_length=40,
        max_length=4096,
        hint="Who sends what to whom, and why. 40 to 4,096 characters.",
    ),
    Field(
        "message_flow",
        "Message flow (how opt-in is collected)",
        "campaign",
        "textarea",
        min_length=40,
        max_length=2048,
        hint="Where people give their number, what they agree to and the words they see. "
        "Carriers reject vague answers. 40 to 2,048 characters.",
    ),
    Field(
        "samples",
        "Sample messages",
        "campaign",
        "samples",
        hint=f"{SAMPLES_MIN} to {SAMPLES_MAX} texts as customers would receive them, "
        f"{SAMPLE_MIN_LENGTH} to {SAMPLE_MAX_LENGTH:,} characters each.",
    ),
    Field("embedded_links", "Messages contain links", "campaign", "radio", choices=YES_NO),
    Field("embedded_phone", "Messages contain phone numbers", "campaign", "radio", choices=YES_NO),
    sms_text_field("opt_in_text", "Opt-in message", "Sent on a first text. 20 to 320 characters."),
    sms_text_field("opt_out_text", "Opt-out message", "Answer to STOP. 20 to 320 characters."),
    sms_text_field("help_text", "Help message", "Answer to HELP. 20 to 320 characters."),
    Field("privacy_url", "Privacy policy URL", "campaign", "url", max_length=2048),
    Field("terms_url", "Terms and conditions URL", "campaign", "url", False, max_length=2048),
    Field(
        "monthly_volume",
        "Expected texts per month",
        "toll_free",
        "select",
        choices=MONTHLY_VOLUMES,
        kinds=(RegistrationKind.TOLL_FREE,),
    ),
    Field(
        "opt_in_type",
        "How people opt in",
        "toll_free",
        "select",
        choices=OPT_IN_TYPES,
        kinds=(RegistrationKind.TOLL_FREE,),
    ),
)
BY_NAME = {f.name: f for f in FIELDS}


class MailFailed(DomainError):
    """The submission e-mail could not be handed to the mail server; nothing was stored."""

    status, code = 502, "mail_failed"


def fields_for(kind: str) -> list[Field]:
    """The questions a registration of this kind asks, in the form's order."""
    return [f for f in FIELDS if kind in f.kinds]


def sections(kind: str) -> list[tuple[str, list[Field]]]:
    """The form's sections for this kind: (title, fields), empty sections left out."""
    grouped = [
        (title, [f for f in fields_for(kind) if f.section == s]) for s, title in SECTIONS.items()
    ]
    return [(title, fields) for title, fields in grouped if fields]


def from_form(form: Mapping[str, str]) -> dict:
    """A posted form as registration data; blank sample boxes are dropped, the others keep order."""
    data = {f.name: form.get(f.name, "") for f in FIELDS if f.widget != "samples"}
    boxes = (form.get(f"sample_{i}", "") for i in range(1, SAMPLES_MAX + 1))
    data["samples"] = [sample for sample in boxes if sample.strip()]
    return data


def text(value) -> str:
    """An answer as text, trimmed, with line breaks as the carrier sees them."""
    # Browsers post CRLF line breaks; the character limits are about what the carrier sees.
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def clean(kind: str, data: Mapping) -> dict:
    """The answers of this kind's fields only, trimmed; anything else is dropped."""
    cleaned: dict = {}
    for f in fields_for(kind):
        value = data.get(f.name)
        if f.widget == "samples":
            items = [value] if isinstance(value, str) else list(value or [])
            cleaned[f.name] = [t for t in (text(item) for item in items) if t]
            continue
        value = text(value)
        if f.widget == "url" and value and "://" not in value:
            value = "https://" + value  # admins type "www.acme.com"; carriers want a full URL
        if f.pattern is COUNTRY:
            value = value.upper()
        cleaned[f.name] = value
    return cleaned


def is_url(value: str) -> bool:
    """Whether the value is an http(s) address with a host name that has a dot."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and "." in host
        and not any(c.isspace() for c in value)
    )


def is_phone(value: str) -> bool:
    """Whether the value is a phone number."""
    try:
        phones.normalize(value)
    except ValueError:
        return False
    return True


FORMATS = {
    "email": (lambda v: bool(EMAIL.match(v)), "Not an e-mail address."),
    "url": (is_url, "Not a web address (https://…)."),
    "tel": (is_phone, "Not a phone number."),
}


def rule(test, message: str):
    """A marshmallow validator: ValidationError(message) unless test(value)."""

    def check(value: str) -> None:
        if not test(value):
            raise ValidationError(message)

    return check


def answer_field(f: Field, full: bool):
    """The schema field of one question. A draft (`full` false) is held to its bounds only:
    lengths, the options, characters that can be stored."""
    required = full and f.required
    if f.choices is not None:
        messages = {"required": "Choose one.", "null": "Choose one."}
        chosen = marshmallow.validate.OneOf(list(f.choices), error="Choose one of the options.")
        return marshmallow.fields.String(
            required=required, validate=chosen, error_messages=messages
        )
    rules = []
    if full and f.min_length > 1:
        rules.append(
            Length(min=f.min_length, error="At least {min:,} characters ({given:,} given).")
        )
    if full and f.widget in FORMATS:
        rules.append(rule(*FORMATS[f.widget]))
    if full and f.pattern:
        rules.append(rule(f.pattern.match, f.pattern_message))
    return Text(
        max_length=f.max_length,
        min_length=1 if required else 0,
        single_line=f.widget != "textarea",
        validate=rules,
        **({} if required else {"load_default": ""}),
    )


@functools.cache
def answers_schema(kind: str, full: bool) -> type[Form]:
    """The schema of a registration's answers of this kind (samples are checked box by box)."""
    questions = {f.name: answer_field(f, full) for f in fields_for(kind) if f.widget != "samples"}
    return Form.from_dict(questions, name=f"Answers_{kind}_{'full' if full else 'draft'}")


def sample_field(full: bool) -> Text:
    """One sample message's box."""
    low = SAMPLE_MIN_LENGTH if full else 0
    return Text(max_length=SAMPLE_MAX_LENGTH, min_length=low, single_line=False)


def problems(kind: str, data: dict, full: bool) -> dict[str, list[str]]:
    """Every field at fault in cleaned data, with what is wrong with it."""
    _, errors = check(answers_schema(kind, full)(), data)
    samples = data["samples"]
    if len(samples) > SAMPLES_MAX or (full and len(samples) < SAMPLES_MIN):
        errors["samples"] = [
            f"Give {SAMPLES_MIN} to {SAMPLES_MAX} sample messages ({len(samples)} given)."
        ]
    box = sample_field(full)
    for i, sample in enumerate(samples[:SAMPLES_MAX], start=1):
        try:
            box.deserialize(sample)
        except ValidationError as e:
            errors[f"sample_{i}"] = field_errors({"box": e.messages})["box"]
    ein_digits = re.sub(r"\D", "", data["ein"])
    if full and "ein" not in errors and data["address_country"] == "US" and len(ein_digits) != 9:
        errors["ein"] = ["A US EIN has 9 digits (12-3456789)."]
    return errors


def check_kind(kind: str) -> None:
    """Invalid unless the kind is one of the registration kinds."""
    if kind not in REGISTRATION_KINDS:
        raise Invalid("Unknown registration kind.", {"kind": [f"One of {', '.join(KIND_LABELS)}."]})


def validate(kind: str, data: Mapping) -> dict:
    """The answers, cleaned, if they meet every carrier rule; Invalid lists every field at fault."""
    check_kind(kind)
    cleaned = clean(kind, data)
    errors = problems(kind, cleaned, full=True)
    if errors:
        raise Invalid("Some answers need a change before this can be submitted.", errors)
    for f in fields_for(kind):
        if f.widget == "tel":
            cleaned[f.name] = phones.normalize(cleaned[f.name])
    return cleaned


def defaults(account: Account) -> dict:
    """A new form's answers: the texts of Customization → SMS, with the company name filled in."""
    return {
        "opt_in_text": account.sms_text("opt_in"),
        "opt_out_text": account.sms_text("opt_out"),
        "help_text": account.sms_text("help"),
        "address_country": "US",
        "samples": [],
    }


def history(account: Account, kind: str) -> list[CarrierRegistration]:
    """The account's registrations of a kind, newest first."""
    return list(
        db.session.scalars(
            select(CarrierRegistration)
            .where(CarrierRegistration.account_id == account.id, CarrierRegistration.kind == kind)
            .order_by(CarrierRegistration.id.desc())
        )
    )


def latest(account: Account, kind: str) -> CarrierRegistration | None:
    """The account's newest registration of a kind, or None."""
    return db.session.scalar(
        select(CarrierRegistration)
        .where(CarrierRegistration.account_id == account.id, CarrierRegistration.kind == kind)
        .order_by(CarrierRegistration.id.desc())
        .limit(1)
    )


def prefill(account: Account, kind: str) -> dict:
    """The form's answers: the latest of this kind, else of the other kind, else the defaults."""
    other = next(k for k in REGISTRATION_KINDS if k != kind)
    row = latest(account, kind) or latest(account, other)
    # The brand is the same business whichever the kind, so a first toll-free form starts from
    # the 10DLC answers (and the other way round) instead of an empty page.
    return {**defaults(account), **(row.data if row else {})}


def get(account: Account, registration_id: int) -> CarrierRegistration:
    """One registration of the account; NotFound for another account's (no existence leak)."""
    row = db.session.scalar(
        select(CarrierRegistration).where(
            CarrierRegistration.id == registration_id,
            CarrierRegistration.account_id == account.id,
        )
    )
    if row is None:
        raise NotFound("No such registration.")
    return row


def editable(account: Account, kind: str) -> CarrierRegistration:
    """The registration new answers go into: the draft of this kind, or a new one."""
    # A draft is edited in place; a submitted, approved or rejected registration stays as it was
    # (it is what the carriers saw) and the new answers start a new registration.
    row = latest(account, kind)
    if row is None or row.status != RegistrationStatus.DRAFT:
        row = CarrierRegistration(
            account_id=account.id, kind=kind, status=RegistrationStatus.DRAFT, data={}
        )
        db.session.add(row)
    return row


def save_draft(account: Account, user: User, kind: str, data: Mapping) -> CarrierRegistration:
    """Keep unfinished answers; only their bounds are checked (lengths, options, five samples)."""
    check_kind(kind)
    cleaned = clean(kind, data)
    errors = problems(kind, cleaned, full=False)
    if errors:
        raise Invalid("Some answers are too long to be saved.", errors)
    row = editable(account, kind)
    row.data = cleaned
    db.session.commit()
    return row


def telecom_recipients() -> list[str]:
    """Where submissions are e-mailed: TELECOM_EMAIL; with the simulated carrier and none set, a
    fictional address, so the demo can submit (its mail lands in /dev/outbox)."""
    configured = current_app.config.get("TELECOM_EMAIL") or ""
    recipients = [address.strip() for address in configured.split(",") if address.strip()]
    if not recipients and current_app.config["SMS_PROVIDER"] == "simulator":
        return [SIMULATED_TELECOM_EMAIL]
    return recipients


def submit(account: Account, user: User, kind: str, data: Mapping) -> CarrierRegistration:
    """Validate, store as submitted, e-mail it with the numbers CSV to TELECOM_EMAIL; or nothing."""
    check_kind(kind)
    recipients = telecom_recipients()
    if not recipients:
        raise Invalid(
            "Submitting is not set up: no telecom address (TELECOM_EMAIL) is configured. "
            "Nothing was submitted; save a draft and ask whoever runs this installation."
        )
    cleaned = validate(kind, data)
    row = editable(account, kind)
    row.data, row.status, row.status_note = cleaned, RegistrationStatus.SUBMITTED, None
    row.submitted_at, row.submitted_by_id = utcnow(), user.id
    groups = numbers_by_group(account)
    # The charset is named: labels may be any language, and the reader should not have to guess.
    attachment = mail.Attachment(
        csv_filename(account), "text/csv; charset=utf-8", numbers_csv(account)
    )
    subject = f"Carrier registration: {KIND_LABELS[kind]} for {account.name}"
    try:
        # Sent before the commit: a send that fails leaves nothing stored and the admin retries,
        # where the other order would show "submitted" for a form the telecom team never got.
        mail.send(
            recipients, subject, summary(row, account, user, groups), attachments=(attachment,)
        )
        db.session.commit()
    except (smtplib.SMTPException, OSError) as e:
        db.session.rollback()
        current_app.logger.warning("registration e-mail to %s failed: %s", recipients, e)
        raise MailFailed(
            "The e-mail to the telecom team could not be sent, so nothing was submitted. "
            "Your answers are still in the form: try again, or save them as a draft."
        ) from e
    return row


class StatusSchema(Form):
    """Where the carriers are with a registration; a rejection says why."""

    status = Choice(REGISTRATION_STATUSES, required=True)
    note = Text(max_length=NOTE_MAX_LENGTH, min_length=0, single_line=False, load_default="")

    @marshmallow.validates_schema
    def rejection_says_why(self, data: dict, **kwargs) -> None:
        """A rejection needs its reason, so the next submission can fix it."""
        if data["status"] == RegistrationStatus.REJECTED and not data["note"]:
            raise ValidationError(
                "Say why it was rejected, so the next submission can fix it.", "note"
            )


def set_status(
    account: Account, registration_id: int, status: str, note: str | None
) -> CarrierRegistration:
    """Record where the carriers are with a registration; a rejection needs its reason."""
    row = get(account, registration_id)
    answer = load(
        StatusSchema(), {"status": status, "note": text(note)}, "The status was not changed."
    )
    status, note = answer["status"], answer["note"]
    row.status, row.status_note = status, note or None
    db.session.commit()
    return row


def numbers_by_group(account: Account) -> dict[str, list[TrackingNumber]]:
    """The account's numbers that are not archived, by CSV group (local first), each by number."""
    numbers = db.session.scalars(
        select(TrackingNumber)
        .where(TrackingNumber.account_id == account.id, TrackingNumber.archived_at.is_(None))
        .order_by(TrackingNumber.number)
    )
    groups: dict[str, list[TrackingNumber]] = {group: [] for group in GROUPS}
    for number in numbers:
        groups.setdefault(number.type, []).append(number)
    return groups


def numbers_rows(account: Account) -> list[list[str]]:
    """The account's numbers as CSV rows: group (DID/Local, Toll-Free), number, label, SMS state."""
    rows = [["group", "number", "label", "sms_state"]]
    for type_, numbers in numbers_by_group(account).items():
        for number in numbers:
            rows.append([GROUPS.get(type_, type_), number.number, number.label, number.sms_state])
    return rows


def numbers_csv(account: Account) -> bytes:
    """The account's numbers as a CSV file, as the download gives it."""
    return csvfile.text(numbers_rows(account)).encode()


def csv_filename(account: Account) -> str:
    """The CSV's file name, naming the account (the telecom team gets them from many accounts)."""
    slug = re.sub(r"[^a-z0-9]+", "-", account.name.lower()).strip("-") or "account"
    return f"{slug}-numbers.csv"


def answer(f: Field, value) -> str:
    """An answer as the e-mail shows it: the option's words, or a dash when blank."""
    if f.choices is not None:
        return f.choices.get(value, value) or "—"
    return value or "—"


def indent(value: str, prefix: str) -> str:
    """A multi-line answer with its next lines indented under the first."""
    return value.replace("\n", "\n" + prefix)


def summary(
    row: CarrierRegistration,
    account: Account,
    user: User,
    groups: dict[str, list[TrackingNumber]],
) -> str:
    """The submission as a plain-text e-mail the telecom team can read top to bottom."""
    lines = [
        f"Carrier registration: {KIND_LABELS[row.kind]}",
        f"Account: {account.name}",
        f"Submitted by: {user.name} <{user.email}>, "
        f"{row.submitted_at.strftime('%Y-%m-%d %H:%M')} UTC",
    ]
    for title, fields in sections(row.kind):
        lines += ["", title, "-" * len(title)]
        for f in fields:
            if f.widget == "samples":
                lines.append(f"{f.label}:")
                for i, sample in enumerate(row.data["samples"], start=1):
                    lines.append(f"  {i}. {indent(sample, '     ')}")
            else:
                lines.append(f"{f.label}: {indent(answer(f, row.data[f.name]), '  ')}")
    counts = ", ".join(f"{len(groups.get(t, []))} {label}" for t, label in GROUPS.items())
    lines += ["", f"Numbers ({counts}): see the attached CSV."]
    return "\n".join(lines) + "\n"
