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
