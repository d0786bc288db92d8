"""The widget names a contact (SPEC §2.9): the form's name fills a contact that has none (a new
one, or one whose name the team cleared), and never replaces a name the team typed."""

from tests.support.widget import SITE, form

BOB = "bob@acme.test"


def submit(client, key, **changes):
    r = client.post(
        f"/api/widget/v1/{key}/submissions", json=form(**changes), headers={"Origin": SITE}
    )
    assert r.status_code == 201, r.json


def contact_of(api) -> dict:
    (item,) = api(BOB).tab("active")
    return item["contact"]


def test_the_form_names_a_new_contact_and_keeps_a_name_the_team_typed(client, key, api):
    submit(client, key, name="Pat Doe")
    assert contact_of(api)["name"] == "Pat Doe"
    contact_id = contact_of(api)["id"]
    r = api(BOB)("PATCH", f"/contacts/{contact_id}", json={"name": "Patricia Doe (landlord)"})
    assert r.status_code == 200
    submit(client, key, name="P. Doe", message="Any news?")
    assert (contact_of(api)["id"], contact_of(api)["name"]) == (
        contact_id,
        "Patricia Doe (landlord)",
    )
    assert api(BOB)("PATCH", f"/contacts/{contact_id}", json={"name": ""}).status_code == 200
    submit(client, key, name="Pat Doe", message="Hello again")
    assert contact_of(api)["name"] == "Pat Doe", "a cleared name is filled by the next form"
