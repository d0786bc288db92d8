"""Inbound texts keep the provider's opt-out match and are filed from an index of waiting texts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WAITING_WHERE = "direction = 'inbound' AND status = 'received' AND conversation_id IS NULL"


def upgrade():
    # Texts kept without a conversation because their number's SMS was not active are marked,
    # so they are not taken for texts waiting to be filed.
    op.execute(
        "UPDATE messages SET status = 'ignored' WHERE direction = 'inbound' "
        "AND status = 'received' AND conversation_id IS NULL AND tracking_number_id IN "
        "(SELECT id FROM tracking_numbers WHERE sms_state != 'active')"
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out_type", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_messages_waiting",
            ["id"],
            sqlite_where=sa.text(WAITING_WHERE),
            postgresql_where=sa.text(WAITING_WHERE),
        )


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_messages_waiting",
            sqlite_where=sa.text(WAITING_WHERE),
            postgresql_where=sa.text(WAITING_WHERE),
        )
        batch_op.drop_column("opt_out_type")
    op.execute(
        "UPDATE messages SET status = 'received' WHERE direction = 'inbound' "
        "AND status = 'ignored'"
    )
