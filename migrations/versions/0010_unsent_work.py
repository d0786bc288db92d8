"""Indexes of the texts and notifications still to send, which the beat's sweep looks through,
and of the texts we send by their provider's SID, which each delivery status looks up

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = [
    (
        "ix_messages_unsent",
        "messages",
        "created_at",
        "direction = 'outbound' AND status IN ('queued', 'unknown')",
    ),
    ("ix_messages_outbound_sid", "messages", "provider_sid", "direction = 'outbound'"),
    ("ix_notifications_queued", "notifications", "created_at", "status = 'queued'"),
]


def upgrade():
    for name, table, column, where in INDEXES:
        op.create_index(
            name, table, [column], sqlite_where=sa.text(where), postgresql_where=sa.text(where)
        )


def downgrade():
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
