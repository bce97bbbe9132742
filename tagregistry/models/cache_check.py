"""Hashes of a cached model folder, recorded when it is written and checked when it is read.

A converted base model is read from the cache on every load, so a damaged file (a flipped
bit, a truncated copy) would silently change every prediction. :func:`write_meta` records
each file's size, modification time, full sha256 and a *sampled* sha256 (64 blocks of
64 KiB spread over the file). :func:`verify_folder` checks sizes and sampled hashes on every
load (milliseconds), and the full sha256 when a file's modification time changed since it
was recorded (anything that wrote to it) or when asked (``tagregistry cache check``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.cache_folders import read_json, write_json_atomic
from tagregistry.hashing import file_sha256
from tagregistry.models.cache import model_cache_dir

#: The metadata file of a cache folder (what was converted, and its files' hashes).
CACHE_META = "tagregistry.json"
FILES_KEY = "files"
SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_BYTES = 64 * 1024
_READ_BYTES = 4 * 1024 * 1024


def sampled_sha256(path: Path, size: int) -> str:
    """sha256 of :data:`SAMPLE_BLOCKS` blocks spread evenly from the first byte to the last
    (the whole file when it is that small)."""
    if size <= SAMPLE_BLOCKS * SAMPLE_BLOCK_BYTES:
        return file_sha256(path)
    digest = hashlib.sha256()
    last = size - SAMPLE_BLOCK_BYTES
    with path.open("rb") as handle:
        for k in range(SAMPLE_BLOCKS):
            handle.seek(last * k // (SAMPLE_BLOCKS - 1))
            digest.update(handle.read(SAMPLE_BLOCK_BYTES))
    return digest.hexdigest()


def file_record(path: Path) -> dict[str, Any]:
    """What :func:`verify_folder` compares later: size, mtime and both hashes."""
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_sha256(path),
            "sampled_sha256": sampled_sha256(path, stat.st_size)}


def write_meta(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write ``meta`` plus the records of every file in ``folder`` as its :data:`CACHE_META`."""
    files = {p.name: file_record(p) for p in sorted(folder.iterdir())
             if p.is_file() and p.name != CACHE_META and not p.name.startswith(".")}
    full = {**meta, FILES_KEY: files}
    write_json_atomic(folder / CACHE_META, full)
    return full


def verify_folder(folder: Path, meta: dict[str, Any], *, full: bool = False) -> list[str]:
    """One line per damaged or missing file of ``folder`` (empty: all good).

    Sizes and sampled hashes always; the full sha256 when ``full``, or for a file whose
    modification time differs from the record (then, when it matches, the new time is
    recorded so the next load is fast again).
    """
    problems: list[str] = []
    refreshed = False
    for name, expected in (meta.get(FILES_KEY) or {}).items():
        path = folder / name
        try:
            stat = path.stat()
            if stat.st_size != expected["size"]:
                problems.append(f"{name}: {stat.st_size:,} bytes, {expected['size']:,} when written")
            elif sampled_sha256(path, stat.st_size) != expected["sampled_sha256"]:
                problems.append(f"{name}: content differs from when it was written (sampled sha256)")
            elif full or stat.st_mtime_ns != expected["mtime_ns"]:
                if file_sha256(path) != expected["sha256"]:
                    problems.append(f"{name}: content differs from when it was written (sha256)")
                elif stat.st_mtime_ns != expected["mtime_ns"]:
                    expected["mtime_ns"], refreshed = stat.st_mtime_ns, True
        except FileNotFoundError:
            problems.append(f"{name}: missing")
        except (OSError, KeyError, TypeError) as exc:
            problems.append(f"{name}: cannot be checked ({exc})")
    if refreshed and not problems:
        try:
            write_json_atomic(folder / CACHE_META, meta)
        except OSError:
            pass  # a read-only cache: the full hash runs again next time
    return problems


@dataclass
class FolderCheck:
    """``tagregistry cache check``'s verdict on one cached model folder."""

    folder: Path
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    note: str | None = None


def check_cache(root: Path | None = None) -> list[FolderCheck]:
    """Full-hash check of every cached model folder under ``root`` (default: the model cache)."""
    root = root or model_cache_dir()
    checks = []
    for folder in sorted(p for p in root.glob("*") if (p / CACHE_META).is_file()):
        meta = read_json(folder / CACHE_META)
        files = meta.get(FILES_KEY) or {}
        started = time.perf_counter()
        check = FolderCheck(folder, len(files), sum(f.get("size", 0) for f in files.values()))
        if not files:
            check.note = "no file hashes recorded yet (written by an older tagregistry); the next load records them"
        else:
            check.problems = verify_folder(folder, meta, full=True)
        check.seconds = time.perf_counter() - started
        checks.append(check)
    return checks



class ModelCacheWarning(UserWarning):
    """A cached model folder failed its check and is rebuilt."""


def checked_meta(folder: Path, meta: dict[str, Any]) -> dict[str, Any] | None:
    """``meta`` when ``folder`` passes :func:`verify_folder`; ``None`` (rebuild it) with a
    :class:`ModelCacheWarning` when it does not. A folder written before hashes were
    recorded gets them now."""
    if not meta.get(FILES_KEY):
        try:
            return write_meta(folder, meta)
        except OSError:
            return meta  # a read-only legacy cache: used as it is
    problems = verify_folder(folder, meta)
    if not problems:
        return meta
    import warnings

    warnings.warn(f"the cached model in {folder} is damaged ({problems[0]}); building it again",
                  ModelCacheWarning, stacklevel=2)
    return None
