"""Files the library writes for the user (exports, prediction outputs): where, and how safely.

Outputs are written beside their target under a temporary name and renamed over it when
complete. Renaming over a symbolic link would replace the link itself, and over a device or
a pipe would replace the node, so :func:`output_target` resolves links and refuses
anything but a regular file (or a new name).
"""

from __future__ import annotations

import os
from pathlib import Path

from tagregistry.errors import InputError


def output_target(path: str | Path) -> Path:
    """The regular file that writing ``path`` should create or replace.

    A symbolic link resolves to the file it points to (as a shell's ``>`` would write
    there); an existing folder, device, socket or pipe is refused with an ``InputError``.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_file():
        raise InputError(f"{path} exists and is not a regular file (a folder, device or pipe); "
                         "write to a file name instead")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def partial_path(target: Path) -> Path:
    """The hidden temporary sibling a complete output is renamed from."""
    return target.with_name(f".{target.name}.partial")
