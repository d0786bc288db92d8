"""The OpenAPI document describes the API of SPEC §3."""

import re


def test_openapi_document_lists_every_endpoint_without_login(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/users",
        "/conversations",
        "/conversations/{conversation_id}",
        "/conversations/{conversation_id}/claim",
        "/conversations/{conversation_id}/release",
        "/conversations/{conversation_id}/reassign",
        "/conversations/{conversation_id}/messages",
        "/conversations/{conversation_id}/messages/{message_id}",
        "/conversations/{conversation_id}/participants",
        "/conversations/{conversation_id}/participants/{user_id}",
        "/conversations/{conversation_id}/close",
        "/contacts/{contact_id}",
        "/saved-replies",
        "/saved-replies/{reply_id}",
        "/conversations/{conversation_id}/notes",
        "/tags",
        "/tags/{tag_id}",
        "/conversations/{conversation_id}/tags",
        "/conversations/{conversation_id}/tags/{tag_id}",
    }
    reply = doc["components"]["schemas"]["Reply"]
    assert reply["required"] == ["body"]
    assert {"body", "claim", "send_at"} <= set(reply["properties"])
    assert {"patch", "delete"} <= set(
        doc["paths"]["/conversations/{conversation_id}/messages/{message_id}"]
    )
    item = doc["components"]["schemas"]["Conversation"]["properties"]
    assert {
        "id",
        "status",
        "contact",
        "tracking_number",
        "claimed_by",
        "participants",
        "last_message_at",
        "unread",
        "tags",
    } <= set(item)
    claim = doc["paths"]["/conversations/{conversation_id}/claim"]["post"]["responses"]
    assert {"200", "404", "409"} <= set(claim)


def api_routes(app) -> dict[str, set[str]]:
    """Each route of the API blueprint but the document's own, as an OpenAPI path → its methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
            routes.setdefault(path, set()).update(methods)
    return routes


def test_the_document_lists_every_route_of_the_api_blueprint_with_its_methods(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["servers"] == [{"url": "/api/v1"}]
    documented = {path: set(item) - {"parameters"} for path, item in doc["paths"].items()}
    assert documented == api_routes(app)


def test_every_operation_declares_its_path_parameters_and_answers(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            declared = {
                p["name"]
                for p in item.get("parameters", []) + operation.get("parameters", [])
                if p["in"] == "path"
            }
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            assert operation["summary"], (method, path)
            assert "401" in operation["responses"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
