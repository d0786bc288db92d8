"""The account's opt-in, opt-out, opt-in-again and help texts, the opt-out line of a text the
business starts, and the after-hours reply with its switch (Customization → SMS)."""

import re
from collections.abc import Callable

from app.extensions import db
from app.inputs import Checkbox, Form, Text, load
from app.models import Account
from app.models.account import COMPANY, DEFAULT_SMS_TEXTS
from app.services.errors import Invalid

KINDS = {
    "opt_in": "Opt-in (first text from a new contact)",
    "opt_out": "Opt-out (answer to STOP)",
    "opt_in_again": "Opt-in again (answer to START after STOP)",
    "help": "Help (answer to HELP)",
    "opt_out_line": "Opt-out line (after the first text you start to someone new)",
    "after_hours": "After-hours reply (to a contact's text outside business hours)",
}
SWITCH = "after_hours_reply"  # the after-hours reply's box: off until an admin ticks it
MAX_LENGTH = 320  # what carriers accept for these texts in a campaign registration
# A way to reach the business: a phone number, an e-mail address, a website, or words that offer
# one ("call us", "contact", "reply … to reach us"). "Reply STOP" alone is no way to reach anyone.
REACH = re.compile(
    r"(\+?\d[\d\s().-]{6,}\d)|([^@\s]+@[^@\s]+\.\w+)|(https?://|www\.|\w\.(com|net|org)\b)"
    r"|\b(call|contact|reach|visit|e-?mail)\b",
    re.IGNORECASE,
)
STOP = re.compile(r"\bstop\b", re.IGNORECASE)
HELP = re.compile(r"\bhelp\b", re.IGNORECASE)
# How often the program texts: "Msg frequency varies", "recurring", "4 msgs/month".
FREQUENCY = re.compile(
    r"\b(msg|message)s?\s+freq(uency)?\b|\brecurring\b"
    r"|\b\d+\s*(msgs?|messages|texts)\s*(/|per|a|an|each)\s*(day|wk|week|mo|month|yr|year)\b",
    re.IGNORECASE,
)
# That no more texts will come: what an opt-out confirmation is for.
NO_MORE = re.compile(
    r"\b(unsubscribed?|no more|no longer|will not receive|won't receive|opted[\s-]?out"
    r"|stopped|removed)\b",
    re.IGNORECASE,
)


def _names_company(text: str, account: Account) -> bool:
    return COMPANY in text or account.name.lower() in text.lower()


def _says(pattern: re.Pattern) -> Callable[[str, Account], bool]:
    return lambda text, _account: bool(pattern.search(text))


Rule = tuple[Callable[[str, Account], bool], str]
NAMES_COMPANY: Rule = (_names_company, "It does not name your company ({company}).")
SAYS_STOP: Rule = (_says(STOP), "It does not say how to stop (e.g. “Reply STOP to cancel”).")
# What each text must say, after the CTIA Messaging Principles and Best Practices: who is
# texting, how to stop, how to get help and how often texts come, that a STOP was heard, and
# how to reach the business.
RULES: dict[str, list[Rule]] = {
    "opt_in": [
        NAMES_COMPANY,
        SAYS_STOP,
        (_says(HELP), "It does not say how to get help (e.g. “Reply HELP for help”)."),
        (
            _says(FREQUENCY),
            "It does not say how often you text (e.g. “Msg frequency varies” or “4 msgs/month”).",
        ),
    ],
    "opt_out": [
        (
            _says(NO_MORE),
            "It does not confirm that no more texts will come (e.g. “You are unsubscribed and "
            "will receive no more messages”).",
        ),
        NAMES_COMPANY,
    ],
    "help": [
        NAMES_COMPANY,
        (_says(REACH), "It does not say how to reach you (a phone number, e-mail or website)."),
        SAYS_STOP,
    ],
    "opt_out_line": [
        (_says(STOP), "It does not say how to stop (e.g. “Reply STOP to opt out.”)."),
    ],
    "after_hours": [NAMES_COMPANY],
}


def current(account: Account) -> dict[str, str]:
    """Each text as the admin wrote it ({company} not yet expanded), defaults filled in."""
    return {kind: getattr(account, f"{kind}_text") or DEFAULT_SMS_TEXTS[kind] for kind in KINDS}


def problems(account: Account, kind: str, text: str) -> list[str]:
    """What the rules of its kind find missing from a text."""
    text = text.replace("\u2019", "'")  # a phone's curly apostrophe: "won’t receive"
    return [message for test, message in RULES.get(kind, []) if not test(text, account)]


def _is_default(kind: str, text: str) -> bool:
    return " ".join(text.split()) == DEFAULT_SMS_TEXTS[kind]


def warnings(account: Account, texts: dict[str, str]) -> dict[str, list[str]]:
    """What a careful reviewer would flag in the texts the admin wrote (not errors: the admin
    may know better). A text left as its default is not judged: those are the product's words
    (SPEC §2.4), not the admin's."""
    found = {
        kind: problems(account, kind, text)
        for kind, text in texts.items()
        if kind in RULES and not _is_default(kind, text)
    }
    return {kind: messages for kind, messages in found.items() if messages}


TextsSchema = Form.from_dict(
    {
        **{
            kind: Text(
                max_length=MAX_LENGTH, collapse=True, blank="Write a text, or restore the default."
            )
            for kind in KINDS
        },
        SWITCH: Checkbox(),
    },
    name="TextsSchema",
)


def update(account: Account, data) -> dict[str, list[str]]:
    """Save the texts and the after-hours reply's switch (`data`: each kind's text, and SWITCH
    ticked or left out); Invalid when a text is empty, too long or has characters no text can
    carry. Returns the warnings."""
    cleaned = load(TextsSchema(), data, "Some texts need a change.")
    account.after_hours_reply = cleaned.pop(SWITCH)
    for kind, text in cleaned.items():
        setattr(account, f"{kind}_text", None if text == DEFAULT_SMS_TEXTS[kind] else text)
    db.session.commit()
    return warnings(account, cleaned)


def with_default(texts: dict[str, str], kind: str) -> dict[str, str]:
    """The texts with one kind's default in place of what it says (saved by `update`)."""
    if kind not in KINDS:
        raise Invalid("Unknown text.", {"restore": [f"One of {', '.join(KINDS)}."]})
    return {**texts, kind: DEFAULT_SMS_TEXTS[kind]}
