"""The SMS segment counter: GSM-7 160/153 (extension characters count 2), UCS-2 70/67."""

import pytest

from app.segments import count

# text, characters as billed, segments, encoding
CASES = [
    ("", 0, 0, "GSM-7"),
    ("Hello", 5, 1, "GSM-7"),
    ("a" * 160, 160, 1, "GSM-7"),
    ("a" * 161, 161, 2, "GSM-7"),
    ("a" * 306, 306, 2, "GSM-7"),
    ("a" * 307, 307, 3, "GSM-7"),
    ("€", 2, 1, "GSM-7"),
    ("[x]", 5, 1, "GSM-7"),
    ("{" * 80, 160, 1, "GSM-7"),
    ("{" * 81, 162, 2, "GSM-7"),
    ("Café à 5 £", 10, 1, "GSM-7"),
    ("On my way 👍", 12, 1, "UCS-2"),
    ("a" * 69 + "👍", 71, 2, "UCS-2"),
    ("é" * 70 + "ç", 71, 2, "UCS-2"),
    ("ç" * 70, 70, 1, "UCS-2"),
    ("ç" * 134, 134, 2, "UCS-2"),
    ("ç" * 135, 135, 3, "UCS-2"),
]


@pytest.mark.parametrize(("text", "units", "segments", "encoding"), CASES)
def test_segment_count(text, units, segments, encoding):
    assert count(text) == (units, segments, encoding)
