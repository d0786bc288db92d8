"""Conversations keep their first claim and first reply; indexes for the reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FAILED_WHERE = "status IN ('failed', 'undelivered', 'blocked')"
# What the reports group a period's texts by on PostgreSQL: with statistics on it the planner
# expects a few thousand groups, not one per text, and aggregates in parallel.
BUCKET_STATISTICS = (
    "CREATE STATISTICS st_messages_report_buckets "
    "ON (floor(date_part('epoch', created_at) / 900)), direction, sent_by_id FROM messages"
)


def upgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_claimed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_replied_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_replied_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conversations_first_claimed_by_id_users"),
            "users",
            ["first_claimed_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_conversations_first_replied_by_id_users"),
            "users",
            ["first_replied_by_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_conversations_number_created", ["tracking_number_id", "created_at"]
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_number_created", ["tracking_number_id", "created_at"])
        batch_op.create_index(
            "ix_messages_failed",
            ["tracking_number_id", "created_at"],
            sqlite_where=sa.text(FAILED_WHERE),
            postgresql_where=sa.text(FAILED_WHERE),
        )

    # The firsts of the conversations so far, from their events and texts.
    first_claim = (
        "SELECT {column} FROM conversation_events e WHERE e.conversation_id = conversations.id "
        "AND e.type = 'claimed' ORDER BY e.created_at, e.id LIMIT 1"
    )
    first_reply = (
        "SELECT {column} FROM messages m WHERE m.conversation_id = conversations.id "
        "AND m.direction = 'outbound' AND m.kind = 'text' ORDER BY m.created_at, m.id LIMIT 1"
    )
    op.execute(
        "UPDATE conversations SET "
        f"first_claimed_at = ({first_claim.format(column='e.created_at')}), "
        f"first_claimed_by_id = ({first_claim.format(column='e.user_id')}), "
        f"first_replied_at = ({first_reply.format(column='m.created_at')}), "
        f"first_replied_by_id = ({first_reply.format(column='m.sent_by_id')})"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BUCKET_STATISTICS)
        op.execute("ANALYZE messages")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_messages_report_buckets")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_failed")
        batch_op.drop_index("ix_messages_number_created")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_number_created")
        batch_op.drop_constraint(
            batch_op.f("fk_conversations_first_replied_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_conversations_first_claimed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("first_replied_by_id")
        batch_op.drop_column("first_replied_at")
        batch_op.drop_column("first_claimed_by_id")
        batch_op.drop_column("first_claimed_at")
