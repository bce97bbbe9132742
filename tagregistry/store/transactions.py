"""Read connections and write transactions with bounded retries of lock timeouts and races."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tagregistry.errors import TagRegistryError

T = TypeVar("T")
WRITE_ATTEMPTS = 40
#: lock waits that timed out and aborted races (SQLite, PostgreSQL): worth another attempt
_TRANSIENT = ("locked", "deadlock detected", "could not serialize")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads."""
    with engine.connect() as connection:
        yield connection


def write(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction, retrying lock timeouts and version races."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with engine.connect().execution_options(write=True) as connection:
                with Session(bind=connection, expire_on_commit=False) as session:
                    with connection.begin():
                        result = work(session)
                        session.flush()
                    return result
        except (OperationalError, SAIntegrityError) as exc:
            retriable = isinstance(exc, SAIntegrityError) or any(
                sign in str(exc).lower() for sign in _TRANSIENT
            )
            if not retriable or attempt == WRITE_ATTEMPTS - 1:
                if isinstance(exc, SAIntegrityError):
                    raise TagRegistryError(f"could not write to the registry: {exc.orig}") from exc
                raise TagRegistryError(
                    f"the registry database is busy or unavailable ({exc.orig}); try again"
                ) from exc
            time.sleep(random.uniform(0.005, 0.05) * (1 + attempt))
    raise AssertionError("unreachable")
