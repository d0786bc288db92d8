"""Shared column helpers: every time is stored as naive UTC, on SQLite and PostgreSQL alike; and
the opening of a job's work on one row."""

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, Index, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one names nothing


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (how every timestamp column stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of only the rows `where` (SQL) holds, on SQLite and PostgreSQL alike."""
    return Index(
        name, *columns, unique=unique, sqlite_where=text(where), postgresql_where=text(where)
    )


SEARCH_PREFIX = "search_"  # the search objects, one set per engine: made by migration 0015 only


def modelled(name: str | None, type_: str, parent_names: dict) -> bool:
    """Whether a database object is one the models describe (Alembic's `include_name`): the
    search objects are not, so comparing models and database leaves them alone."""
    return not (name or "").startswith(SEARCH_PREFIX)


def upsert_insert(dialect: str | None = None):
    """The `insert` of the session's engine (or of `dialect`) that knows ON CONFLICT: the same
    statement on SQLite and PostgreSQL."""
    dialect = dialect or db.session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


def in_sql(column: str, values: Iterable[str]) -> str:
    """SQL condition: the column holds one of the values (for CHECK constraints and partial
    indexes, so both are written from the same lists the code uses)."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK constraint `ck_<table>_<column>`: the database refuses any other value (NULL
    passes, as for every CHECK)."""
    values = tuple(values)
    return CheckConstraint(
        in_sql(column, values), name=column, info={"column": column, "values": values}
    )


class CreatedMixin:
    """A `created_at` column set on insert."""

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


def locked_unless_done(model: type, row_id: int, status: str):
    """The row, locked until the commit, while it is still `status`; None once it is gone or has
    moved on. A second run of the same job (a redelivery, the beat's sweep) waits for the first,
    then finds the work done: jobs may run twice."""
    row = db.session.get(model, row_id, with_for_update=True)
    return row if row is not None and row.status == status else None
