"""`generate-load`: bench data written in bulk that the portal and the reports then read."""

from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversation, ConversationEvent, Message, User
from app.services import reports


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def load(app, conversations="12", per="5"):
    return run(
        app,
        "generate-load",
        "--account",
        "Acme Plumbing",
        "--conversations",
        conversations,
        "--messages-per-conversation",
        per,
    )


def test_generate_load_writes_conversations_texts_and_claims(app, acme):
    r = load(app)
    assert r.exit_code == 0, r.output
    assert "Wrote 12 conversations and 60 texts" in r.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Conversation) == 12
        assert count(Message) == 60
        claims = db.session.scalar(select(func.count()).where(ConversationEvent.type == "claimed"))
        assert claims == 12


def test_generate_load_twice_uses_new_contacts(app, acme):
    assert load(app, "3", "2").exit_code == 0
    r = load(app, "3", "2")
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 6


def test_generated_load_adds_up_in_the_90_day_report(app, acme):
    assert load(app, "20", "4").exit_code == 0
    with app.app_context():
        admin = User.by_email("admin@acme.test")
        today = date.today()
        rep = reports.report(admin, today - timedelta(days=91), today + timedelta(days=1))
        s = rep.summary
        assert s["received"] + s["sent"] == 80
        assert s["new_sms"] + s["new_widget"] == 20
        assert s["claimed"] == 20 and s["replied"] == 20
        # The same medians worked out from the rows themselves.
        to_claim, to_reply = [], []
        for c in db.session.scalars(select(Conversation)):
            texts = db.session.scalars(
                select(Message).where(Message.conversation_id == c.id).order_by(Message.id)
            ).all()
            first_out = next(m for m in texts if m.direction == "outbound")
            claim = db.session.scalar(
                select(ConversationEvent.created_at).where(
                    ConversationEvent.conversation_id == c.id, ConversationEvent.type == "claimed"
                )
            )
            assert claim <= first_out.created_at
            to_claim.append((claim - c.created_at).total_seconds())
            to_reply.append((first_out.created_at - c.created_at).total_seconds())
        assert s["claim_median"] == reports.median(to_claim)
        assert s["reply_median"] == reports.median(to_reply)
        assert s["reply_p90"] == reports.p90(to_reply)


def test_generate_load_refuses_an_unknown_account(app, acme):
    r = run(
        app,
        "generate-load",
        "--account",
        "Nobody",
        "--conversations",
        "1",
        "--messages-per-conversation",
        "1",
    )
    assert r.exit_code != 0 and "No account named" in r.output
