"""Local files to look after: a registry's database file (where it is, whether it is sound,
a consistent copy) and the per-user cache of converted base models (where, whether sound).

These work without opening a :class:`~tagregistry.registry.Registry`: a registry too
damaged to open can still be located and checked.
"""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from tagregistry.errors import InvalidNameError

if TYPE_CHECKING:
    from tagregistry.models.cache_check import FolderCheck
    from tagregistry.store.health import CheckReport


def registry_location(url: str | None = None) -> tuple[str, Path | None]:
    """The registry's URL (``url``, else ``$TAGREGISTRY_DB_URL`` or the default SQLite file)
    and its SQLite file (``None`` for server databases)."""
    from tagregistry.store.engine import default_url, sqlite_path

    url = url or default_url()
    return url, sqlite_path(url)


def check_registry(url: str | None = None, *, read_only: bool | None = None) -> CheckReport:
    """Verify the registry at ``url`` (default as :func:`registry_location`), even one too
    damaged to open: the report says why it cannot be opened, plus what SQLite's own
    integrity check finds in the file. A SQLite file that does not exist is a NotFoundError."""
    from tagregistry.store.engine import default_url, read_only_default
    from tagregistry.store.open_check import check_url

    return check_url(url or default_url(),
                     read_only=read_only_default() if read_only is None else read_only)


def backup_sqlite(source: Path | None, path: str | Path) -> Path:
    """A consistent copy of the SQLite file ``source`` at ``path`` (online backup API)."""
    import sqlite3

    if source is None:
        raise InvalidNameError(
            "db backup works on SQLite registries; use your server's tools (pg_dump) for others"
        )
    target = Path(path)
    if target.exists():
        raise InvalidNameError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    shutil.move(partial, target)
    return target


def model_cache_location() -> Path:
    """The per-user cache of converted base models (``$TAGREGISTRY_MODEL_CACHE`` or the
    platform's user cache folder)."""
    from tagregistry.models.cache import model_cache_dir

    return model_cache_dir()


def check_model_cache(root: Path | None = None) -> list[FolderCheck]:
    """Hash every file of every cached model folder under ``root`` (default: the model cache)
    and compare with the hashes recorded when it was written; one check per folder."""
    from tagregistry.models.cache_check import check_cache

    return check_cache(root)
