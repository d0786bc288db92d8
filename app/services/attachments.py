"""Pictures and files of MMS (SPEC §2.13), kept in the app's storage: an inbound text's are
fetched from the provider once, after it is stored, so a thread keeps them when the provider's
copy is gone; each is read back from storage when a user opens it."""

import logging

from sqlalchemy import select

from app.extensions import db
from app.models import MessageMedia
from app.services.errors import Transient
from app.sms import MediaRefused, MediaUnavailable, provider
from app.storage import new_key, storage

log = logging.getLogger(__name__)


def keep_inbound(message_id: int) -> None:
    """Fetch and keep each picture or file of the inbound text not kept yet, one at a time
    (each kept is committed: a retry fetches only what is left). One the provider will not give
    (not its own media, or the simulated carrier's) is left as it is; a failure that may pass is
    Transient: the job tries again later."""
    waiting = db.session.scalars(
        select(MessageMedia.id)
        .where(MessageMedia.message_id == message_id, MessageMedia.storage_key.is_(None))
        .order_by(MessageMedia.position)
    ).all()
    for media_id in waiting:
        item = db.session.get(MessageMedia, media_id)
        try:
            keep(item, provider().fetch_media(item.url))
        except MediaRefused as e:
            log.info("media %s of text %s not kept: %s", media_id, message_id, e)
        except MediaUnavailable as e:
            raise Transient(str(e)) from e
        db.session.commit()


def not_kept(message_id: int, error: Exception) -> None:
    """The job's give-up: what is left is fetched from the provider when a user opens it."""
    log.warning("media of text %s not kept: %s; fetched when opened", message_id, error)


def keep(item: MessageMedia, content: bytes) -> None:
    """Keep `content` as `item`'s file (the caller commits)."""
    key = new_key()
    storage().put(key, content, item.content_type)
    item.storage_key, item.size = key, len(content)


def content(item: MessageMedia) -> bytes:
    """The file of `item`: from storage, or, not kept yet, fetched from the provider and kept
    now (MediaRefused, MediaUnavailable when it cannot be had)."""
    if item.storage_key:
        return storage().get(item.storage_key)
    fetched = provider().fetch_media(item.url)
    keep(item, fetched)
    db.session.commit()
    return fetched
