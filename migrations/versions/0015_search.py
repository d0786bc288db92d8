"""Search: words of texts and notes, contacts' phones and names; a recency index across tabs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:10:00

The search objects are named `search_…` and live here only, not in the models: they differ by
engine. PostgreSQL: GIN indexes of the texts' and notes' words (English stemming), kept by the
database itself; a text joins its index when it is filed into a conversation, not when the
webhook stores it; trigram indexes (pg_trgm) of the contacts' phones and names, for any run of
digits and any part of a name. SQLite: FTS5 tables of the texts' and notes' words (Porter
stemming), kept by triggers in the same transaction as the row.

A later migration that rebuilds `messages` or `notes` on SQLite (batch mode) drops the triggers
with the old table: it must create them again.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Each table whose `body` is searched by words.
SEARCHED = ("messages", "notes")


def _fts5(table: str) -> list[str]:
    """The FTS5 table of `table`'s bodies, filled from it, and the triggers that keep it."""
    fts = f"search_{table}"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(body, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61')",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.id, new.body); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.id, old.body); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF body ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.id, old.body); "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.id, new.body); END",
    ]


POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_messages ON messages USING gin "
    "(to_tsvector('english'::regconfig, body)) WHERE conversation_id IS NOT NULL",
    "CREATE INDEX search_notes ON notes USING gin (to_tsvector('english'::regconfig, body))",
    "CREATE INDEX search_contacts_phone ON contacts USING gin (phone gin_trgm_ops)",
    "CREATE INDEX search_contacts_name ON contacts USING gin (name gin_trgm_ops)",
]


def upgrade():
    op.create_index(
        "ix_conversations_account_recent", "conversations", ["account_id", "last_message_at", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
            op.execute(statement)
    else:
        for table in SEARCHED:
            for statement in _fts5(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for index in ("search_contacts_name", "search_contacts_phone", "search_notes"):
            op.execute(f"DROP INDEX {index}")
        op.execute("DROP INDEX search_messages")
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    else:
        for table in SEARCHED:
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER search_{table}_{trigger}")
            op.execute(f"DROP TABLE search_{table}")
    op.drop_index("ix_conversations_account_recent", table_name="conversations")
