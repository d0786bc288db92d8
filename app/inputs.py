"""Input, checked once for the API, the pages and the CLI (SPEC §5: bad input is a 4xx naming the
field, never a 500): marshmallow fields bounded by the columns they fill, one id parser, dates in
a sane range, and JSON bodies read with a nesting limit.

Services call `load(schema, data)` on what they are given, so every caller shares one check.
"""

import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import available_timezones

from flask import request
from flask.json.provider import DefaultJSONProvider
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate

from app.models.base import MAX_ID
from app.services.errors import Invalid

MAX_DEPTH = 32  # nesting of a JSON body: no form of ours needs more than three
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# Single-line values end up in e-mail headers, CSV cells and page titles: no line breaks, NUL or
# other control characters. Lone surrogates cannot be stored (PostgreSQL) or sent (SMTP) at all.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TICKED = "on"  # what a browser sends for a ticked checkbox with no value of its own


def length_of(column) -> int:
    """The length of a String column (`length_of(User.email)` → 254), so no schema repeats it."""
    length = getattr(column.type, "length", None)
    if not length:
        raise TypeError(f"{column} has no length")
    return length


class Strict(Schema):
    """A JSON body: a field the API does not know is refused, not ignored."""

    class Meta:
        unknown = RAISE


class Form(Schema):
    """A posted page form, a query string or a service's arguments: other fields (csrf_token…)
    are ignored, and a field left blank counts as not given."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def drop_blanks(self, data, **kwargs):
        """An empty box of a form is a field not given (then its default, or "Required.")."""
        if not isinstance(data, Mapping):
            return data
        return {name: value for name, value in data.items() if value != ""}


class Id(fields.Integer):
    """A row id, 1..MAX_ID like the `<id:…>` URL converter: a JSON integer, or (with
    strict=False, for query strings and forms) ASCII digits."""

    default_error_messages = {
        "invalid": "Not a valid id (a whole number).",
        "required": "Required.",
        "null": "Required.",
    }

    def __init__(self, *, strict: bool = True, **kwargs):
        error = f"Not a valid id (1 to {MAX_ID})."
        kwargs["validate"] = [validate.Range(min=1, max=MAX_ID, error=error)]
        super().__init__(strict=strict, **kwargs)

    def _validated(self, value):
        if value is True or value is False:
            raise self.make_error("invalid", input=value)
        if isinstance(value, int):
            return value
        # ASCII digits only: int() would also take "١٢", and str.isdigit() takes "²".
        text = value.strip() if not self.strict and isinstance(value, str) else ""
        if text.isascii() and text.isdigit():
            # However many digits: beyond MAX_ID the range check names the field.
            return int(text) if len(text) <= 10 else MAX_ID + 1
        raise self.make_error("invalid", input=value)


class Length(validate.Length):
    """marshmallow's Length, whose message can also say how many characters were `given`."""

    def _format_error(self, value, message: str) -> str:
        return (self.error or message).format(
            input=value, given=len(value), min=self.min, max=self.max, equal=self.equal
        )


class Text(fields.String):
    """Text trimmed of surrounding space, at most `max_length` characters (a column's length:
    `length_of(…)`), at least `min_length` (1: required; `blank` says so). `single_line` refuses
    line breaks and control characters; `collapse` first turns each run of white space into one
    space (a form's box of one line)."""

    default_error_messages = {
        "invalid": "Not text.",
        "control": "No line breaks or control characters.",
        "unstorable": "Contains characters that cannot be stored (NUL or lone surrogates).",
    }

    def __init__(
        self,
        *,
        max_length: int,
        min_length: int = 1,
        single_line: bool = True,
        collapse: bool = False,
        blank: str = "Required.",
        **kwargs,
    ):
        self.single_line, self.collapse = single_line, collapse
        if min_length and "load_default" not in kwargs:
            kwargs.setdefault("required", True)  # a blank form box counts as not given
        short = blank if min_length == 1 else "At least {min:,} characters ({given:,} given)."
        kwargs["validate"] = [
            Length(min=min_length, error=short),
            Length(max=max_length, error="At most {max:,} characters ({given:,} given)."),
            *_as_list(kwargs.get("validate")),
        ]
        kwargs["error_messages"] = {
            "required": blank,
            "null": blank,
            **kwargs.get("error_messages", {}),
        }
        super().__init__(**kwargs)

    def _validate(self, value) -> None:
        # The first rule broken is the one to fix: a blank e-mail is "Required.", not that and
        # "Not an e-mail address." too.
        for validator in self.validators:
            validate.And(validator)(value)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if self.collapse:
            value = " ".join(value.split())
        value = value.strip()
        if self.single_line and CONTROL.search(value):
            raise self.make_error("control")
        if UNSTORABLE.search(value):
            raise self.make_error("unstorable")
        return value


def one_line(value: str) -> None:
    """A validator: ValidationError when the value has line breaks or control characters."""
    if CONTROL.search(value):
        raise ValidationError("No line breaks or control characters.")


class Choice(fields.String):
    """One of a few words (`choices`); the message lists them."""

    def __init__(self, choices, **kwargs):
        words = ", ".join(choices)
        kwargs["validate"] = validate.OneOf(list(choices), error=f"One of {words}.")
        messages = {"required": f"Choose one of {words}.", "null": f"Choose one of {words}."}
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, nothing else (1, "yes" and "true" are refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Checkbox(fields.Boolean):
    """A page form's checkbox: ticked, the browser sends "on"; left unticked, nothing (False)."""

    default_error_messages = {"invalid": "Tick the box or leave it unticked."}

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", False)
        super().__init__(truthy={TICKED}, falsy=set(), **kwargs)


def _as_list(validators) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]


