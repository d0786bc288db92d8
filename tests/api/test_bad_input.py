"""Bad input to the JSON API: a clear 4xx in the error format, never a 500, nothing half-written
(SPEC §3, §5)."""

import base64

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Consent, User
from tests.support import csrf_token, seen_by_admin

ADMIN, BOB, CAT, DAN = "admin@acme.test", "bob@acme.test", "cat@acme.test", "dan@acme.test"
PASSWORD = "correct-horse-battery"
BIG = 2**31  # beyond a 32-bit INTEGER column
HUGE = 10**20  # beyond any database integer


@pytest.fixture
def ids(acme, api) -> dict[str, int]:
    return {u["email"]: u["id"] for u in api(ADMIN).get("/users").json["items"]}


def assert_error(r, status: int, code: str | None = None, field: str | None = None) -> None:
    """The API's error format: {"error": {"code", "message"}}, with "fields" naming the field."""
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.is_json, r.get_data(as_text=True)
    error = r.json["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    if field:
        assert field in error["fields"], error


def opt_out(app) -> None:
    """The customer has opted out of Main line (as a STOP text would leave it)."""
    with app.app_context():
        assert db.session.execute(update(Consent).values(state="opted_out")).rowcount == 1
        db.session.commit()
        db.session.remove()


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# -- replies ------------------------------------------------------------------------------------

BAD_REPLIES = [
    pytest.param({}, "body", id="no-fields"),
    pytest.param({"claim": True}, "body", id="no-body"),
    pytest.param({"body": 5, "claim": True}, "body", id="body-number"),
    pytest.param({"body": None, "claim": True}, "body", id="body-null"),
    pytest.param({"body": ["hi"], "claim": True}, "body", id="body-list"),
    pytest.param({"body": {"text": "hi"}, "claim": True}, "body", id="body-object"),
    pytest.param({"body": "", "claim": True}, "body", id="body-empty"),
    pytest.param({"body": "  \n\t ", "claim": True}, "body", id="body-whitespace"),
    pytest.param({"body": "x" * 1601, "claim": True}, "body", id="body-1601-chars"),
    pytest.param({"body": "On my way", "claim": "yes"}, "claim", id="claim-yes"),
    pytest.param({"body": "On my way", "claim": "true"}, "claim", id="claim-string-true"),
    pytest.param({"body": "On my way", "claim": 1}, "claim", id="claim-number"),
    pytest.param({"body": "On my way", "claim": None}, "claim", id="claim-null"),
    pytest.param({"body": "On my way", "claim": True, "to": "+15005550100"}, "to", id="extra-to"),
    pytest.param({"body": "On my way", "claim": True, "sent_by": 1}, "sent_by", id="extra-sent_by"),
]


@pytest.mark.parametrize("payload, field", BAD_REPLIES)
def test_bad_reply_is_refused_with_the_field_and_claims_nothing(
    api, conversation_id, payload, field
):
    before = seen_by_admin(api, conversation_id)
    r = api(BOB).post(f"/conversations/{conversation_id}/messages", json=payload)
    assert_error(r, 422, "invalid", field)
    after = seen_by_admin(api, conversation_id)
    assert after == before
    assert after["claimed_by"] is None


def test_reply_of_1600_characters_is_sent_and_1601_is_refused(api, conversation_id):
    bob = api(BOB)
    assert bob.post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "y" * 1601})
    assert_error(r, 422, "invalid", "body")
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "x" * 1600})
    assert r.status_code == 201, r.get_json()
    assert seen_by_admin(api, conversation_id)["messages"][-1] == ("outbound", "x" * 1600)


@pytest.mark.parametrize(
    "body", ["nul \x00 inside", "lone surrogate \ud800"], ids=["nul-char", "lone-surrogate"]
)
def test_unstorable_characters_in_a_reply_are_not_a_server_error(api, conversation_id, body):
    r = api(BOB).post(
        f"/conversations/{conversation_id}/messages", json={"body": body, "claim": True}
    )
    assert r.status_code in (201, 422), r.get_data(as_text=True)
    if r.status_code == 422:
        assert_error(r, 422, "invalid", "body")
        assert seen_by_admin(api, conversation_id)["claimed_by"] is None


# -- bodies that are not a JSON object ----------------------------------------------------------

