"""Reads and write transactions: bounded lock waits, retried races, a guard on the SQLite file.

A writer blocked by another process's transaction waits in short slices; after
``NOTICE_AFTER_S`` it logs (stderr by default) that it is waiting, and after
``$TAGREGISTRY_LOCK_TIMEOUT`` seconds (default 60) it gives up with a :class:`StoreError`.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from tagregistry.errors import StoreError
from tagregistry.store.faults import describe, first_line, translated

T = TypeVar("T")
log = logging.getLogger("tagregistry")
DEFAULT_LOCK_TIMEOUT_S = 60.0
NOTICE_AFTER_S = 3.0
#: how long one attempt to take the write lock waits; the caller retries up to its deadline
LOCK_SLICE_MS = 500
#: unique-constraint races (two writers took the same new row) are retried this often
RACE_ATTEMPTS = 40
#: lock waits that timed out and aborted races (SQLite, PostgreSQL): worth another attempt
_TRANSIENT = ("locked", "lock timeout", "deadlock detected", "could not serialize")


def lock_timeout() -> float:
    """Seconds a writer waits for another process's transaction: ``$TAGREGISTRY_LOCK_TIMEOUT``."""
    raw = os.environ.get("TAGREGISTRY_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise StoreError(f"TAGREGISTRY_LOCK_TIMEOUT={raw!r}: write a number of seconds above 0, e.g. 60")
    return value


def file_identity(path: Path | None) -> tuple[int, int] | None:
    """``(device, inode)`` of a SQLite file, ``None`` when there is none."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class Database:
    """An engine plus what is needed to report faults on it and to guard its file."""

    def __init__(self, engine: Engine, where: str, path: Path | None, read_only: bool = False) -> None:
        self.engine = engine
        self.where = where
        self.path = path
        self.read_only = read_only
        self.identity: tuple[int, int] | None = None

    def pin_file(self) -> None:
        """Remember which file this process opened (call once the database is open)."""
        self.identity = file_identity(self.path)

    def check_file(self) -> None:
        """Refuse to go on if the SQLite file was deleted or replaced since it was opened."""
        if self.identity is None or self.path is None:
            return
        now = file_identity(self.path)
        if now != self.identity:
            state = "deleted" if now is None else "replaced by another file"
            raise StoreError(
                f"the registry file {self.path} was {state} while this process had it open; "
                "nothing was read or written (a write would have been lost): open the registry "
                "again (rerun the command) to use the file that is there now"
            )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads; database faults become :class:`StoreError`. A SQLite file
        deleted or replaced since it was opened is refused, as for writes."""
        self.check_file()
        with translated(self.where, self.path, self.read_only):
            with self.engine.connect() as connection:
                yield connection

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction (see :func:`run_write`)."""

        def in_session(connection: Connection) -> T:
            with Session(bind=connection, expire_on_commit=False) as session:
                result = work(session)
                session.flush()
            self.check_file()
            return result

        return run_write(self.engine, in_session, self.where, self.path, self.read_only)


def run_write(
    engine: Engine,
    work: Callable[[Connection], T],
    where: str,
    path: Path | None = None,
    read_only: bool = False,
) -> T:
    """Run ``work`` in a write transaction, waiting for locks up to :func:`lock_timeout`."""
    if read_only:
        raise StoreError(f"the registry {where} is open read-only: nothing can be written to it")
    timeout = lock_timeout()
    start = time.monotonic()
    races = 0
    noticed = False
    while True:
        try:
            with engine.connect().execution_options(write=True) as connection:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_SLICE_MS}ms'")
                    return work(connection)
        except SAIntegrityError as exc:
            races += 1
            if races >= RACE_ATTEMPTS:
                raise StoreError(f"could not write to the registry {where}: {first_line(exc)}") from exc
        except OperationalError as exc:
            if not any(sign in str(exc).lower() for sign in _TRANSIENT):
                raise describe(exc, where, path, read_only) from exc
            waited = time.monotonic() - start
            if waited >= timeout:
                raise StoreError(
                    f"gave up after waiting {waited:.0f} s for the registry {where}: another "
                    "process holds a write transaction on it; let it finish (or stop it) and try "
                    "again, or wait longer with TAGREGISTRY_LOCK_TIMEOUT=SECONDS"
                ) from exc
            if not noticed and waited >= NOTICE_AFTER_S:
                noticed = True
                log.warning(
                    "tagregistry: waiting for the registry %s: another process holds a write "
                    "transaction on it (giving up after %g s; TAGREGISTRY_LOCK_TIMEOUT)",
                    where, timeout,
                )
        except DBAPIError as exc:
            raise describe(exc, where, path, read_only) from exc
        time.sleep(random.uniform(0.005, 0.05) * (1 + min(races, 10)))
