"""The database refuses a status, kind, role or state the code does not know (CHECK constraints)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00

"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The lists as they stand at this revision (the models build theirs from app/models' enums).
CHECKS = {
    "users": {"role": ("admin", "agent", "identified")},
    "tracking_numbers": {
        "type": ("local", "toll_free"),
        "sms_state": ("off", "pending_activation", "active", "pending_deactivation"),
    },
    "consents": {"state": ("opted_in", "opted_out")},
    "consent_events": {
        "state": ("opted_in", "opted_out"),
        "source": ("first_text", "keyword", "widget", "admin", "provider"),
    },
    "conversations": {"status": ("open", "closed"), "source": ("sms", "widget")},
    "messages": {
        "direction": ("inbound", "outbound"),
        "kind": ("text", "auto"),
        "purpose": ("opt_in", "opt_out", "opt_in_again", "help", "confirmation"),
        "status": (
            "received",
            "ignored",
            "queued",
            "unknown",
            "blocked",
            "accepted",
            "scheduled",
            "sending",
            "sent",
            "delivered",
            "undelivered",
            "failed",
            "read",
            "canceled",
        ),
    },
    "conversation_events": {
        "type": (
            "claimed",
            "released",
            "reassigned",
            "participant_added",
            "participant_removed",
            "closed",
            "opted_out",
            "opted_in",
        )
    },
    "notifications": {"channel": ("email", "sms"), "status": ("queued", "sent", "failed")},
    "carrier_registrations": {
        "kind": ("10dlc", "toll_free"),
        "status": ("draft", "submitted", "approved", "rejected"),
    },
    "widgets": {
        "position": ("bottom-right", "bottom-left"),
        "mobile_behaviour": ("form", "sms_link"),
    },
    "outbox": {"channel": ("sms_mt", "sms_mo", "email")},
}


def upgrade():
    # Batch mode: SQLite adds a CHECK constraint only by building the table again.
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                allowed = ", ".join(f"'{value}'" for value in values)
                batch.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), f"{column} IN ({allowed})"
                )


def downgrade():
    for table, columns in reversed(CHECKS.items()):
        with op.batch_alter_table(table) as batch:
            for column in reversed(columns):
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
