"""The OpenAPI document describes the API of SPEC §3."""


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
        "/conversations/{conversation_id}/participants",
        "/conversations/{conversation_id}/participants/{user_id}",
        "/conversations/{conversation_id}/close",
    }
    reply = doc["components"]["schemas"]["Reply"]
    assert reply["required"] == ["body"]
    assert {"body", "claim"} <= set(reply["properties"])
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
    } <= set(item)
    claim = doc["paths"]["/conversations/{conversation_id}/claim"]["post"]["responses"]
    assert {"200", "404", "409"} <= set(claim)
