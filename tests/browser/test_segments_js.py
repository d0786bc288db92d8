"""The composer's segment counter (static/js/segments.js) agrees with the server's, case by case."""

import pytest

from tests.test_segments import CASES


@pytest.mark.parametrize(("text", "units", "segments", "encoding"), CASES)
def test_segment_counter_in_the_browser(
    open_as, live_server, acme, text, units, segments, encoding
):
    page = open_as()
    page.goto(f"{live_server}/login")
    page.add_script_tag(url=f"{live_server}/static/js/segments.js")
    got = page.evaluate("(t) => window.SmsSegments.count(t)", text)
    assert (got["units"], got["segments"], got["encoding"]) == (units, segments, encoding)
