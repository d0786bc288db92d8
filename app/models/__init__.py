"""The domain's tables, one module per aggregate."""

from app.models.account import Account, ApiToken, User
from app.models.contact import Consent, ConsentEvent, Contact
from app.models.conversation import (
    Conversation,
    ConversationEvent,
    EarlyStatus,
    Message,
    MessageMedia,
    Note,
    NoteMention,
    Participant,
    ReadMark,
)
from app.models.hours import BusinessHours, ClosedDay
from app.models.notification import Notification, NotificationPace
from app.models.number import SmsUser, TrackingNumber
from app.models.outbox import OutboxItem
from app.models.registration import CarrierRegistration
from app.models.saved_reply import SavedReply, SavedReplyFile
from app.models.tag import ConversationTag, Tag
from app.models.widget import Widget

__all__ = [
    "Account",
    "ApiToken",
    "BusinessHours",
    "CarrierRegistration",
    "ClosedDay",
    "Consent",
    "ConsentEvent",
    "Contact",
    "Conversation",
    "ConversationEvent",
    "ConversationTag",
    "EarlyStatus",
    "Message",
    "MessageMedia",
    "Note",
    "NoteMention",
    "Notification",
    "NotificationPace",
    "OutboxItem",
    "Participant",
    "ReadMark",
    "SavedReply",
    "SavedReplyFile",
    "SmsUser",
    "Tag",
    "TrackingNumber",
    "User",
    "Widget",
]
