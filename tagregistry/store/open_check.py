"""Check a registry by its URL, even one too damaged for :class:`TagStore` to open."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from tagregistry.errors import NotFoundError, StoreError
from tagregistry.store.engine import sqlite_path
from tagregistry.store.health import MAX_SQLITE_MESSAGES, CheckReport
from tagregistry.store.tag_store import TagStore


def check_url(url: str, *, read_only: bool = False) -> CheckReport:
    """:func:`~tagregistry.store.health.check_database` on the registry at ``url``, even one too damaged to open.

    When the registry cannot be opened, the report says why and, for a SQLite file, adds
    what SQLite's own integrity check finds in it. A SQLite file that does not exist is a
    ``NotFoundError`` (opening it would create an empty registry that checks ok).
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():  # opening it would create an empty registry
        raise NotFoundError(f"no registry at {path}: the file does not exist (check the path, "
                            "--db or $TAGREGISTRY_DB_URL); nothing was checked")
    try:
        store = TagStore(url, read_only=read_only)
    except StoreError as exc:
        report = CheckReport(str(path or url), problems=[f"cannot open: {exc}"])
        if path is not None and path.is_file():
            report.problems += _raw_integrity_check(path)
        return report
    try:
        return store.check()
    finally:
        store.close()


def _raw_integrity_check(path: Any) -> list[str]:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            messages = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        return [f"sqlite integrity_check: {exc}"]
    return [] if messages == ["ok"] else [f"sqlite integrity_check: {m}" for m in messages[:MAX_SQLITE_MESSAGES]]
