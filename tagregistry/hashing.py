"""The sha256 of a file, read in blocks, and of records as canonical JSON: the one
implementation of each the library uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

BLOCK_BYTES = 4 * 1024 * 1024


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the file at ``path`` (read 4 MiB at a time, so any size fits in memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def update_with_records(digest: Any, records: Iterable[Mapping[str, Any]]) -> None:
    """Feed ``records`` to a hashlib ``digest``: each one's canonical JSON (sorted keys,
    non-JSON values as text), then a newline."""
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, default=str).encode())
        digest.update(b"\n")


def records_sha256(records: Iterable[Mapping[str, Any]]) -> str:
    """Hex sha256 of ``records`` (identifies the exact data)."""
    digest = hashlib.sha256()
    update_with_records(digest, records)
    return digest.hexdigest()
