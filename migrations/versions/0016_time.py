"""Time: scheduled texts, business hours and the after-hours reply, one opt-out for the account

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:00:00

Adding the status `cancelled`, the purpose `after_hours` and `held_for` to `messages` rebuilds
the table on SQLite (batch mode), which drops its search triggers with the old table: they are
made again here (the FTS5 table keeps its rows, by id).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PURPOSES = ("opt_in", "opt_out", "opt_in_again", "help", "confirmation")
PURPOSES_NOW = (*PURPOSES, "after_hours")
STATUSES = (
    "received",
    "ignored",
    "queued",
    "unknown",
    "blocked",
    "accepted",
    "scheduled",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "read",
    "canceled",
)
STATUSES_NOW = (*STATUSES, "cancelled")
HELD_FOR = ("quiet_hours",)

SEARCH_TRIGGERS = [
    "CREATE TRIGGER search_messages_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO search_messages(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_messages_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO search_messages(search_messages, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER search_messages_update AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO search_messages(search_messages, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO search_messages(rowid, body) VALUES (new.id, new.body); END",
]


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("after_hours_text", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "after_hours_reply", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(
            sa.Column(
                "opt_out_everywhere", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("after_hours_replied_at", sa.DateTime(), nullable=True))
    op.add_column("messages", sa.Column("send_at", sa.DateTime(), nullable=True))
    op.add_column("messages", sa.Column("held_for", sa.String(length=16), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_purpose"), type_="check")
        batch.drop_constraint(op.f("ck_messages_status"), type_="check")
        batch.create_check_constraint(op.f("ck_messages_purpose"), _in("purpose", PURPOSES_NOW))
        batch.create_check_constraint(op.f("ck_messages_status"), _in("status", STATUSES_NOW))
        batch.create_check_constraint(op.f("ck_messages_held_for"), _in("held_for", HELD_FOR))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SEARCH_TRIGGERS:
            op.execute(statement)
    op.create_index(
        "ix_messages_scheduled",
        "messages",
        ["send_at"],
        sqlite_where=sa.text("status = 'scheduled'"),
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    op.create_table(
        "business_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.SmallInteger(), nullable=False),
        sa.Column("closes", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_business_hours_weekday")),
        sa.CheckConstraint(
            "opens >= 0 AND opens < closes AND closes <= 1440", name=op.f("ck_business_hours_span")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_business_hours_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
    )
    op.create_index("ix_business_hours_account", "business_hours", ["account_id", "weekday"])
    op.create_table(
        "closed_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_closed_days_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_days")),
    )
    op.create_index(
        "uq_closed_days_account_day", "closed_days", ["account_id", "day"], unique=True
    )


def downgrade():
    op.drop_index("uq_closed_days_account_day", table_name="closed_days")
    op.drop_table("closed_days")
    op.drop_index("ix_business_hours_account", table_name="business_hours")
    op.drop_table("business_hours")
    op.drop_index("ix_messages_scheduled", table_name="messages")
    op.execute("UPDATE messages SET status = 'canceled' WHERE status = 'cancelled'")
    op.execute("UPDATE messages SET purpose = 'help' WHERE purpose = 'after_hours'")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER search_messages_{trigger}")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_held_for"), type_="check")
        batch.drop_column("held_for")
        batch.drop_column("send_at")
        batch.drop_constraint(op.f("ck_messages_purpose"), type_="check")
        batch.drop_constraint(op.f("ck_messages_status"), type_="check")
        batch.create_check_constraint(op.f("ck_messages_purpose"), _in("purpose", PURPOSES))
        batch.create_check_constraint(op.f("ck_messages_status"), _in("status", STATUSES))
    if sqlite:
        for statement in SEARCH_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("after_hours_replied_at")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("opt_out_everywhere")
        batch.drop_column("after_hours_reply")
        batch.drop_column("after_hours_text")
