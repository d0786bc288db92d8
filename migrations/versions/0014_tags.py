"""Tags: an account's labels, the conversations they are on, and the events of tagging

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLORS = ("gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")
# conversation_events.type as it stands before and after this revision.
TYPES = (
    "claimed",
    "released",
    "reassigned",
    "participant_added",
    "participant_removed",
    "closed",
    "opted_out",
    "opted_in",
)
TYPES_NOW = (*TYPES, "tagged", "untagged")


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("color", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("color", COLORS), name=op.f("ck_tags_color")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tags_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
    )
    op.create_index(
        "uq_tags_account_name", "tags", ["account_id", sa.text("lower(name)")], unique=True
    )
    op.create_table(
        "conversation_tags",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_tags_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_conversation_tags_tag_id_tags")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "tag_id", name=op.f("pk_conversation_tags")),
    )
    op.create_index(
        "ix_conversation_tags_tag", "conversation_tags", ["tag_id", "conversation_id"]
    )
    with op.batch_alter_table("conversation_events") as batch:
        batch.add_column(sa.Column("tag_name", sa.String(length=40), nullable=True))
        batch.drop_constraint(op.f("ck_conversation_events_type"), type_="check")
        batch.create_check_constraint(op.f("ck_conversation_events_type"), _in("type", TYPES_NOW))


def downgrade():
    op.execute("DELETE FROM conversation_events WHERE type IN ('tagged', 'untagged')")
    with op.batch_alter_table("conversation_events") as batch:
        batch.drop_constraint(op.f("ck_conversation_events_type"), type_="check")
        batch.create_check_constraint(op.f("ck_conversation_events_type"), _in("type", TYPES))
        batch.drop_column("tag_name")
    op.drop_index("ix_conversation_tags_tag", table_name="conversation_tags")
    op.drop_table("conversation_tags")
    op.drop_index("uq_tags_account_name", table_name="tags")
    op.drop_table("tags")
