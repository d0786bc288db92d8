"""The migrations build the schema the models describe, from an empty database, on both engines,
and undo it down to an empty database and build it again."""

import contextlib
import uuid
import warnings

import flask_migrate
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import CheckConstraint, insert, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import database_url
from app.extensions import db
from app.models import (
    Account,
    BusinessHours,
    CarrierRegistration,
    Consent,
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    Message,
    Notification,
    OutboxItem,
    Tag,
    TrackingNumber,
    User,
    Widget,
)
from app.models.base import modelled
from tests.support import PG_URL, settings


def migrated_app(uri: str):
    return create_app(settings(SQLALCHEMY_DATABASE_URI=uri))


def assert_models_and_database_agree() -> None:
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite's reflection does not read an index on an expression (tags' lower(name));
        # test_a_tag_name_is_unique_in_its_account_whatever_its_case shows the database keeps it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        tables = set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"include_name": modelled})
        diff = compare_metadata(context, db.metadata)
    assert {"conversations", "messages", "consent_events", "alembic_version"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"


def upgrade_and_compare(uri: str) -> None:
    with migrated_app(uri).app_context():
        flask_migrate.upgrade()
        assert_models_and_database_agree()
        db.engine.dispose()


# The names of what a database holds: tables, indexes, sequences, types, statistics.
SCHEMA_OBJECTS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
    "postgresql": """
        SELECT relname FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace
            WHERE nspname = 'public'
        UNION ALL SELECT typname FROM pg_type JOIN pg_namespace n ON n.oid = typnamespace
            WHERE nspname = 'public' AND typtype IN ('e', 'd')
        UNION ALL SELECT stxname FROM pg_statistic_ext JOIN pg_namespace n ON n.oid = stxnamespace
            WHERE nspname = 'public'
        UNION ALL SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace
            WHERE nspname = 'public'
    """,
}


def downgrade_upgrade_and_compare(uri: str) -> None:
    """Up to the head, down one revision at a time to an empty database, up to the head again."""
    with migrated_app(uri).app_context():
        flask_migrate.upgrade()
        revisions = ScriptDirectory.from_config(
            current_app.extensions["migrate"].migrate.get_config()
        )
        for revision in revisions.walk_revisions():  # the head first
            flask_migrate.downgrade(revision=revision.down_revision or "base")
            with db.engine.connect() as conn:
                version = conn.scalar(text("SELECT version_num FROM alembic_version"))
            assert version == revision.down_revision, f"downgrading {revision.revision}"
        with db.engine.connect() as conn:
            left = set(conn.scalars(text(SCHEMA_OBJECTS[conn.dialect.name])))
        assert left <= {"alembic_version", "alembic_version_pkc"}, "left after the downgrades"
        flask_migrate.upgrade()
        assert_models_and_database_agree()
        db.engine.dispose()


@contextlib.contextmanager
def throwaway_postgresql_database():
    """The URI of a new, empty database on the test server, dropped afterwards."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass (set TEST_DATABASE_URL)")
    server = make_url(database_url(PG_URL))
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migrations_upgrade_an_empty_sqlite_database(tmp_path):
    upgrade_and_compare(f"sqlite:///{tmp_path / 'empty.db'}")


def test_migrations_upgrade_an_empty_postgresql_database():
    with throwaway_postgresql_database() as uri:
        upgrade_and_compare(uri)


def test_migrations_downgrade_to_empty_and_upgrade_again_on_sqlite(tmp_path):
    downgrade_upgrade_and_compare(f"sqlite:///{tmp_path / 'empty.db'}")


def test_migrations_downgrade_to_empty_and_upgrade_again_on_postgresql():
    with throwaway_postgresql_database() as uri:
        downgrade_upgrade_and_compare(uri)


def one_row_in_each_checked_table() -> None:
    """An account with one of every row a CHECK constraint guards, committed."""
    account = Account(name="Acme Plumbing")
    user = User(
        account=account, email="ada@acme.test", first_name="Ada", last_name="A", role="admin"
    )
    number = TrackingNumber(account=account, number="+15005550101", label="Main line")
    db.session.add_all([account, user, number])
    db.session.flush()
    contact = Contact(account_id=account.id, phone="+15555550100")
    db.session.add(contact)
    db.session.flush()
    conversation = Conversation(
        account_id=account.id, tracking_number=number, contact=contact, last_message_preview="Hi"
    )
    consent = Consent(contact=contact, tracking_number_id=number.id)
    db.session.add_all([conversation, consent])
    db.session.flush()
    message = Message(
        tracking_number_id=number.id,
        conversation=conversation,
        direction="inbound",
        from_number=contact.phone,
        to_number=number.number,
        status="received",
    )
    db.session.add(message)
    db.session.flush()
    db.session.add_all(
        [
            ConversationEvent(conversation_id=conversation.id, type="claimed", user_id=user.id),
            Notification(
                user=user, conversation=conversation, message_id=message.id, channel="email"
            ),
            ConsentEvent(consent=consent, state="opted_in", source="first_text", message=message),
            CarrierRegistration(account=account, data={}),
            Widget(account=account, tracking_number=number),
            OutboxItem(channel="email", sender="app@acme.test", recipient="ada@acme.test"),
            Tag(account_id=account.id, name="VIP"),
        ]
    )
    db.session.commit()


def test_the_migrated_database_refuses_a_status_or_kind_the_code_does_not_know(ctx):
    one_row_in_each_checked_table()
    checks = [
        (table, check)
        for table in db.metadata.sorted_tables
        for check in table.constraints
        if isinstance(check, CheckConstraint) and "values" in check.info  # a list, not a range
    ]
    assert {f"{table.name}.{check.info['column']}" for table, check in checks} >= {
        "messages.status",
        "messages.kind",
        "messages.direction",
        "messages.purpose",
        "conversations.status",
        "conversation_events.type",
        "notifications.status",
        "users.role",
        "tracking_numbers.sms_state",
        "consents.state",
        "consent_events.source",
        "carrier_registrations.status",
        "widgets.position",
    }
    for table, check in checks:
        column = table.c[check.info["column"]]
        with db.engine.begin() as conn:
            for value in check.info["values"]:  # every value the code knows is taken
                assert conn.execute(update(table).values({column: value})).rowcount == 1
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(update(table).values({column: "bogus"}))
        with db.engine.connect() as conn:
            assert "bogus" not in conn.scalars(select(column)).all(), f"{table.name}.{column.name}"


def test_a_tag_name_is_unique_in_its_account_whatever_its_case(ctx):
    one_row_in_each_checked_table()
    account_id = db.session.scalar(select(Tag.account_id))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(Tag).values(account_id=account_id, name="vip", color="red"))


@pytest.mark.parametrize(
    "weekday, opens, closes",
    [(7, 540, 1020), (-1, 540, 1020), (0, 1020, 540), (0, 540, 540), (0, -1, 60), (0, 60, 1441)],
)
def test_the_migrated_database_refuses_an_opening_out_of_its_day(ctx, weekday, opens, closes):
    one_row_in_each_checked_table()
    account_id = db.session.scalar(select(Tag.account_id))
    row = {"account_id": account_id, "weekday": weekday, "opens": opens, "closes": closes}
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(BusinessHours).values(row))
    with db.engine.begin() as conn:  # a whole day, 0:00 to 24:00, is one
        conn.execute(
            insert(BusinessHours).values({**row, "weekday": 6, "opens": 0, "closes": 1440})
        )
