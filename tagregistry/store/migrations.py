"""Named schema migrations, recorded in ``schema_migrations``.

Each migration is applied once, in order, in its own transaction. A database that records
a migration this library does not know was written by a newer tagregistry: opening it
raises SchemaVersionError before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, func, inspect, select, text, update

from tagregistry.errors import SchemaVersionError
from tagregistry.store.checksums import row_digest
from tagregistry.store.queries import ALL_BASES, records_query
from tagregistry.store.records import base_record
from tagregistry.store.schema import (
    Base,
    BaseModelRow,
    HeadRow,
    MigrationRow,
    TagRow,
    VersionCounterRow,
)
from tagregistry.store.transactions import run_write

#: key of the PostgreSQL advisory lock that serialises concurrent migrations
_PG_MIGRATION_LOCK = 0x7461677265670001

Migration = tuple[str, Callable[[Connection], None]]


def _initial(connection: Connection) -> None:
    tables = [BaseModelRow.__table__, TagRow.__table__, HeadRow.__table__]
    Base.metadata.create_all(connection, tables=tables)


def _version_counters(connection: Connection) -> None:
    """Per (name, base) version counters, so that deleted version numbers are never reused."""
    Base.metadata.create_all(connection, tables=[VersionCounterRow.__table__])
    for index in TagRow.__table__.indexes:
        if index.name == "ix_tags_name_version":
            index.create(connection, checkfirst=True)
    newest = select(TagRow.name, TagRow.base_model_id, func.max(TagRow.version)).group_by(
        TagRow.name, TagRow.base_model_id
    )
    connection.execute(
        VersionCounterRow.__table__.insert().from_select(
            ["name", "base_model_id", "last_version"], newest
        )
    )


def _record_checksums(connection: Connection) -> None:
    """A metadata checksum per tag version; existing rows get theirs computed now."""
    if "record_sha256" not in {c["name"] for c in inspect(connection).get_columns("tags")}:
        connection.execute(text("ALTER TABLE tags ADD COLUMN record_sha256 VARCHAR(64)"))
    bases = {row.id: base_record(row) for row in connection.execute(ALL_BASES)}
    digests = [
        {"row_id": row.id, "digest": row_digest(row, bases[row.base_model_id])}
        for row in connection.execute(records_query())
    ]
    if digests:
        connection.execute(
            update(TagRow.__table__)
            .where(TagRow.__table__.c.id == bindparam("row_id"))
            .values(record_sha256=bindparam("digest")),
            digests,
        )


MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_version_counters", _version_counters),
    ("0003_record_checksums", _record_checksums),
]


def applied_migrations(engine: Engine) -> list[str]:
    """Names recorded in the database (empty for a new database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(MigrationRow.__tablename__):
            return []
        return list(connection.scalars(select(MigrationRow.name)))


def check_not_newer(applied: list[str], where: str) -> None:
    """Raise if the database records migrations this library does not know."""
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise SchemaVersionError(
            f"the registry at {where} uses schema migrations {unknown} that this tagregistry "
            "does not know: it was written by a newer version; upgrade tagregistry "
            "(pip install -U tagregistry) — nothing was changed"
        )


def _refuse_unrecorded_schema(connection: Connection, where: str) -> None:
    """Registry tables without their migration records: ``schema_migrations`` was dropped
    (or emptied), so which migrations ran is unknown; running them all again would fail.

    Writers call this under the write lock: read outside it, another process's first
    migration could commit between reading the records and reading the tables.
    """
    if TagRow.__tablename__ in set(inspect(connection).get_table_names()):
        raise SchemaVersionError(
            f"the registry at {where} has tag tables but no record of its schema migrations "
            f"(table {MigrationRow.__tablename__} missing or empty): it was damaged outside "
            "tagregistry; restore a backup (tagregistry db backup makes one) — nothing was changed"
        )


def migrate(engine: Engine, where: str, *, read_only: bool = False) -> list[str]:
    """Apply pending migrations; return the names applied now.

    A ``read_only`` open applies nothing: pending migrations are an error there.
    """
    applied = applied_migrations(engine)
    check_not_newer(applied, where)
    if not applied and read_only:
        with engine.connect() as connection:
            _refuse_unrecorded_schema(connection, where)
    pending = [(name, step) for name, step in MIGRATIONS if name not in applied]
    if not pending:
        return []
    if read_only:
        raise SchemaVersionError(
            f"the registry at {where} needs schema migrations {[n for n, _ in pending]} but is "
            "open read-only; open it once with write access to upgrade it"
        )

    def apply(connection: Connection) -> list[str]:
        done: list[str] = []
        if connection.dialect.name == "postgresql":
            # DDL is transactional there but not serialised: take a lock (SQLite's
            # BEGIN IMMEDIATE already is one).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        Base.metadata.create_all(connection, tables=[MigrationRow.__table__])
        # Another process may have migrated while we waited for the write lock.
        recorded = set(connection.scalars(select(MigrationRow.name)))
        check_not_newer(sorted(recorded), where)
        if not recorded:
            _refuse_unrecorded_schema(connection, where)
        for name, step in pending:
            if name in recorded:
                continue
            step(connection)
            connection.execute(
                MigrationRow.__table__.insert().values(name=name, applied_at=datetime.now(UTC))
            )
            done.append(name)
        return done

    return run_write(engine, apply, where)
