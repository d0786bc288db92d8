"""Signed tokens of links: each opens only links of its own purpose, and says why it does not."""

import pytest

from app.services import links, people, tokens
from app.services.errors import Invalid


def test_a_token_carries_its_data_back(ctx):
    token = tokens.sign("set-password", {"user": 7, "v": 0})
    assert tokens.read("set-password", token, 60, expired="Too old.") == {"user": 7, "v": 0}


def test_a_token_of_one_purpose_opens_no_other(ctx):
    invitation = tokens.sign(people.PURPOSE, {"u": 1, "c": 1, "user": 1})
    with pytest.raises(Invalid) as refused:
        tokens.read(links.PURPOSE, invitation, 60, expired="Too old.")
    assert refused.value.message == "This link is not valid."


def test_a_tampered_token_is_not_valid(ctx):
    token = tokens.sign("set-password", {"user": 7})
    with pytest.raises(Invalid) as refused:
        tokens.read("set-password", token[:-3] + "xyz", 60, expired="Too old.")
    assert refused.value.message == "This link is not valid."


def test_an_expired_token_is_refused_in_the_callers_words(ctx):
    token = tokens.sign("set-password", {"user": 7})
    with pytest.raises(Invalid) as refused:
        tokens.read("set-password", token, -1, expired="Ask your admin for a new invitation.")
    assert refused.value.message == "Ask your admin for a new invitation."


def test_a_token_that_carries_no_mapping_reads_as_empty(ctx):
    token = tokens.sign("set-password", ["not", "a", "mapping"])
    assert tokens.read("set-password", token, 60, expired="Too old.") == {}
