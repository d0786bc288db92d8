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


def textable(raw: str, fictional: bool = False, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a mobile number a visitor gave; ValueError unless it is a valid number of
    a country, of a kind that receives texts (mobile, or fixed-line-or-mobile as North America's
    are): landlines, premium-rate, shared-cost, toll-free, personal, satellite and unallocated
    numbers are refused.

    With `fictional` (only the simulated carrier asks for it), North American numbers of area code
    555 pass too: no real phone has one, and the demo, the docs and the tests write their fictional
    numbers so, e.g. (555) 010-0199. A real carrier could not deliver to them.
    """
    e164 = normalize(raw, region)
    if fictional and e164.startswith(FICTIONAL_PREFIX) and len(e164) == 12:
        return e164
    parsed = phonenumbers.parse(e164, None)
    if (
        not phonenumbers.is_valid_number(parsed)
        or phonenumbers.region_code_for_number(parsed) == NON_GEOGRAPHIC
        or phonenumbers.number_type(parsed) not in TEXTABLE_TYPES
    ):
        raise ValueError("not a number that can receive texts")
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
