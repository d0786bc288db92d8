"""Indexes of the replies and notifications still queued, which the beat's sweep looks through

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

QUEUED = {
    "messages": ("ix_messages_queued", "direction = 'outbound' AND status = 'queued'"),
    "notifications": ("ix_notifications_queued", "status = 'queued'"),
}


def upgrade():
    for table, (name, where) in QUEUED.items():
        op.create_index(
            name,
            table,
            ["created_at"],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    for table, (name, where) in QUEUED.items():
        op.drop_index(name, table_name=table)
