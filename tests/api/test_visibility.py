"""Who sees which conversation, in which tab, and what they may do with it (SPEC §2.3, §2.6, §3)."""

import pytest

from app.extensions import db
from app.models import TrackingNumber, User
from app.services import directory
from tests.support import CUSTOMER, NUM, text_in

ADMIN, BOB, CAT, DAN, IVY = (
    "admin@acme.test",
    "bob@acme.test",
    "cat@acme.test",
    "dan@acme.test",
    "ivy@acme.test",
)
IVYS_NUMBER = "+15005550102"
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "not_claimer": 403,
    "already_claimed": 409,
    "not_claimed": 409,
    "closed": 409,
}


class Scene:
    """One conversation of Acme, brought into a state through the API as its users would."""

    def __init__(self, app, client, world, api):
        self.app, self.client, self.world, self.api = app, client, world, api
        self.id: int | None = None

    def open(self, number: str = NUM, phone: str = CUSTOMER) -> int:
        assert text_in(self.client, phone, number, "Hi, my sink is leaking").status_code == 200
        items = self.api(ADMIN).tab("active")
        self.id = max(item["id"] for item in items)
        return self.id

    def user_id(self, email: str) -> int:
        users = self.api(ADMIN).get("/users").json["items"]
        return next(u["id"] for u in users if u["email"] == email)

    def do(self, email: str, action: str, user: str | None = None) -> None:
        body = {"user_id": self.user_id(user)} if user else None
        r = self.api(email).post(f"/conversations/{self.id}/{action}", json=body)
        assert r.status_code == 200, r.get_json()

    def make_sms_user(self, email: str, number: str = NUM) -> None:
        with self.app.app_context():
            tracking_number = TrackingNumber.by_number(number)
            choices = [directory.SmsUserChoice(r.user) for r in tracking_number.sms_users]
            directory.set_sms_users(
                tracking_number, [*choices, directory.SmsUserChoice(User.by_email(email))]
            )
            db.session.remove()

    def seen_by_admin(self) -> dict:
        """What a user would check after a refused action: the conversation as the admin sees it."""
        r = self.api(ADMIN).get(f"/conversations/{self.id}")
        assert r.status_code == 200
        c = r.json
        return {
            "status": c["status"],
            "claimed_by": c["claimed_by"] and c["claimed_by"]["email"],
            "participants": sorted(p["email"] for p in c["participants"]),
            "messages": [(m["direction"], m["body"]) for m in c["messages"]],
            "events": [e["type"] for e in c["events"]],
        }


# -- the states a conversation is put in --------------------------------------------------------


def unclaimed(scene):
    scene.open()


def claimed_by_bob(scene):
    scene.open()
    scene.do(BOB, "claim")


def dan_participates(scene):
    claimed_by_bob(scene)
    scene.do(BOB, "participants", user=DAN)


def ivy_participates(scene):
    claimed_by_bob(scene)
    scene.do(BOB, "participants", user=IVY)


def reassigned_to_dan(scene):
    scene.open()
    scene.do(ADMIN, "reassign", user=DAN)


def closed_by_bob(scene):
    dan_participates(scene)
    scene.do(BOB, "close")


def ivy_sms_user(scene):
    scene.make_sms_user(IVY)
    scene.open()


def ivy_sms_user_bob_claimed(scene):
    scene.make_sms_user(IVY)
    claimed_by_bob(scene)


def on_ivys_number(scene):
    """A second number, whose only SMS user is Ivy: Bob and Cat are SMS users of another one."""
    scene.world.number("Acme Plumbing", IVYS_NUMBER, sms_users=[IVY], label="Ivy's line")
    scene.open(number=IVYS_NUMBER)


SCENARIOS = {
    f.__name__: f
    for f in (
        unclaimed,
        claimed_by_bob,
        dan_participates,
        ivy_participates,
        reassigned_to_dan,
        closed_by_bob,
        ivy_sms_user,
        ivy_sms_user_bob_claimed,
        on_ivys_number,
    )
}

