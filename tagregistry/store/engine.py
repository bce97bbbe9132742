"""Database URLs and engines: SQLite (WAL, bounded lock waits, immediate write locks) or any URL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from tagregistry.errors import StoreError
from tagregistry.store.faults import cannot_open
from tagregistry.store.transactions import LOCK_SLICE_MS, NOTICE_AFTER_S, lock_timeout, log

#: how long one SQLite statement waits for a lock (reads, commits)
SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
_EXAMPLE_URLS = "sqlite:////abs/path/registry.db or postgresql+psycopg://user@host/dbname"


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


def read_only_default() -> bool:
    """``$TAGREGISTRY_READ_ONLY`` set to a true value (``1``, ``true``, ``yes``)."""
    return os.environ.get("TAGREGISTRY_READ_ONLY", "").strip().lower() in ("1", "true", "yes", "on")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise bad_url(url, exc) from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    if str(parsed.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        database = unquote(urlsplit(database).path)  # "file:/a/b.db?mode=ro" -> "/a/b.db"
        if database in ("", ":memory:"):
            return None
    return Path(database)


def bad_url(url: str, exc: BaseException) -> StoreError:
    """The error for a URL that SQLAlchemy cannot use."""
    return StoreError(
        f"{url!r} is not a usable database URL ({exc}); write e.g. {_EXAMPLE_URLS} "
        "(--db or TAGREGISTRY_DB_URL)"
    )


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes.

    ``read_only`` opens a SQLite file with ``mode=ro`` (falling back to ``immutable=1`` when
    its folder cannot hold the ``-shm`` file), so a registry in a read-only folder can be read.
    """
    path = sqlite_path(url)
    if path is None:
        return _server_engine(url)
    if path.is_dir():
        raise cannot_open(path)
    if read_only:
        if not path.is_file():
            raise StoreError(f"cannot open {path} read-only: there is no such file")
        engine = create_engine(url, creator=lambda: _read_only_connection(path))
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreError(
                f"cannot create the registry {path}: {exc.filename} or a folder above it is a "
                "file, not a folder; point TAGREGISTRY_HOME (or --db) at a folder"
            ) from exc
        except PermissionError as exc:
            raise StoreError(f"cannot create the folder of the registry {path} ({exc})") from exc
        engine = _sqlite_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not read_only:  # needs the file's lock: waited for in reported slices
            cursor.execute(f"PRAGMA busy_timeout={LOCK_SLICE_MS}")
            patiently(lambda: cursor.execute("PRAGMA journal_mode=WAL"), str(path))
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")  # reads without copies: 2x faster lists
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        if not connection.get_execution_options().get("write", False):
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_SLICE_MS}")
            try:
                patiently(lambda: connection.exec_driver_sql("SELECT count(*) FROM sqlite_master"),
                          str(path))
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            return
        # wait for the write lock in short slices, so the caller can report and give up
        connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_SLICE_MS}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    return engine


def patiently(statement: Callable[[], Any], where: str) -> None:
    """Run ``statement`` (under a short busy timeout) until another process's lock on the
    SQLite file lets it through: reported after a few seconds, given up after the lock
    timeout, as for writers, instead of a silent 60 s wait."""
    import time

    start = time.monotonic()
    noticed = False
    while True:
        try:
            statement()
            return
        except (DBAPIError, sqlite3.OperationalError) as exc:
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            if not isinstance(cause, sqlite3.OperationalError) or "locked" not in str(cause):
                raise
        waited, timeout = time.monotonic() - start, lock_timeout()
        if waited >= timeout:
            raise StoreError(
                f"gave up after waiting {waited:.0f} s for the registry {where}: another process "
                "holds it locked; let it finish (or stop it) and try again, or wait longer with "
                "TAGREGISTRY_LOCK_TIMEOUT=SECONDS"
            )
        if not noticed and waited >= NOTICE_AFTER_S:
            noticed = True
            log.warning("tagregistry: waiting for the registry %s: another process holds it "
                        "locked (giving up after %g s; TAGREGISTRY_LOCK_TIMEOUT)", where, timeout)


def _sqlite_engine(url: str) -> Engine:
    """``create_engine`` for a SQLite file; URL parameters SQLite would ignore are an error
    naming them (SQLAlchemy only warns, and the setting silently does nothing)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    for warning in caught:
        if issubclass(warning.category, SAWarning) and "Query string argument" in str(warning.message):
            engine.dispose()
            reason = str(warning.message).split(" (Background", 1)[0].rstrip(".")
            raise StoreError(f"{url!r}: {reason}; remove them (or add uri=true for SQLite URI "
                             "parameters such as mode=ro)")
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return engine


def _read_only_connection(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}"
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    try:
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError:
        # a WAL database in a folder where the -shm file cannot be created
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=timeout, check_same_thread=False)


def _server_engine(url: str) -> Engine:
    try:
        return create_engine(url, pool_pre_ping=True)
    except ArgumentError as exc:
        raise bad_url(url, exc) from exc
    except NoSuchModuleError as exc:
        raise StoreError(
            f"{url!r} names a database dialect that is not installed ({exc}); write e.g. "
            f"{_EXAMPLE_URLS}"
        ) from exc
    except ModuleNotFoundError as exc:
        hint = ""
        if url.startswith("postgresql"):
            hint = ("; tagregistry tests and documents psycopg 3: write postgresql+psycopg://... "
                    "and pip install 'psycopg[binary]'")
        raise StoreError(
            f"the database driver {exc.name!r} for {url.split(':', 1)[0]} URLs is not installed"
            f"{hint}"
        ) from exc
