"""E-mail: over SMTP when MAIL_SERVER is set; kept for /dev/outbox while the simulator is on.

With no mail server the embedded default needs nothing: mail is only recorded, never lost silently.
"""

from dataclasses import dataclass

from flask import current_app
from flask_mail import Message

from app.extensions import db, mail
from app.models import OutboxItem
from app.models.outbox import OutboxChannel


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def send(
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """Send one e-mail; the outbox row joins the caller's transaction (the caller commits)."""
    config = current_app.config
    if config["SMS_PROVIDER"] == "simulator" or not config["MAIL_SERVER"]:
        names = "".join(f"\n[attached: {a.filename}]" for a in attachments)
        db.session.add(
            OutboxItem(
                channel=OutboxChannel.EMAIL,
                sender=config["MAIL_DEFAULT_SENDER"],
                recipient=", ".join(to),
                subject=subject,
                body=text + names,
            )
        )
    if config["MAIL_SERVER"]:
        message = Message(subject=subject, recipients=to, body=text, html=html)
        for a in attachments:
            message.attach(a.filename, a.content_type, a.data)
        mail.send(message)
