"""The command-line interface of SPEC §3, as set-up scripts call it."""

from datetime import timedelta

from sqlalchemy import func, select

from app.demo import seed as demo
from app.extensions import db
from app.models import Account, Conversation, TrackingNumber, User
from app.models.base import utcnow
from app.services import inbox


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_set_up_an_account_from_the_command_line(app, client):
    assert run(app, "create-account", "Acme Plumbing").exit_code == 0
    r = run(
        app,
        "create-user",
        "--account",
        "Acme Plumbing",
        "--email",
        "Bob@Acme.test",
        "--first",
        "Bob",
        "--last",
        "Baker",
        "--role",
        "agent",
        "--password",
        "correct-horse",
        "--phone",
        "(500) 555-0002",
    )
    assert r.exit_code == 0, r.output
    r = run(
        app,
        "create-number",
        "--account",
        "Acme Plumbing",
        "--number",
        "+15005550101",
        "--label",
        "Main",
        "--type",
        "toll_free",
        "--sms-user",
        "bob@acme.test",
        "--activate",
    )
    assert r.exit_code == 0, r.output
    with app.app_context():
        number = db.session.scalar(select(TrackingNumber))
        assert (number.number, number.type, number.sms_state) == (
            "+15005550101",
            "toll_free",
            "active",
        )
        assert [s.user.email for s in number.sms_users] == ["bob@acme.test"]
        assert number.sms_users[0].user.phone == "+15005550002"
    r = run(app, "api-token", "bob@acme.test")
    assert r.exit_code == 0
    token = r.output.strip().splitlines()[-1]
    answer = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [u["email"] for u in answer.json["items"]] == ["bob@acme.test"]


def test_commands_refuse_bad_input_with_a_message_and_a_failing_exit_code(app):
    run(app, "create-account", "Acme Plumbing")
    cases = [
        (["create-account", "Acme Plumbing"], "exists already"),
        (
            [
                "create-user",
                "--account",
                "Nope",
                "--email",
                "a@b.test",
                "--first",
                "A",
                "--last",
                "B",
                "--role",
                "agent",
            ],
            "No account named",
        ),
        (
            [
                "create-user",
                "--account",
                "Acme Plumbing",
                "--email",
                "not-an-email",
                "--first",
                "A",
                "--last",
                "B",
                "--role",
                "agent",
            ],
            "Not an e-mail address",
        ),
        (
            [
                "create-user",
                "--account",
                "Acme Plumbing",
                "--email",
                "a@b.test",
                "--first",
                "A",
                "--last",
                "B",
                "--role",
                "owner",
            ],
            "owner",
        ),
        (
            ["create-number", "--account", "Acme Plumbing", "--number", "12", "--label", "X"],
            "Not a phone number",
        ),
        (
            [
                "create-number",
                "--account",
                "Acme Plumbing",
                "--number",
                "+15005550101",
                "--label",
                "X",
                "--activate",
            ],
            "SMS user",
        ),
        (["api-token", "nobody@acme.test"], "No user"),
    ]
    for args, message in cases:
        r = run(app, *args)
        assert r.exit_code != 0, args
        assert message in r.output, (args, r.output)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TrackingNumber)) == 0


def test_seed_demo_is_idempotent(app):
    first = run(app, "seed-demo")
    second = run(app, "seed-demo")
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "admin@demo.test" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 1
        numbers = db.session.scalars(select(TrackingNumber)).all()
        assert len(numbers) == 2 and all(n.sms_state == "active" for n in numbers)
        conversations = db.session.scalars(select(Conversation)).all()
        # Three of today's and a month of closed history, so the reports have something to show.
        assert len(conversations) == 3 + sum(demo.HISTORY.values())
        assert sum(c.status == "open" for c in conversations) == 2
        oldest = min(c.created_at for c in conversations)
        assert utcnow() - timedelta(days=30) <= oldest <= utcnow() - timedelta(days=20)


def test_the_demos_history_is_read_and_only_todays_texts_are_new(app):
    assert run(app, "seed-demo").exit_code == 0
    with app.app_context():
        bob = User.by_email("bob@demo.test")
        # Today: the kitchen sink (unclaimed) and the water heater (Bob's); the flooded basement
        # that Cat closed came in on a number Bob hears about.
        assert inbox.unread_counts(bob) == {"active": 2, "team": 0, "closed": 1}