NOT_AN_OBJECT = [
    pytest.param({"data": "{not json", "content_type": "application/json"}, id="malformed-json"),
    pytest.param({"json": ["body", "On my way"]}, id="json-array"),
    pytest.param({"json": "On my way"}, id="json-string"),
    pytest.param({"data": "null", "content_type": "application/json"}, id="json-null"),
    pytest.param({"data": {"body": "On my way", "user_id": "1"}}, id="form-encoded"),
]


@pytest.mark.parametrize("body", NOT_AN_OBJECT)
@pytest.mark.parametrize("action", ["messages", "reassign", "participants"])
def test_body_that_is_not_a_json_object_is_refused(api, conversation_id, action, body):
    before = seen_by_admin(api, conversation_id)
    r = api(ADMIN).post(f"/conversations/{conversation_id}/{action}", **body)
    assert r.status_code in (400, 415, 422), r.get_data(as_text=True)
    assert_error(r, r.status_code)
    assert seen_by_admin(api, conversation_id) == before


DEEP = [
    pytest.param("[" * 100_000 + "]" * 100_000, id="array-nested-100000-deep"),
    pytest.param('{"body": ' * 5000 + '"On my way"' + "}" * 5000, id="object-nested-5000-deep"),
    pytest.param('{"body": ' * 33 + '"On my way"' + "}" * 33, id="object-nested-33-deep"),
    pytest.param('{"user_id": ' + "[" * 40 + "1" + "]" * 40 + "}", id="user-id-nested-40-deep"),
]


@pytest.mark.parametrize("body", DEEP)
@pytest.mark.parametrize("action", ["messages", "reassign", "participants"])
def test_deeply_nested_json_is_422_naming_schema(api, conversation_id, action, body):
    before = seen_by_admin(api, conversation_id)
    r = api(ADMIN).post(
        f"/conversations/{conversation_id}/{action}", data=body, content_type="application/json"
    )
    assert_error(r, 422, "invalid", "_schema")
    assert "nests deeper than 32 levels" in r.json["error"]["message"]
    assert seen_by_admin(api, conversation_id) == before


@pytest.mark.parametrize(
    "body",
    ['{"body": NaN}', '{"body": "On my way", "claim": Infinity}', '{"user_id": 1e999}'],
    ids=["nan", "infinity", "beyond-a-float"],
)
@pytest.mark.parametrize("action", ["messages", "reassign", "participants"])
def test_numbers_json_does_not_have_are_refused(api, conversation_id, action, body):
    before = seen_by_admin(api, conversation_id)
    r = api(ADMIN).post(
        f"/conversations/{conversation_id}/{action}", data=body, content_type="application/json"
    )
    assert_error(r, 422, "invalid", "_schema")
    assert seen_by_admin(api, conversation_id) == before


# -- user ids -----------------------------------------------------------------------------------

BAD_USER_IDS = [
    pytest.param({}, "user_id", id="missing"),
    pytest.param({"user_id": None}, "user_id", id="null"),
    pytest.param({"user_id": "3"}, "user_id", id="string"),
    pytest.param({"user_id": 3.5}, "user_id", id="float"),
    pytest.param({"user_id": True}, "user_id", id="boolean"),
    pytest.param({"user_id": [3]}, "user_id", id="list"),
    pytest.param({"user_id": 0}, "user_id", id="zero"),
    pytest.param({"user_id": -1}, "user_id", id="negative"),
    pytest.param({"user_id": 999999}, "user_id", id="unknown"),
    pytest.param({"user_id": BIG}, "user_id", id="beyond-int32"),
    pytest.param({"user_id": HUGE}, "user_id", id="beyond-int64"),
    pytest.param({"user_id": DAN, "role": "admin"}, "role", id="extra-field"),
]


@pytest.mark.parametrize("payload, field", BAD_USER_IDS)
@pytest.mark.parametrize("action", ["reassign", "participants"])
def test_bad_user_id_is_refused_with_the_field(api, ids, conversation_id, action, payload, field):
    payload = {k: ids[v] if v == DAN else v for k, v in payload.items()}
    before = seen_by_admin(api, conversation_id)
    r = api(ADMIN).post(f"/conversations/{conversation_id}/{action}", json=payload)
    assert_error(r, 422, "invalid", field)
    assert seen_by_admin(api, conversation_id) == before


