"""Bad input to the widget's endpoint: unusable origins are not allowed (403), bodies that are not
a flat JSON object are 422 naming `_schema`, never a 500, and nothing is stored or sent."""

import json

import pytest

from app.models import Message, OutboxItem
from tests.support import count
from tests.support.widget import SITE, form

BAD_ORIGINS = [
    pytest.param("http://x.example:99999", id="port-99999"),
    pytest.param("http://x.example:-1", id="port-negative"),
    pytest.param("http://x.example:http", id="port-word"),
    pytest.param("http://[x.example", id="open-bracket"),
    pytest.param("null", id="null"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_an_unusable_origin_is_not_allowed(app, client, key, origin):
    url = f"/api/widget/v1/{key}"
    headers = {"Origin": origin}
    r = client.post(f"{url}/submissions", json=form(), headers=headers)
    assert r.status_code == 403, r.text
    assert r.json["error"]["code"] == "origin_not_allowed"
    assert client.options(f"{url}/submissions", headers=headers).status_code == 403
    assert client.get(f"{url}/config", headers=headers).status_code == 403
    assert count(app, Message) == 0


def nested(depth: int) -> str:
    return '{"name": ' * depth + '"Pat"' + "}" * depth


NOT_A_FORM = [
    pytest.param(json.dumps([form()]), id="array-of-the-form"),
    pytest.param("[]", id="empty-array"),
    pytest.param('"Pat Doe"', id="string"),
    pytest.param("17", id="number"),
    pytest.param("null", id="null"),
    pytest.param("{not json", id="malformed"),
    pytest.param("[" * 100_000 + "]" * 100_000, id="array-nested-100000-deep"),
    pytest.param(nested(5000), id="object-nested-5000-deep"),
    pytest.param(nested(33), id="object-nested-33-deep"),
    pytest.param('{"name": NaN}', id="nan"),
    pytest.param('{"consent": true, "phone": 1e999}', id="number-beyond-a-float"),
]


@pytest.mark.parametrize("body", NOT_A_FORM)
def test_a_body_that_is_not_a_json_object_of_fields_is_422_naming_schema(app, client, key, body):
    r = client.post(
        f"/api/widget/v1/{key}/submissions",
        data=body,
        content_type="application/json",
        headers={"Origin": SITE},
    )
    assert r.status_code == 422, r.text
    assert "_schema" in r.json["error"]["fields"]
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert count(app, Message) == 0 and count(app, OutboxItem) == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        pytest.param({"phone": {"a": [[[["+15550100177"]]]]}}, "phone", id="phone-nested"),
        pytest.param({"name": {"first": "Pat"}}, "name", id="name-object"),
        pytest.param({"message": 10**400}, "message", id="message-huge-number"),
        pytest.param({"page_url": ["x"] * 3}, "page_url", id="page-url-list"),
        pytest.param({"name": "Pat\x00Doe"}, "name", id="name-nul"),
        pytest.param({"name": "Pat\ud800"}, "name", id="name-lone-surrogate"),
    ],
)
def test_fields_of_the_wrong_shape_are_422_naming_them(app, client, key, changes, field):
    r = client.post(
        f"/api/widget/v1/{key}/submissions",
        data=json.dumps(form(**changes)),
        content_type="application/json",
        headers={"Origin": SITE},
    )
    assert r.status_code == 422, r.text
    assert field in r.json["error"]["fields"]
    assert count(app, Message) == 0 and count(app, OutboxItem) == 0


@pytest.mark.parametrize(
    "key", ["w_%00", "w_\r\n", "w_" + "x" * 100], ids=["nul", "crlf", "longer-than-any-key"]
)
def test_a_key_no_widget_can_have_is_404(client, key):
    headers = {"Origin": SITE}
    assert client.get(f"/api/widget/v1/{key}/config", headers=headers).status_code == 404
    r = client.post(f"/api/widget/v1/{key}/submissions", json=form(), headers=headers)
    assert r.status_code == 404
