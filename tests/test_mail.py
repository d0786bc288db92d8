"""E-mail goes out over SMTP when a server is configured, HTML and text and attachments alike."""

from sqlalchemy import select

from app import mail
from app.extensions import db
from app.models import OutboxItem


def test_mail_reaches_a_real_smtp_server_and_the_outbox(app, smtp):
    with app.app_context():
        attachment = mail.Attachment("numbers.csv", "text/csv", b"number,label\n")
        mail.send(["a@b.test"], "Hello", "plain body", "<p>html body</p>", (attachment,))
        db.session.commit()
        kept = db.session.scalar(select(OutboxItem).where(OutboxItem.channel == "email"))
    ((recipients, message),) = smtp.messages
    assert recipients == ["a@b.test"]
    assert message["Subject"] == "Hello"
    parts = {part.get_content_type(): part for part in message.walk()}
    assert parts["text/plain"].get_content().strip() == "plain body"
    assert "<p>html body</p>" in parts["text/html"].get_content()
    assert parts["text/csv"].get_filename() == "numbers.csv"
    assert (kept.recipient, kept.subject) == ("a@b.test", "Hello"), "still shown in /dev/outbox"


def test_without_a_mail_server_mail_is_kept_for_the_outbox_only(app, client):
    with app.app_context():
        mail.send(["a@b.test"], "Kept", "body")
        db.session.commit()
    assert "Kept" in client.get("/dev/outbox").text
