"""Database URLs and engines: SQLite (WAL, busy timeout, immediate write locks) or any URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def registry_home() -> Path:
    """``$TAGREGISTRY_HOME``, or the platform's user data dir for ``tagregistry``."""
    env = os.environ.get("TAGREGISTRY_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("tagregistry", appauthor=False)


def default_url() -> str:
    """``$TAGREGISTRY_DB_URL`` or the SQLite file ``$TAGREGISTRY_HOME/registry.db``."""
    env = os.environ.get("TAGREGISTRY_DB_URL")
    if env:
        return env
    return f"sqlite:///{registry_home() / 'registry.db'}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes."""
    path = sqlite_path(url)
    if path is None:
        return create_engine(url, pool_pre_ping=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")  # reads without copies: 2x faster lists
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
