"""Database faults as one-line :class:`StoreError` messages: what is wrong and what to do.

The drivers' own messages ("unable to open database file", "no such table: tags") name
neither the file nor a remedy; :func:`describe` adds both.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from tagregistry.errors import StoreError

READ_ONLY_HINT = "open it read-only with `tagregistry --read-only ...` (or TAGREGISTRY_READ_ONLY=1)"
_MISSING_TABLE = re.compile(r'no such table: (\w+)|relation "(\w+)" does not exist')
_RESTORE = (
    "restore it from a backup (`tagregistry db backup` makes one) or move it away to start "
    "a new registry; `tagregistry db check` lists the damage"
)


def first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL echo and background link."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def describe(exc: BaseException, where: str, path: Path | None, read_only: bool = False) -> StoreError:
    """A :class:`StoreError` for a database exception raised while using ``where``."""
    message = first_line(exc)
    low = message.lower()
    missing = _MISSING_TABLE.search(message)
    if missing:
        table = missing.group(1) or missing.group(2)
        return StoreError(
            f"the registry {where} has no table {table!r}: it was damaged or changed outside "
            f"tagregistry; {_RESTORE}"
        )
    if "file is not a database" in low or "malformed" in low or "not a database" in low:
        return StoreError(f"{where} is damaged or not a registry database ({message}); {_RESTORE}")
    if "readonly" in low or "read-only" in low:
        if read_only:
            return StoreError(f"the registry {where} is open read-only: nothing can be written to it")
        return StoreError(
            f"the registry {where} cannot be written: the file or its folder is read-only "
            f"({message}); make them writable, or {READ_ONLY_HINT}"
        )
    if "unable to open database file" in low and path is not None:
        return cannot_open(path, message)
    if "disk is full" in low or "disk i/o error" in low:
        return StoreError(f"the registry {where} could not be written ({message}); free disk space "
                          "or check the storage, then try again")
    if "could not connect" in low or "connection refused" in low or "connection to server" in low:
        return StoreError(f"cannot connect to the registry database {where} ({message}); check the "
                          "URL, that the server runs and accepts you, then try again")
    return StoreError(f"database error on the registry {where}: {message}")


def cannot_open(path: Path, message: str = "unable to open database file") -> StoreError:
    """Why SQLite could not open ``path``: a folder in its place, or a read-only folder."""
    if path.is_dir():
        return StoreError(
            f"{path} is a folder, not a registry file: move it away, or point --db / "
            "TAGREGISTRY_HOME elsewhere"
        )
    folder = path.parent
    if not folder.is_dir():
        return StoreError(f"cannot open {path}: {folder} is not a folder; point --db / "
                          "TAGREGISTRY_HOME at a folder")
    if not os.access(folder, os.W_OK):
        return StoreError(
            f"cannot open {path} for writing: its folder {folder} is read-only (SQLite creates "
            f"{path.name}-wal and {path.name}-shm beside it); make the folder writable, or "
            f"{READ_ONLY_HINT}"
        )
    return StoreError(f"cannot open the registry {path} ({message})")


@contextmanager
def translated(where: str, path: Path | None, read_only: bool = False) -> Iterator[None]:
    """Re-raise database exceptions from the body as :class:`StoreError`."""
    try:
        yield
    except (DBAPIError, sqlite3.Error) as exc:
        raise describe(exc, where, path, read_only) from exc
