"""The account's opt-in, opt-out, opt-in-again and help texts, and the opt-out line of a text the
business starts (Customization → SMS)."""

import re

from app.extensions import db
from app.inputs import Form, Text, load
from app.models import Account
from app.models.account import COMPANY, DEFAULT_SMS_TEXTS
from app.services.errors import Invalid

KINDS = {
    "opt_in": "Opt-in (first text from a new contact)",
    "opt_out": "Opt-out (answer to STOP)",
    "opt_in_again": "Opt-in again (answer to START after STOP)",
    "help": "Help (answer to HELP)",
    "opt_out_line": "Opt-out line (after the first text you start to someone new)",
}
MAX_LENGTH = 320  # what carriers accept for these texts in a campaign registration
# A way to reach the business: a phone number, an e-mail address, a website, or words that offer
# one ("call us", "contact", "reply … to reach us"). "Reply STOP" alone is no way to reach anyone.
REACH = re.compile(
    r"(\+?\d[\d\s().-]{6,}\d)|([^@\s]+@[^@\s]+\.\w+)|(https?://|www\.|\w\.(com|net|org)\b)"
    r"|\b(call|contact|reach|visit|e-?mail)\b",
    re.IGNORECASE,
)


def current(account: Account) -> dict[str, str]:
    """Each text as the admin wrote it ({company} not yet expanded), defaults filled in."""
    return {kind: getattr(account, f"{kind}_text") or DEFAULT_SMS_TEXTS[kind] for kind in KINDS}


def warnings(account: Account, texts: dict[str, str]) -> dict[str, list[str]]:
    """What a careful reviewer would flag (not errors: the admin may know better)."""
    found: dict[str, list[str]] = {}
    opt_in = texts["opt_in"]
    if COMPANY not in opt_in and account.name.lower() not in opt_in.lower():
        found.setdefault("opt_in", []).append("It does not name your company ({company}).")
    if "stop" not in opt_in.lower():
        found.setdefault("opt_in", []).append(
            "It does not say how to stop (e.g. “Reply STOP to cancel”)."
        )
    if "stop" not in texts["opt_out_line"].lower():
        found.setdefault("opt_out_line", []).append(
            "It does not say how to stop (e.g. “Reply STOP to opt out.”)."
        )
    if not REACH.search(texts["help"]):
        found.setdefault("help", []).append(
            "It does not say how to reach you (a phone number, e-mail or website)."
        )
    return found


TextsSchema = Form.from_dict(
    {
        kind: Text(
            max_length=MAX_LENGTH, collapse=True, blank="Write a text, or restore the default."
        )
        for kind in KINDS
    },
    name="TextsSchema",
)


def update(account: Account, texts: dict[str, str]) -> dict[str, list[str]]:
    """Save the texts; Invalid when one is empty, too long or has characters no text can carry.
    Returns the warnings."""
    cleaned = load(TextsSchema(), texts, "Some texts need a change.")
    for kind, text in cleaned.items():
        setattr(account, f"{kind}_text", None if text == DEFAULT_SMS_TEXTS[kind] else text)
    db.session.commit()
    return warnings(account, cleaned)


def with_default(texts: dict[str, str], kind: str) -> dict[str, str]:
    """The texts with one kind's default in place of what it says (saved by `update`)."""
    if kind not in KINDS:
        raise Invalid("Unknown text.", {"restore": [f"One of {', '.join(KINDS)}."]})
    return {**texts, kind: DEFAULT_SMS_TEXTS[kind]}
