"""Per-user versions that end earlier sessions and links, and the tries of work still to send

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = [
    ("users", "session_version"),
    ("users", "link_version"),
    ("messages", "attempts"),
    ("notifications", "attempts"),
]


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
