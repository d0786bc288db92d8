"""Phone numbers: every number the app stores is E.164, parsed and checked with `phonenumbers`."""

import functools

import phonenumbers

DEFAULT_REGION = "US"


@functools.lru_cache(maxsize=4096)  # each inbound text's sender: customers text again and again
def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number; ValueError when it is not a possible number."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException as e:
        raise ValueError("not a phone number") from e
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# What a stranger's form may ask us to text: each text costs us, so numbers that charge for what
# they receive or are made up to do so (SMS pumping) are refused.
TEXTABLE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
NON_GEOGRAPHIC = "001"  # satellite, international networks, international freephone…
FICTIONAL_PREFIX = "+1555"  # North American area code 555: no phone has it
# How a refusal names the kind of number it met, so the person typing it knows what to fix.
KINDS = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding) number",
    phonenumbers.PhoneNumberType.VOIP: "an internet (VoIP) number",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
    phonenumbers.PhoneNumberType.UAN: "a company's switchboard number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
}


def textable(raw: str, fictional: bool = False, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a mobile number a visitor gave; ValueError unless it is a valid number of
    a country, of a kind that receives texts (mobile, or fixed-line-or-mobile as North America's
    are): landlines, premium-rate, shared-cost, toll-free, personal, satellite and unallocated
    numbers are refused, the error's message saying which it is ("That is a landline.").

    With `fictional` (only the simulated carrier asks for it), North American numbers of area code
    555 pass too: no real phone has one, and the demo, the docs and the tests write their fictional
    numbers so, e.g. (555) 010-0199. A real carrier could not deliver to them.
    """
    try:
        e164 = normalize(raw, region)
    except ValueError as e:
        raise ValueError("That is not a phone number.") from e
    if fictional and e164.startswith(FICTIONAL_PREFIX) and len(e164) == 12:
        return e164
    parsed = phonenumbers.parse(e164, None)
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("That number is not in use anywhere.")
    if phonenumbers.region_code_for_number(parsed) == NON_GEOGRAPHIC:
        raise ValueError("That is a satellite or international network number.")
    kind = phonenumbers.number_type(parsed)
    if kind not in TEXTABLE_TYPES:
        raise ValueError(f"That is {KINDS.get(kind, 'a number that cannot receive texts')}.")
    return e164


@functools.lru_cache(maxsize=4096)  # every list row shows one: parsing each time is slow
def pretty(e164: str) -> str:
    """A number as people write it: national format at home, international elsewhere."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == phonenumbers.country_code_for_region(DEFAULT_REGION):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
