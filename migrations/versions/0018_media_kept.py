"""Pictures and files kept in the app's storage: where, how big, and an attachment's own name

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message_media") as batch:
        batch.add_column(sa.Column("storage_key", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("filename", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("message_media") as batch:
        batch.drop_column("filename")
        batch.drop_column("size")
        batch.drop_column("storage_key")
