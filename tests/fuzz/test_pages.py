"""Every page of the portal and the admin area, and the widget's endpoint, fuzzed (hypothesis):
whatever the query string or the JSON, the answer is never a 5xx (SPEC §5).

Bounded and reproducible (derandomized, a fixed number of examples). Acme's data (users, a
number, a conversation, a widget) is made once per test and lives across its examples, as a
real account's would.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Conversation, TrackingNumber, Widget
from app.models.base import MAX_ID
from tests.support import NUM
from tests.support.widget import SITE, form

ADMIN = "admin@acme.test"
HUGE = "99999999999999999999"
FUZZ = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# What the pages read from their query strings, and values that once made trouble.
ARGS = ["tab", "cursor", "selected", "since", "number", "start", "end", "period", "table", "kind"]
NASTY = [
    "",
    "0",
    "-1",
    "²",
    "١٢",
    "1.5",
    "1e400",
    HUGE,
    "2147483648",
    "9999-12-31",
    "0001-01-01",
    "2025-02-30",
    "custom",
    "7",
    "days",
    "toll_free",
    "closed",
    "\x00",
    "\r\n",
    "%",
    "x" * 5000,
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers().map(str),
    st.dates().map(str),
)
queries = st.one_of(
    st.dictionaries(st.sampled_from(ARGS), st.sampled_from(NASTY), min_size=1, max_size=2),
    st.dictionaries(st.one_of(st.sampled_from(ARGS), st.text(max_size=8)), values, max_size=6),
    # Raw query strings, with broken %-escapes and bytes that are not UTF-8.
    st.text(alphabet=st.sampled_from("az=&%;+#?019FZ\x00é/"), max_size=60),
)


def pages(app) -> list:
    """Every GET route of the portal, the admin area and the reports."""
    rules = (
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in ("portal", "admin", "reports")
    )
    return sorted(rules, key=lambda rule: rule.rule)


def path_of(rule, ids: dict[str, int], aim: int) -> str:
    """The rule's path with its ids filled: real ones (aim 0), the largest id a row may have (1),
    or a number beyond any (2)."""
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<id:{name}>", str([ids.get(name, 1), MAX_ID, HUGE][aim]))
    return path


@pytest.fixture
def real_ids(app, conversation_id, key) -> dict[str, int]:
    """Ids of rows that exist, for the pages' paths."""
    with app.app_context():
        return {
            "conversation_id": conversation_id,
            "contact_id": db.session.scalar(
                select(Conversation.contact_id).where(Conversation.id == conversation_id)
            ),
            "number_id": db.session.scalar(select(TrackingNumber.id)),
            "widget_id": db.session.scalar(select(Widget.id)),
        }


@pytest.fixture
def key(app, acme):
    """A widget of Acme's Main line, allowed on SITE."""
    args = ["create-widget", "--account", "Acme Plumbing", "--number", NUM, "--origin", SITE]
    r = app.test_cli_runner().invoke(args=args)
    assert r.exit_code == 0, r.output
    return r.output.strip().splitlines()[-1]


@given(query=queries, aim=st.sampled_from([0, 1, 2]))
@FUZZ
def test_no_page_answers_a_query_string_with_a_server_error(app, browser, real_ids, query, aim):
    admin = browser(ADMIN)
    for rule in pages(app):
        path = path_of(rule, real_ids, aim)
        if isinstance(query, dict):
            r = admin.client.get(path, query_string=query)
        else:
            r = admin.client.get(f"{path}?{query}")
        assert r.status_code < 500, (path, query, r.status_code)


@pytest.mark.parametrize("arg", ARGS)
def test_no_page_answers_a_nasty_value_of_an_argument_with_a_server_error(
    app, browser, real_ids, arg
):
    """The sweep behind the random search: each argument a page reads, alone, with each value
    that once made trouble, on every page."""
    admin = browser(ADMIN)
    for rule in pages(app):
        path = path_of(rule, real_ids, 0)
        for value in NASTY:
            r = admin.client.get(path, query_string={arg: value})
            assert r.status_code < 500, (path, arg, value, r.status_code)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**30),
        st.floats(),
        st.text(max_size=30),
        st.sampled_from([*NASTY, "\ud800"]),  # a lone surrogate: JSON can carry one
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
FIELDS = ["name", "phone", "message", "consent", "page_url", "website"]
forms = st.one_of(
    # The form with some fields swapped for anything at all.
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(lambda c: form(**c)),
    json_values.map(json.dumps),
    st.integers(min_value=1, max_value=3000).map(lambda d: "[" * d + "]" * d),
    st.integers(min_value=1, max_value=3000).map(lambda d: '{"a":' * d + "1" + "}" * d),
)


@given(body=forms)
@FUZZ
def test_the_widget_endpoint_answers_any_json_without_a_server_error(app, client, key, body):
    with app.app_context():
        limiter.reset()  # so every example reaches the checks, not the rate limit
    data = body if isinstance(body, str) else json.dumps(body)
    r = client.post(
        f"/api/widget/v1/{key}/submissions",
        data=data,
        content_type="application/json",
        headers={"Origin": SITE},
    )
    assert r.status_code < 500, (data[:200], r.status_code, r.text[:500])
    assert r.status_code in (201, 409, 422), (data[:200], r.status_code)
