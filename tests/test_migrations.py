"""Named schema migrations: recorded once, never re-applied, newer databases refused untouched."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect, text

from tagregistry.errors import SchemaVersionError
from tagregistry.registry import Registry
from tagregistry.store.engine import make_engine, sqlite_path
from tagregistry.store.migrations import MIGRATIONS, applied_migrations, migrate
from tagregistry.store.schema import Base

ALL = [name for name, _ in MIGRATIONS]
FUTURE = "9999_from_a_newer_tagregistry"


def _snapshot(url: str) -> object:
    """What a read-only open must leave unchanged: the SQLite file, or every table's rows."""
    path = sqlite_path(url)
    if path is not None:
        assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
        stat = path.stat()
        return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mtime_ns, stat.st_size
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            return {
                table: sorted(map(repr, connection.execute(text(f"SELECT * FROM {table}"))))
                for table in tables
            }
    finally:
        engine.dispose()


def _fill(url: str, base_record) -> None:
    with Registry(url) as reg:
        for i in range(3):
            reg.register("QED", np.full((1, 8), i, np.float32), base=base_record, kind="function")


def test_fresh_database_records_every_migration(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert applied_migrations(engine) == []
        assert migrate(engine, "test") == ALL
        assert ALL[0] == "0001_initial"
        assert sorted(applied_migrations(engine)) == sorted(ALL)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert migrate(engine, "test") == []  # reopening applies nothing
    finally:
        engine.dispose()


def test_reopening_applies_nothing_and_keeps_data(db_url: str, base_record) -> None:
    _fill(db_url, base_record)
    before = _snapshot(db_url)
    with Registry(db_url) as reg:
        assert reg.get("QED").version == 3
    assert _snapshot(db_url) == before


@pytest.mark.parametrize("pending", [False, True], ids=["complete", "with-pending"])
def test_newer_database_is_refused_and_left_untouched(db_url: str, base_record, pending) -> None:
    _fill(db_url, base_record)
    engine = make_engine(db_url)
    with engine.begin() as connection:
        if pending:  # a known migration is missing too: it must not be applied either
            connection.execute(text("DROP TABLE tag_counters"))
            connection.execute(text("DELETE FROM schema_migrations WHERE name <> '0001_initial'"))
        connection.execute(
            text("INSERT INTO schema_migrations (name, applied_at) VALUES (:n, CURRENT_TIMESTAMP)"),
            {"n": FUTURE},
        )
    engine.dispose()
    before = _snapshot(db_url)

    with pytest.raises(SchemaVersionError) as info:
        Registry(db_url)
    message = str(info.value)
    assert FUTURE in message and "newer" in message and "upgrade tagregistry" in message
    assert "nothing was changed" in message
    assert _snapshot(db_url) == before


def test_upgrade_from_the_first_schema(db_url: str, base_record) -> None:
    """A database written before 0002: the counters are created from the existing versions."""
    _fill(db_url, base_record)
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_tags_name_version"))
        connection.execute(text("DROP TABLE tag_counters"))
        connection.execute(text("DELETE FROM schema_migrations WHERE name <> '0001_initial'"))
    assert applied_migrations(engine) == ["0001_initial"]
    assert migrate(engine, "test") == ALL[1:]
    assert migrate(engine, "test") == []
    engine.dispose()
    with Registry(db_url) as reg:
        assert [r.version for r in reg.versions("QED")] == [1, 2, 3]
        record = reg.register("QED", np.zeros((1, 8), np.float32), base=base_record,
                              kind="function")
        assert record.version == 4


def test_cli_reports_a_newer_database_on_one_line(tmp_path: Path, base_record) -> None:
    from support.cli import run_cli

    url = f"sqlite:///{tmp_path / 'future.db'}"
    _fill(url, base_record)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO schema_migrations VALUES (:n, CURRENT_TIMESTAMP)"),
                           {"n": FUTURE})
    engine.dispose()
    done = run_cli("--db", url, "list", env={"TAGREGISTRY_HOME": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and FUTURE in lines[0]
    assert os.path.getsize(tmp_path / "future.db") > 0
