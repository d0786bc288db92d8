"""CSV downloads a spreadsheet opens as text: every export of the app is written here.

A cell a spreadsheet would run as a formula (OWASP, "CSV Injection") is prefixed with `'`: one
starting with `=`, `@`, a tab or a carriage return, or with `+` or `-` unless the whole cell is a
number. Phone numbers (`+15005550199`) and negative numbers stay as they are.
"""

import csv
import io
import re
from collections.abc import Iterable

from flask import Response
from werkzeug.http import dump_options_header

FORMULA_STARTS = ("=", "@", "\t", "\r", "+", "-")
# A signed number a spreadsheet reads as a value: `-2+3+cmd|...` is a formula, `-12.5` is not.
NUMBER = re.compile(r"[+-]\d+(\.\d+)?")


def cell(value) -> str:
    """One value as a CSV cell a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def text(rows: Iterable[Iterable]) -> str:
    """Rows as CSV text, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def csv_response(rows: Iterable[Iterable], filename: str) -> Response:
    """A CSV download: an attachment, never kept by a browser or proxy cache (account data)."""
    return Response(
        text(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": dump_options_header("attachment", {"filename": filename}),
            "Cache-Control": "no-store",
        },
    )
