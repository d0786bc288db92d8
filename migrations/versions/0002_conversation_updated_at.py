"""Conversations know when they last changed, for the portal's live updates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE conversations SET updated_at = last_message_at")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_conversations_account_updated", ["account_id", "updated_at"])


def downgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_account_updated")
        batch_op.drop_column("updated_at")
