"""The SMS segment counter: GSM-7 160/153 (extension characters count 2), UCS-2 70/67."""

import pytest

from app.segments import count
from tests.support.segments import CASES


@pytest.mark.parametrize(("text", "units", "segments", "encoding"), CASES)
def test_segment_count(text, units, segments, encoding):
    assert count(text) == (units, segments, encoding)
