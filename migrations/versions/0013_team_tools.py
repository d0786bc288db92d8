"""Contacts' notes, internal notes with mentions, saved replies, and texts the business starts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# consent_events.source as it stands before and after this revision.
SOURCES = ("first_text", "keyword", "widget", "admin", "provider")
SOURCES_NOW = (*SOURCES, "agent")


def _sources(values) -> str:
    return "source IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("opt_out_line_text", sa.Text(), nullable=True))

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_notes_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index("ix_notes_conversation", "notes", ["conversation_id", "id"])
    op.create_table(
        "note_mentions",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes.id"], name=op.f("fk_note_mentions_note_id_notes")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_note_mentions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("note_id", "user_id", name=op.f("pk_note_mentions")),
    )
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_saved_replies_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_replies_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
    )
    op.create_index("ix_saved_replies_account_user", "saved_replies", ["account_id", "user_id"])

    # A mention's notification tells of a note, not a text.
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("message_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("note_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_note_id_notes"), "notes", ["note_id"], ["id"]
        )

    with op.batch_alter_table("consent_events") as batch:
        batch.drop_constraint(op.f("ck_consent_events_source"), type_="check")
        batch.create_check_constraint(op.f("ck_consent_events_source"), _sources(SOURCES_NOW))


def downgrade():
    op.execute("DELETE FROM consent_events WHERE source = 'agent'")
    with op.batch_alter_table("consent_events") as batch:
        batch.drop_constraint(op.f("ck_consent_events_source"), type_="check")
        batch.create_check_constraint(op.f("ck_consent_events_source"), _sources(SOURCES))

    op.execute("DELETE FROM notifications WHERE note_id IS NOT NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("fk_notifications_note_id_notes"), type_="foreignkey")
        batch.drop_column("note_id")
        batch.alter_column("message_id", existing_type=sa.Integer(), nullable=False)

    op.drop_index("ix_saved_replies_account_user", table_name="saved_replies")
    op.drop_table("saved_replies")
    op.drop_table("note_mentions")
    op.drop_index("ix_notes_conversation", table_name="notes")
    op.drop_table("notes")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("opt_out_line_text")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("notes")