class Email(Text):
    """An e-mail address, lower-cased."""

    def __init__(self, *, max_length: int, **kwargs):
        kwargs["validate"] = [validate.Regexp(EMAIL, error="Not an e-mail address.")]
        super().__init__(max_length=max_length, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).lower()


class Day(fields.Date):
    """A YYYY-MM-DD date between FIRST_DAY and LAST_DAY: dates beyond make no report and no
    range (date.max + one day overflows)."""

    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD.",
        "required": "Enter a date as YYYY-MM-DD.",
        "null": "Enter a date as YYYY-MM-DD.",
    }

    def __init__(self, **kwargs):
        error = f"A date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
        kwargs["validate"] = [validate.Range(min=FIRST_DAY, max=LAST_DAY, error=error)]
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value.strip(), attr, data, **kwargs)


class Moment(fields.AwareDateTime):
    """An ISO 8601 date and time with its offset (`2027-01-05T09:00:00-05:00`, or `Z`): a
    moment, not a wall-clock time some zone would have to be guessed for."""

    default_error_messages = {
        "invalid": "Give a date and time as ISO 8601, e.g. 2027-01-05T09:00:00-05:00.",
        "invalid_awareness": "Give the time's offset too, e.g. 2027-01-05T09:00:00-05:00.",
    }

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)


@functools.cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names this machine knows, sorted: a page's list to pick from (read
    from the zone files once, not on every request)."""
    return tuple(sorted(available_timezones()))


class TimeZone(fields.String):
    """An IANA time zone name such as America/New_York, one of `time_zones()`."""

    default_error_messages = {
        "invalid": "Pick a time zone from the list.",
        "required": "Pick a time zone from the list.",
        "null": "Pick a time zone from the list.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = value.strip() if isinstance(value, str) else None
        if name not in time_zones():
            raise self.make_error("invalid")
        return name


def field_errors(messages) -> dict[str, list[str]]:
    """marshmallow's error messages as `{field: [message, …]}`, one level deep (the API's
    `fields`): the messages of a list's items are gathered under the list's name."""
    if not isinstance(messages, Mapping):
        return {"_schema": _strings(messages)}
    return {str(name): _strings(value) for name, value in messages.items()}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings(item)]
    return [text for item in value for text in _strings(item)]


def load(schema: Schema, data, message: str = "Some fields need a change.") -> dict:
    """`data` checked by `schema`: the loaded values, or Invalid naming every field at fault (in
    its `fields`, and in its message for pages that show only that)."""
    values, errors = check(schema, data)
    if errors:
        raise Invalid(f"{message} {described(errors)}", errors)
    return values


def described(errors: dict[str, list[str]]) -> str:
    """Field errors in a sentence: "start: Enter a date as YYYY-MM-DD."."""
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def check(schema: Schema, data) -> tuple[dict, dict[str, list[str]]]:
    """The values that passed `schema` and the errors of those that did not, for a service that
    adds rules of its own (which need the database) to the same answer."""
    try:
        return schema.load(data), {}
    except ValidationError as e:
        valid = e.valid_data if isinstance(e.valid_data, dict) else {}
        return valid, field_errors(e.messages)


def parse_id(value, field: str) -> int | None:
    """An id from a query string or a form (None when absent or blank); Invalid naming the field
    when it is not one (letters, "²", 0, or beyond any row's id)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    schema = Form.from_dict({field: Id(strict=False, required=True)})()
    values, errors = check(schema, {field: value})
    if errors:
        raise Invalid(described(errors), errors)
    return values[field]


class TooDeep(ValueError):
    """A JSON document nested deeper than MAX_DEPTH."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def nesting(value) -> int:
    """How deep arrays and objects nest in a parsed JSON value (a scalar is 0), counted without
    recursion and only as far as one level past MAX_DEPTH."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(text: str | bytes, **kwargs):
    """A JSON document; TooDeep past MAX_DEPTH levels, ValueError for anything that is not JSON
    (NaN, Infinity and numbers beyond a float included)."""
    kwargs.setdefault("parse_constant", _refuse_constant)
    kwargs.setdefault("parse_float", _finite)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as e:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels") from e
    if nesting(value) > MAX_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with the nesting limit: every `request.get_json` is bounded."""

    def loads(self, s: str | bytes, **kwargs):
        return parse_json(s, **kwargs)


def uploaded(name: str = "files") -> list:
    """The files a form attached under `name`; the empty part a browser sends when none was
    picked is no file."""
    return [f for f in request.files.getlist(name) if f.filename or f.content_length]


def json_object() -> dict:
    """The request's JSON body as an object ({} when there is no body); Invalid naming `_schema`
    when it is not JSON, not an object, or nested deeper than MAX_DEPTH."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if not request.is_json:
        raise Invalid("Send the body as JSON.", {"_schema": ["Send application/json."]})
    try:
        data = parse_json(raw)
    except TooDeep as e:
        message = f"The JSON nests deeper than {MAX_DEPTH} levels."
        raise Invalid(message, {"_schema": [message]}) from e
    except ValueError as e:
        raise Invalid("The body is not valid JSON.", {"_schema": ["Send a JSON object."]}) from e
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", {"_schema": ["Send a JSON object."]})
    return data
