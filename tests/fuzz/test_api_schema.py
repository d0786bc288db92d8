"""The JSON API fuzzed from its own OpenAPI document (schemathesis): whatever a caller sends, no
5xx, and every answer is one the document declares, in the shape it declares (SPEC §3, §5).

Bounded and reproducible: a fixed number of cases per operation, derandomized. The data (Acme's
users, a conversation) is made once per operation's run and lives across its cases, so the
cases' claims, closes and participants change it as callers would; path ids are drawn from the
real ones as well as from anything the document allows. The calls go over HTTP to the app on
a real server (`live_server`), with the Bearer token of an admin or of an agent.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.api.openapi import spec
from tests import support

ADMIN, AGENT, OTHER = "admin@acme.test", "bob@acme.test", "eve@other.test"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def seeded(acme, conversation_id, api) -> dict:
    """Real ids to aim at: the conversation and its contact, every user of Acme (and Other Co's
    admin), a saved reply shared by Acme, and a tag of Acme's on the conversation."""
    users = [u["id"] for who in (ADMIN, OTHER) for u in api(who).get("/users").json["items"]]
    contact = api(ADMIN).get(f"/conversations/{conversation_id}").json["contact"]["id"]
    reply = api(ADMIN).post(
        "/saved-replies", json={"title": "Late", "body": "Late", "shared": True}
    )
    tag = api(ADMIN).post("/tags", json={"name": "VIP", "color": "teal"}).json["id"]
    api(ADMIN).post(f"/conversations/{conversation_id}/tags", json={"tag_id": tag})
    return {
        "conversation_id": [conversation_id],
        "user_id": users,
        "contact_id": [contact],
        "reply_id": [reply.json["id"]],
        "tag_id": [tag],
    }


# The document /api/v1/openapi.json serves, from an app of the same routes (never served: only
# its routes are read, so its database is never opened).
schema = schemathesis.openapi.from_dict(
    spec(create_app(support.settings(SQLALCHEMY_DATABASE_URI="sqlite://")))
)


@schema.parametrize()
@schema.given(aim=st.sampled_from([None, 0, -1]), caller=st.sampled_from([ADMIN, AGENT]))
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_document_says(case, aim, caller, seeded, acme, live_server):
    if aim is not None and case.path_parameters:
        for name, ids in seeded.items():
            if name in case.path_parameters:
                case.path_parameters[name] = ids[aim]
    case.call_and_validate(
        base_url=f"{live_server}/api/v1",
        headers={"Authorization": f"Bearer {acme.tokens[caller]}"},
        checks=CHECKS,
    )
