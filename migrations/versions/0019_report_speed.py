"""Reports group texts by UTC hour or quarter hour with `date_bin`: statistics on those groupings

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:30:00

On PostgreSQL the reports now find a text's hour (or quarter hour, for a zone that is not a whole
number of hours from UTC) with `date_bin`, plain arithmetic, instead of `date_part('epoch', …)`,
which works through the calendar. The statistics that tell the planner how few buckets a period's
texts fall in follow the new expressions, so that it still expects a few thousand groups and
counts them in parallel. SQLite has no such statistics.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

STATISTICS = {
    "st_messages_report_hours": "'1 hour'",
    "st_messages_report_quarter_hours": "'15 minutes'",
}
BUCKETS = (
    "CREATE STATISTICS IF NOT EXISTS st_messages_report_buckets "
    "ON (floor(date_part('epoch', created_at) / 900)), direction, sent_by_id FROM messages"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP STATISTICS IF EXISTS st_messages_report_buckets")
    for name, width in STATISTICS.items():
        op.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} "
            f"ON (date_bin({width}, created_at, '2000-01-01')), sent_by_id FROM messages"
        )
    op.execute("ANALYZE messages")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
    op.execute(BUCKETS)
    op.execute("ANALYZE messages")
