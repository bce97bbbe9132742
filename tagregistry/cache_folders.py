"""Folders and files the library caches for every registry of a user, written safely.

Writers hold a file lock (:func:`cache_lock`) and publish through a temporary sibling and
an atomic rename, so two processes filling a cache at once never leave it corrupt. Used by
the base-model cache (:mod:`tagregistry.models.cache`) and the data-file cache
(:mod:`tagregistry.datafiles`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError

LOCK_TIMEOUT_S = 30 * 60


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
def cache_lock(target: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an inter-process lock on ``target`` (a ``.<name>.lock`` file beside it).

    A second process asking for the same lock waits, then usually finds the work done.
    """
    from filelock import FileLock, Timeout

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target.parent / f".{target.name}.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise OSError(
            f"waited {timeout:.0f}s for another process writing {target}; if none is running, "
            f"delete {lock.lock_file} and retry"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def build_once(
    target: Path,
    valid: Callable[[Path], dict[str, Any] | None],
    build: Callable[[Path], object],
) -> dict[str, Any]:
    """``valid(target)``, building ``target`` first (under :func:`cache_lock`) when it is not.

    ``build(folder)`` fills a temporary folder that is renamed to ``target`` when it returns.
    Processes that race here build once: the others wait for the lock, then find ``target``
    valid. A stale ``target`` (``valid`` says no) is moved aside and replaced.
    """
    meta = valid(target)
    if meta is not None:
        return meta
    with cache_lock(target):
        meta = valid(target)  # another process may have finished while we waited
        if meta is not None:
            return meta
        if target.exists():
            stale = target.with_name(f".stale-{target.name}")
            shutil.rmtree(stale, ignore_errors=True)
            target.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        with atomic_directory(target) as tmp:
            build(tmp)
    meta = valid(target)
    if meta is None:
        raise OSError(f"building {target} did not produce a usable cache; delete it and retry")
    return meta


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