def test_deactivated_user_cannot_be_brought_in(app, api, ids, conversation_id):
    with app.app_context():
        db.session.execute(update(User).where(User.id == ids[DAN]).values(active=False))
        db.session.commit()
        db.session.remove()
    before = seen_by_admin(api, conversation_id)
    for action in ("reassign", "participants"):
        r = api(ADMIN).post(
            f"/conversations/{conversation_id}/{action}", json={"user_id": ids[DAN]}
        )
        assert_error(r, 422, "invalid", "user_id")
    assert seen_by_admin(api, conversation_id) == before


@pytest.mark.parametrize("who", ["unknown", "beyond-int32", "beyond-int64", "the-claimer", "zero"])
def test_removing_someone_who_is_no_participant_is_404(api, ids, conversation_id, who):
    assert api(BOB).post(f"/conversations/{conversation_id}/claim").status_code == 200
    before = seen_by_admin(api, conversation_id)
    user_id = {
        "unknown": 999999,
        "beyond-int32": BIG,
        "beyond-int64": HUGE,
        "the-claimer": ids[BOB],
        "zero": 0,
    }[who]
    r = api(ADMIN)("DELETE", f"/conversations/{conversation_id}/participants/{user_id}")
    assert_error(r, 404, "not_found")
    assert seen_by_admin(api, conversation_id) == before


# -- unknown conversations ----------------------------------------------------------------------

EVERY_CONVERSATION_ENDPOINT = [
    ("GET", "", None),
    ("POST", "/claim", None),
    ("POST", "/release", None),
    ("POST", "/reassign", {"user_id": 1}),
    ("POST", "/messages", {"body": "On my way", "claim": True}),
    ("POST", "/participants", {"user_id": 1}),
    ("DELETE", "/participants/1", None),
    ("POST", "/close", None),
]
UNKNOWN_IDS = [
    pytest.param("999999", id="unknown"),
    pytest.param(str(BIG), id="beyond-int32"),
    pytest.param(str(HUGE), id="beyond-int64"),
    pytest.param("0", id="zero"),
    pytest.param("-1", id="negative"),
    pytest.param("abc", id="word"),
    pytest.param("1.5", id="decimal"),
]


@pytest.mark.parametrize("conversation", UNKNOWN_IDS)
@pytest.mark.parametrize(
    "method, suffix, body",
    EVERY_CONVERSATION_ENDPOINT,
    ids=[f"{m} {s or '/'}" for m, s, _ in EVERY_CONVERSATION_ENDPOINT],
)
def test_unknown_conversation_is_404(api, conversation_id, method, suffix, body, conversation):
    before = seen_by_admin(api, conversation_id)
    r = api(ADMIN)(method, f"/conversations/{conversation}{suffix}", json=body)
    assert_error(r, 404, "not_found")
    assert seen_by_admin(api, conversation_id) == before


@pytest.mark.parametrize(
    "method, suffix",
    [("GET", "/claim"), ("PUT", ""), ("DELETE", ""), ("GET", "/messages"), ("PATCH", "/close")],
)
def test_wrong_method_is_405_in_the_error_format(api, conversation_id, method, suffix):
    r = api(ADMIN)(method, f"/conversations/{conversation_id}{suffix}")
    assert_error(r, 405, "method_not_allowed")


# -- lists --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["inbox", "", "ACTIVE", "all", "active,team"])
def test_unknown_tab_is_422_naming_tab(api, conversation_id, tab):
    r = api(BOB).get("/conversations", query_string={"tab": tab})
    assert_error(r, 422, "invalid", "tab")


GARBAGE_CURSORS = [
    pytest.param("garbage", id="word"),
    pytest.param("!!!", id="punctuation"),
    pytest.param("é", id="non-ascii"),
    pytest.param("a", id="one-char"),
    pytest.param(cursor_of("x|y"), id="not-a-time"),
    pytest.param(cursor_of("|"), id="empty-parts"),
    pytest.param(cursor_of("2025-01-01T00:00:00|abc"), id="id-not-a-number"),
    pytest.param(cursor_of("2025-01-01T00:00:00|1|2"), id="three-parts"),
    pytest.param(cursor_of("2025-01-01T00:00:00"), id="no-id"),
    pytest.param(base64.urlsafe_b64encode(b"\xff\xfe|1").decode(), id="not-utf8"),
]


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_garbage_cursor_is_422_naming_cursor(api, conversation_id, cursor):
    r = api(BOB).get("/conversations", query_string={"tab": "active", "cursor": cursor})
    assert_error(r, 422, "invalid", "cursor")


