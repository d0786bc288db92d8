"""Live updates: PostgreSQL tells `conversation_changes` listeners of each account whose
conversations changed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

A conversation added, or its `updated_at` moved (what the portal's change stamp reads), notifies
the channel `conversation_changes` with the account's id; PostgreSQL sends one notification per
distinct payload per transaction, so a batch of texts filed at once tells each account once. The
events process (`flask events`) listens on one connection. SQLite has no notifications: there the
portal asks every two seconds.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION conversation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('conversation_changes', NEW.account_id::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER conversation_added AFTER INSERT ON conversations "
        "FOR EACH ROW EXECUTE FUNCTION conversation_changed()"
    )
    op.execute(
        "CREATE TRIGGER conversation_changed AFTER UPDATE OF updated_at ON conversations "
        "FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at) "
        "EXECUTE FUNCTION conversation_changed()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER conversation_changed ON conversations")
    op.execute("DROP TRIGGER conversation_added ON conversations")
    op.execute("DROP FUNCTION conversation_changed()")
