"""Keep RDKit's C++ log off stderr and collect its error messages for our own exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rdkit import rdBase

_TIMESTAMP = re.compile(r"^\[\d{2}:\d{2}:\d{2}\]\s?")


@dataclass
class ErrorLog:
    """RDKit error-log lines seen inside :func:`quiet_rdkit` (timestamps dropped, deduplicated).

    ``captured`` is False on RDKit builds without ``rdBase.CaptureErrorLog`` (before
    2026.03): messages are then blocked but cannot be read back.
    """

    captured: bool
    lines: list[str] = field(default_factory=list)


def _clean(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = _TIMESTAMP.sub("", raw).rstrip()
        if line and line not in lines:
            lines.append(line)
    return lines


@contextmanager
def quiet_rdkit() -> Iterator[ErrorLog]:
    """Block every RDKit log stream while the block runs; collect the error log's lines."""
    capture_type = getattr(rdBase, "CaptureErrorLog", None)
    log = ErrorLog(captured=capture_type is not None)
    with rdBase.BlockLogs():
        if capture_type is None:
            yield log
            return
        with capture_type() as capture:
            try:
                yield log
            finally:
                log.lines = _clean(capture.messages)
