"""Carrier registrations: brand & campaign, toll-free verification

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 04:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "carrier_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_carrier_registrations_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_carrier_registrations_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_registrations")),
    )
    with op.batch_alter_table("carrier_registrations", schema=None) as batch_op:
        batch_op.create_index("ix_carrier_registrations_account", ["account_id", "kind", "id"])


def downgrade():
    with op.batch_alter_table("carrier_registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_carrier_registrations_account")
    op.drop_table("carrier_registrations")