# Each row: in this state, this user finds the conversation in this tab (None: in no tab), and
# GET / claim / reply / close answer this: a success status, or an error code with its status.
HIDDEN, TAKEN, UNCLAIMED = "not_found", "already_claimed", "not_claimed"
NOT_CLAIMER, FORBIDDEN, CLOSED = "not_claimer", "forbidden", "closed"
MATRIX = [
    # state                       user    tab        detail   claim    reply         close
    ("unclaimed",                 ADMIN,  "active",  200,     200,     UNCLAIMED,    200),
    ("unclaimed",                 BOB,    "active",  200,     200,     UNCLAIMED,    FORBIDDEN),
    ("unclaimed",                 CAT,    "active",  200,     200,     UNCLAIMED,    FORBIDDEN),
    ("unclaimed",                 DAN,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("unclaimed",                 IVY,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("claimed_by_bob",            ADMIN,  "team",    200,     TAKEN,   NOT_CLAIMER,  200),
    ("claimed_by_bob",            BOB,    "active",  200,     TAKEN,   201,          200),
    ("claimed_by_bob",            CAT,    "team",    200,     TAKEN,   NOT_CLAIMER,  FORBIDDEN),
    ("claimed_by_bob",            DAN,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("claimed_by_bob",            IVY,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("dan_participates",          ADMIN,  "team",    200,     TAKEN,   NOT_CLAIMER,  200),
    ("dan_participates",          BOB,    "active",  200,     TAKEN,   201,          200),
    ("dan_participates",          CAT,    "team",    200,     TAKEN,   NOT_CLAIMER,  FORBIDDEN),
    ("dan_participates",          DAN,    "active",  200,     TAKEN,   201,          200),
    ("dan_participates",          IVY,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("ivy_participates",          IVY,    "active",  200,     TAKEN,   201,          200),
    ("ivy_participates",          DAN,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("reassigned_to_dan",         DAN,    "active",  200,     TAKEN,   201,          200),
    ("reassigned_to_dan",         BOB,    "team",    200,     TAKEN,   NOT_CLAIMER,  FORBIDDEN),
    ("reassigned_to_dan",         ADMIN,  "team",    200,     TAKEN,   NOT_CLAIMER,  200),
    ("closed_by_bob",             ADMIN,  "closed",  200,     CLOSED,  CLOSED,       CLOSED),
    ("closed_by_bob",             BOB,    "closed",  200,     CLOSED,  CLOSED,       CLOSED),
    ("closed_by_bob",             CAT,    "closed",  200,     CLOSED,  CLOSED,       CLOSED),
    ("closed_by_bob",             DAN,    "closed",  200,     CLOSED,  CLOSED,       CLOSED),
    ("closed_by_bob",             IVY,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("ivy_sms_user",              IVY,    "active",  200,     200,     UNCLAIMED,    FORBIDDEN),
    ("ivy_sms_user",              DAN,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("ivy_sms_user_bob_claimed",  IVY,    "team",    200,     TAKEN,   NOT_CLAIMER,  FORBIDDEN),
    ("on_ivys_number",            IVY,    "active",  200,     200,     UNCLAIMED,    FORBIDDEN),
    ("on_ivys_number",            ADMIN,  "active",  200,     200,     UNCLAIMED,    200),
    ("on_ivys_number",            BOB,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
    ("on_ivys_number",            CAT,    None,      HIDDEN,  HIDDEN,  HIDDEN,       HIDDEN),
]  # fmt: skip


def rows(column: str):
    index = ["tab", "detail", "claim", "reply", "close"].index(column) + 2
    return [
        pytest.param(*row[:2], row[index], id=f"{row[0]}-{row[1].split('@')[0]}") for row in MATRIX
    ]


@pytest.fixture
def scene(app, acme, client, api) -> Scene:
    return Scene(app, client, acme, api)


def given(scene: Scene, state: str) -> Scene:
    SCENARIOS[state](scene)
    return scene


def expect(response, outcome) -> None:
    """A success status, or an error code answered with its status in the API's error format."""
    if isinstance(outcome, int):
        assert response.status_code == outcome, response.get_json()
    else:
        assert response.status_code == STATUS[outcome], response.get_json()
        assert response.json["error"]["code"] == outcome
        assert response.json["error"]["message"]


@pytest.mark.parametrize("state, user, tab", rows("tab"))
def test_conversation_is_listed_in_exactly_the_expected_tab(scene, state, user, tab):
    given(scene, state)
    listed_in = [
        name for name in ("active", "team", "closed") if scene.id in scene.api(user).tab_ids(name)
    ]
    assert listed_in == ([tab] if tab else [])


@pytest.mark.parametrize("state, user, outcome", rows("detail"))
def test_detail_is_shown_only_to_those_who_may_see_it(scene, state, user, outcome):
    given(scene, state)
    r = scene.api(user).get(f"/conversations/{scene.id}")
    expect(r, outcome)
    if outcome == 200:
        assert r.json["id"] == scene.id
        assert r.json["messages"][0]["body"] == "Hi, my sink is leaking"
    else:
        assert "sink" not in r.get_data(as_text=True)


@pytest.mark.parametrize("state, user, outcome", rows("claim"))
def test_claim_is_won_only_on_a_visible_unclaimed_open_conversation(scene, state, user, outcome):
    before = given(scene, state).seen_by_admin()
    r = scene.api(user).post(f"/conversations/{scene.id}/claim")
    expect(r, outcome)
    after = scene.seen_by_admin()
    if outcome == 200:
        assert r.json["claimed_by"]["email"] == user
        assert after["claimed_by"] == user
        assert after["events"] == before["events"] + ["claimed"]
    else:
        assert after == before


@pytest.mark.parametrize("state, user, outcome", rows("reply"))
def test_only_the_claimer_and_participants_can_reply(scene, state, user, outcome):
    before = given(scene, state).seen_by_admin()
    r = scene.api(user).post(f"/conversations/{scene.id}/messages", json={"body": "On my way"})
    expect(r, outcome)
    after = scene.seen_by_admin()
    if outcome == 201:
        assert r.json["body"] == "On my way"
        assert r.json["sent_by"]["email"] == user
        assert after["messages"] == before["messages"] + [("outbound", "On my way")]
    else:
        assert after == before


@pytest.mark.parametrize("state, user, outcome", rows("close"))
def test_only_the_claimer_participants_and_admins_can_close(scene, state, user, outcome):
    before = given(scene, state).seen_by_admin()
    r = scene.api(user).post(f"/conversations/{scene.id}/close")
    expect(r, outcome)
    after = scene.seen_by_admin()
    if outcome == 200:
        assert r.json["status"] == "closed"
        assert after["status"] == "closed"
        assert after["events"] == before["events"] + ["closed"]
    else:
        assert after == before


def test_claiming_moves_the_conversation_to_the_other_agents_team_tab(scene):
    given(scene, "unclaimed")
    assert scene.id in scene.api(CAT).tab_ids("active")
    scene.do(BOB, "claim")
    assert scene.id not in scene.api(CAT).tab_ids("active")
    assert scene.id in scene.api(CAT).tab_ids("team")
    assert scene.id in scene.api(BOB).tab_ids("active")


def test_a_removed_participant_who_is_no_sms_user_loses_the_conversation(scene):
    given(scene, "dan_participates")
    r = scene.api(BOB)("DELETE", f"/conversations/{scene.id}/participants/{scene.user_id(DAN)}")
    assert r.status_code == 200, r.get_json()
    assert scene.id not in scene.api(DAN).tab_ids("active")
    assert scene.api(DAN).get(f"/conversations/{scene.id}").status_code == 404


# -- pagination ---------------------------------------------------------------------------------


def open_many(client, api, count: int) -> list[int]:
    """`count` conversations from different customers, opened one after the other."""
    for n in range(count):
        assert text_in(client, f"+1500555{1000 + n}", NUM, f"text {n}").status_code == 200
    return sorted(api(ADMIN).tab_ids("active"))


@pytest.mark.parametrize("count", [4, 5], ids=["exact-pages", "partial-last-page"])
def test_following_next_cursor_lists_every_conversation_once_newest_first(
    app, acme, client, api, monkeypatch, count
):
    ids = open_many(client, api, count)
    assert len(ids) == count
    monkeypatch.setitem(app.config, "API_PAGE_SIZE", 2)
    pages, cursor = [], None
    while True:
        query = {"tab": "active", **({"cursor": cursor} if cursor else {})}
        r = api(BOB).get("/conversations", query_string=query)
        assert r.status_code == 200, r.get_json()
        pages.append([item["id"] for item in r.json["items"]])
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
        assert len(pages) <= count, "next_cursor never ends"
    assert [len(page) for page in pages] == [2] * (count // 2) + ([1] if count % 2 else [])
    listed = [id_ for page in pages for id_ in page]
    assert listed == sorted(ids, reverse=True), "each conversation once, newest text first"


def test_a_conversation_with_a_new_text_comes_first(app, acme, client, api):
    ids = open_many(client, api, 3)
    assert text_in(client, "+15005551000", NUM, "one more thing").status_code == 200
    listed = [item["id"] for item in api(BOB).tab("active")]
    assert listed == [ids[0], ids[2], ids[1]]


def test_paging_a_short_tab_gives_one_page_without_a_cursor(acme, client, api, conversation_id):
    r = api(BOB).get("/conversations", query_string={"tab": "active"})
    assert r.status_code == 200
    assert [item["id"] for item in r.json["items"]] == [conversation_id]
    assert r.json["next_cursor"] is None
