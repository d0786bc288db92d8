"""The composer's segment counter (static/js/segments.js) agrees with the server's, case by case."""

import pytest

from app.models.account import DEFAULT_SMS_TEXTS
from app.segments import count
from tests.support.segments import CASES


@pytest.mark.parametrize(("text", "units", "segments", "encoding"), CASES)
def test_segment_counter_in_the_browser(
    open_as, live_server, acme, text, units, segments, encoding
):
    page = open_as()
    page.goto(f"{live_server}/login")
    page.add_script_tag(url=f"{live_server}/static/js/segments.js")
    got = page.evaluate("(t) => window.SmsSegments.count(t)", text)
    assert (got["units"], got["segments"], got["encoding"]) == (units, segments, encoding)


def test_customization_counts_each_text_as_sent_with_the_company_name(open_as, live_server, acme):
    page = open_as("admin@acme.test")
    page.goto(f"{live_server}/admin/customization/sms")
    welcome = DEFAULT_SMS_TEXTS["opt_in"].replace("{company}", "Acme Plumbing")
    units = count(welcome)[0]
    assert units != len(DEFAULT_SMS_TEXTS["opt_in"]), "the name is longer than {company}"
    assert page.text_content("#opt_in-count") == f"{units} characters · 1 SMS segment (GSM-7)"
    page.fill("#opt_in", "{company}{company}! " + "a" * 131)
    assert page.text_content("#opt_in-count") == "159 characters · 1 SMS segment (GSM-7)"
    page.fill("#opt_in", "{company}{company}! " + "a" * 133)
    assert page.text_content("#opt_in-count") == "161 characters · 2 SMS segments (GSM-7)"