@pytest.mark.parametrize("id_", [BIG, HUGE], ids=["beyond-int32", "beyond-int64"])
def test_cursor_with_an_id_beyond_the_id_column_is_not_a_server_error(api, conversation_id, id_):
    cursor = cursor_of(f"2999-01-01T00:00:00|{id_}")
    r = api(BOB).get("/conversations", query_string={"tab": "active", "cursor": cursor})
    assert r.status_code in (200, 422), r.get_data(as_text=True)
    if r.status_code == 422:
        assert_error(r, 422, "invalid", "cursor")


# -- authentication -----------------------------------------------------------------------------

BAD_AUTHORIZATION = [
    pytest.param({}, id="none"),
    pytest.param({"Authorization": "Bearer smsc_not-a-real-token"}, id="unknown-token"),
    pytest.param({"Authorization": "Bearer "}, id="empty-token"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-alone"),
    pytest.param({"Authorization": "Basic YWRtaW5AYWNtZS50ZXN0OmNvcnJlY3QtaG9yc2U="}, id="basic"),
]
EVERY_ENDPOINT = [("GET", "/users", None), ("GET", "/conversations", None)] + [
    (method, "/conversations/{id}" + suffix, body)
    for method, suffix, body in EVERY_CONVERSATION_ENDPOINT
]


@pytest.mark.parametrize("headers", BAD_AUTHORIZATION)
@pytest.mark.parametrize(
    "method, path, body", EVERY_ENDPOINT, ids=[f"{m} {p}" for m, p, _ in EVERY_ENDPOINT]
)
def test_missing_or_invalid_bearer_token_is_401(
    api, client, conversation_id, method, path, body, headers
):
    before = seen_by_admin(api, conversation_id)
    url = "/api/v1" + path.format(id=conversation_id)
    r = client.open(url, method=method, headers=headers, json=body)
    assert_error(r, 401, "unauthorized")
    assert "sink" not in r.get_data(as_text=True)
    assert seen_by_admin(api, conversation_id) == before


def test_deactivated_users_token_stops_working(app, api, ids, conversation_id):
    assert api(BOB).get(f"/conversations/{conversation_id}").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == ids[BOB]).values(active=False))
        db.session.commit()
        db.session.remove()
    assert_error(api(BOB).get(f"/conversations/{conversation_id}"), 401, "unauthorized")
    assert_error(api(BOB).post(f"/conversations/{conversation_id}/claim"), 401, "unauthorized")
    assert seen_by_admin(api, conversation_id)["claimed_by"] is None


# -- the order of the checks on POST messages (SPEC §3: 404, 422, closed, not_claimed,
#    not_claimer, opted_out) ---------------------------------------------------------------------


def claimed_by_bob(app, api, conversation_id):
    assert api(BOB).post(f"/conversations/{conversation_id}/claim").status_code == 200


def closed_unclaimed(app, api, conversation_id):
    assert api(ADMIN).post(f"/conversations/{conversation_id}/close").status_code == 200


def opted_out(app, api, conversation_id):
    opt_out(app)


def closed_claimed_opted_out(app, api, conversation_id):
    claimed_by_bob(app, api, conversation_id)
    opt_out(app)
    closed_unclaimed(app, api, conversation_id)


def claimed_by_bob_opted_out(app, api, conversation_id):
    claimed_by_bob(app, api, conversation_id)
    opt_out(app)


def unclaimed(app, api, conversation_id):
    pass


