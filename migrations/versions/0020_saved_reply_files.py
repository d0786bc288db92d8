"""Saved replies carry pictures and files

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_reply_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_reply_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=34), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_reply_id"],
            ["saved_replies.id"],
            name=op.f("fk_saved_reply_files_saved_reply_id_saved_replies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reply_files")),
    )
    op.create_index(
        "ix_saved_reply_files_reply", "saved_reply_files", ["saved_reply_id", "position"]
    )


def downgrade():
    op.drop_index("ix_saved_reply_files_reply", table_name="saved_reply_files")
    op.drop_table("saved_reply_files")
