"""The sha256 of a file, read in blocks: the one implementation the library uses."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK_BYTES = 4 * 1024 * 1024


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the file at ``path`` (read 4 MiB at a time, so any size fits in memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()
