"""Where converted base models and fingerprints are cached, and atomic directory writes.

``$TAGREGISTRY_MODEL_CACHE`` (if set) replaces the default ``$TAGREGISTRY_HOME/models``;
test suites point it at one directory per session so the default base converts once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError

MODEL_CACHE_ENV = "TAGREGISTRY_MODEL_CACHE"


def model_cache_dir() -> Path:
    """``$TAGREGISTRY_MODEL_CACHE`` or ``$TAGREGISTRY_HOME/models``."""
    env = os.environ.get(MODEL_CACHE_ENV)
    if env:
        return folder_setting(Path(env).expanduser(), MODEL_CACHE_ENV)
    from tagregistry.store.engine import registry_home

    return folder_setting(registry_home(), "TAGREGISTRY_HOME") / "models"


def folder_setting(path: Path, variable: str) -> Path:
    """``path`` unless it (or a folder above it) exists as a file: then an InputError
    naming ``variable``, instead of "[Errno 17] File exists" when it is first written."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise InputError(
                    f"{variable}={path} cannot be used: {candidate} is a file, not a folder; "
                    f"point {variable} at a folder (it is created if missing)"
                )
            break
    return path


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling directory that is renamed to ``target`` on success.

    An interrupted write leaves only a ``.tmp-*`` folder (removed on error), never a
    half-written ``target``. If another process finished ``target`` first, its copy wins.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # a concurrent writer won the race
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or ``{}`` if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
