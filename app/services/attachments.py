"""Pictures and files of MMS (SPEC §2.13), kept in the app's storage: an inbound text's are
fetched from the provider once, after it is stored, so a thread keeps them when the provider's
copy is gone; an agent's are checked (by what they hold, not their names) and kept as they are
attached, and the provider fetches them from a signed address that expires. Each is read back
from storage when a user opens it."""

import logging
import re
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.inputs import length_of
from app.models import Message, MessageMedia
from app.services import tokens
from app.services.errors import Invalid, NotFound, Transient
from app.sms import MediaRefused, MediaUnavailable, provider
from app.storage import keep, storage

log = logging.getLogger(__name__)

# What one MMS may carry (Twilio's limits).
MAX_FILES = 10
MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = length_of(MessageMedia.filename)  # and SavedReplyFile.filename, the same
# What a file is, by how its content starts (an .exe named .jpg is no picture).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
VCARD = re.compile(rb"\A(\xef\xbb\xbf)?\s*BEGIN:VCARD\r?\n", re.IGNORECASE)
KINDS = "a JPEG, PNG or GIF picture, a PDF or a vCard"
# A file's name as a phone shows it: no folders, no characters a file system or a page reads.
BAD_NAME = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]|^\.|^\s|\s$')
# The provider fetches an agent's file from its signed address within this long.
SHARED_FOR_SECONDS = 3600


class Upload(NamedTuple):
    filename: str
    content_type: str
    data: bytes

    def kept(self) -> dict:
        """Keep the file in storage: the columns of its row (a text's or a saved reply's)."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "storage_key": keep(self.data, self.content_type),
        }


def kind_of(data: bytes) -> str | None:
    """The type of a file the composer takes, by its content; None for any other."""
    for start, kind in SIGNATURES:
        if data.startswith(start):
            return kind
    if VCARD.match(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/vcard"
    return None


def checked(files, already: tuple[int, int] = (0, 0)) -> list[Upload]:
    """The files an agent attached (each with `filename` and `stream`, as Werkzeug gives them),
    read and checked: with the `already` (count, bytes) they join, at most MAX_FILES and
    MAX_BYTES together, none empty, each a picture, PDF or vCard by its content, named without
    folders or special characters; else Invalid naming `files`, and nothing is kept."""
    count, total = already
    if count + len(files) > MAX_FILES:
        raise Invalid(
            f"At most {MAX_FILES} files go with one text.",
            {"files": [f"At most {MAX_FILES} files ({count + len(files)} given)."]},
        )
    uploads, wrong = [], []
    for file in files:
        name = file.filename or ""
        # Never more than what is left of the allowance, whatever the file's size.
        data = file.stream.read(MAX_BYTES - total + 1)
        total += len(data)
        if total > MAX_BYTES:
            limit = f"{MAX_BYTES // (1024 * 1024)} MB"
            raise Invalid(
                f"The files are over {limit} together.", {"files": [f"At most {limit} together."]}
            )
        if not name or len(name) > MAX_NAME or BAD_NAME.search(name):
            wrong.append(f"{name[:40]!r} is not a file name that can be sent; rename the file.")
        elif not data:
            wrong.append(f"{name} is empty.")
        elif (kind := kind_of(data)) is None:
            wrong.append(f"{name} is not {KINDS}.")
        else:
            uploads.append(Upload(name, kind, data))
    if wrong:
        raise Invalid(f"Some files cannot be sent: {' '.join(wrong)}", {"files": wrong})
    return uploads


def attach(message: Message, uploads: list[Upload]) -> None:
    """Keep the files and add them to the message (the caller commits)."""
    for position, upload in enumerate(uploads):
        message.media.append(MessageMedia(position=position, url="", **upload.kept()))


# What a signed address for the provider is for (tokens.sign): it opens no other kind of link.
FOR_THE_PROVIDER = "media-for-the-provider"
EXPIRED = "This link has expired."


def shared_url(item: MessageMedia) -> str:
    """Where the provider fetches an agent's file: under PUBLIC_BASE_URL, signed, for an hour."""
    # Built from PUBLIC_BASE_URL (which carries any path prefix): the sending job has no request.
    token = tokens.sign(FOR_THE_PROVIDER, {"media": item.id})
    return f"{current_app.config['PUBLIC_BASE_URL']}/media/shared/{token}"


def shared(token: str) -> MessageMedia:
    """The file a signed address names; NotFound once it expired, or for any other token."""
    try:
        media_id = tokens.read(FOR_THE_PROVIDER, token, SHARED_FOR_SECONDS, EXPIRED).get("media")
    except Invalid:
        raise NotFound(EXPIRED) from None  # tampered with, too: no telling the two apart
    item = db.session.get(MessageMedia, media_id) if isinstance(media_id, int) else None
    if item is None or not item.storage_key:
        raise NotFound("No such file.")
    return item


def keep_inbound(message_id: int) -> None:
    """Fetch and keep each picture or file of the inbound text not kept yet, one at a time
    (each kept is committed: a retry fetches only what is left). One the provider will not give
    (an address not of its own media) is left as it is; a failure that may pass is
    Transient: the job tries again later."""
    waiting = db.session.scalars(
        select(MessageMedia)
        .where(MessageMedia.message_id == message_id, MessageMedia.storage_key.is_(None))
        .order_by(MessageMedia.position)
    ).all()
    for item in waiting:
        try:
            _keep(item, provider().fetch_media(item.url))
        except MediaRefused as e:
            log.info("media %s of text %s not kept: %s", item.id, message_id, e)
        except MediaUnavailable as e:
            raise Transient(str(e)) from e
        db.session.commit()


def _keep(item: MessageMedia, content: bytes) -> None:
    """Keep `content` as `item`'s file (the caller commits)."""
    item.storage_key, item.size = keep(content, item.content_type), len(content)


def content(item: MessageMedia) -> bytes:
    """The file of `item`: from storage, or, not kept yet, fetched from the provider and kept
    now (MediaRefused, MediaUnavailable when it cannot be had)."""
    if item.storage_key:
        return storage().get(item.storage_key)
    fetched = provider().fetch_media(item.url)
    _keep(item, fetched)
    db.session.commit()
    return fetched
