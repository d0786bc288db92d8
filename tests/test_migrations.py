"""The migrations build the schema the models describe, from an empty database, on both engines."""

import uuid

import flask_migrate
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app import create_app
from app.config import database_url
from app.extensions import db
from tests.conftest import PG_URL, settings


def upgrade_and_compare(uri: str) -> None:
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=uri))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert {"conversations", "messages", "consent_events", "alembic_version"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_upgrade_an_empty_sqlite_database(tmp_path):
    upgrade_and_compare(f"sqlite:///{tmp_path / 'empty.db'}")


def test_migrations_upgrade_an_empty_postgresql_database():
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
        upgrade_and_compare(server.set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