SEND_ORDER = [
    # state, sender, conversation (None: the real one), payload, expected error
    (unclaimed, ADMIN, 999999, {"body": ""}, "not_found"),
    (unclaimed, DAN, None, {"body": ""}, "not_found"),
    (closed_claimed_opted_out, DAN, None, {"body": 5}, "not_found"),
    (closed_claimed_opted_out, BOB, None, {"body": ""}, "invalid"),
    (closed_claimed_opted_out, CAT, None, {"body": "x" * 1601}, "invalid"),
    (closed_claimed_opted_out, CAT, None, {"body": "On my way"}, "closed"),
    (closed_unclaimed, CAT, None, {"body": "On my way"}, "closed"),
    (closed_unclaimed, CAT, None, {"body": "On my way", "claim": True}, "closed"),
    (opted_out, CAT, None, {"body": "On my way"}, "not_claimed"),
    (unclaimed, CAT, None, {"body": "On my way"}, "not_claimed"),
    (claimed_by_bob_opted_out, CAT, None, {"body": "On my way"}, "not_claimer"),
    (claimed_by_bob_opted_out, CAT, None, {"body": "On my way", "claim": True}, "not_claimer"),
    (claimed_by_bob, ADMIN, None, {"body": "On my way"}, "not_claimer"),
    (claimed_by_bob_opted_out, BOB, None, {"body": "On my way"}, "opted_out"),
    (opted_out, CAT, None, {"body": "On my way", "claim": True}, "opted_out"),
]
STATUS = {
    "not_found": 404,
    "invalid": 422,
    "closed": 409,
    "not_claimed": 409,
    "not_claimer": 403,
    "opted_out": 409,
}


@pytest.mark.parametrize(
    "given, sender, conversation, payload, code",
    SEND_ORDER,
    ids=[f"{g.__name__}-{s.split('@')[0]}-{c}" for g, s, _, p, c in SEND_ORDER],
)
def test_send_checks_run_in_spec_order(
    app, api, conversation_id, given, sender, conversation, payload, code
):
    given(app, api, conversation_id)
    before = seen_by_admin(api, conversation_id)
    target = conversation or conversation_id
    r = api(sender).post(f"/conversations/{target}/messages", json=payload)
    assert_error(r, STATUS[code], code)
    assert seen_by_admin(api, conversation_id) == before


# -- cookie sessions need a CSRF token ----------------------------------------------------------


@pytest.fixture
def browser(app, acme):
    """A second client, logged in as Bob through the login page (a session cookie, no token)."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": BOB, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    client.csrf = csrf_token(client.get("/login", follow_redirects=True).get_data(as_text=True))
    return client


COOKIE_POSTS = [
    pytest.param("claim", None, id="claim"),
    pytest.param("messages", {"body": "On my way", "claim": True}, id="claim-and-send"),
]


@pytest.mark.parametrize("action, body", COOKIE_POSTS)
def test_cookie_session_post_without_csrf_token_is_refused(
    api, browser, conversation_id, action, body
):
    before = seen_by_admin(api, conversation_id)
    r = browser.post(f"/api/v1/conversations/{conversation_id}/{action}", json=body)
    assert_error(r, 400)
    assert seen_by_admin(api, conversation_id) == before


@pytest.mark.parametrize("action, body", COOKIE_POSTS)
def test_cookie_session_post_with_a_wrong_csrf_token_is_refused(
    api, browser, conversation_id, action, body
):
    before = seen_by_admin(api, conversation_id)
    r = browser.post(
        f"/api/v1/conversations/{conversation_id}/{action}",
        json=body,
        headers={"X-CSRFToken": "not-the-token"},
    )
    assert_error(r, 400)
    assert seen_by_admin(api, conversation_id) == before


def test_cookie_session_with_a_made_up_bearer_header_still_needs_csrf(
    api, browser, conversation_id
):
    r = browser.post(
        f"/api/v1/conversations/{conversation_id}/claim",
        headers={"Authorization": "Bearer smsc_made-up"},
    )
    assert r.status_code in (400, 401), r.get_data(as_text=True)
    assert_error(r, r.status_code)
    assert seen_by_admin(api, conversation_id)["claimed_by"] is None


@pytest.mark.parametrize("action, body", COOKIE_POSTS)
def test_cookie_session_post_with_csrf_token_works(api, browser, conversation_id, action, body):
    r = browser.post(
        f"/api/v1/conversations/{conversation_id}/{action}",
        json=body,
        headers={"X-CSRFToken": browser.csrf},
    )
    assert r.status_code in (200, 201), r.get_json()
    assert seen_by_admin(api, conversation_id)["claimed_by"] == BOB


def test_cookie_session_reads_without_csrf_token(browser, conversation_id):
    r = browser.get(f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200
    assert r.json["id"] == conversation_id
