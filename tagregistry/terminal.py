"""Printing for the terminal (the CLI and the demo): aligned tables, JSON, and terminal-safe text.

Record fields (descriptions, sources, names of bases and repos) can come from imported
files or pulled packs, so everything printed for humans goes through :func:`safe`, which
shows control characters as escapes instead of letting them drive the terminal. JSON
output is exact JSON (``json`` escapes control characters itself).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

#: Unicode bidirectional controls: they reorder what a terminal shows ("Trojan Source").
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {
    **{code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]},
    **{code: f"\\u{code:04x}" for code in _BIDI},
}


def safe(value: Any) -> str:
    """``str(value)`` with control characters (ESC, CR, newlines, C1, bidi) shown as escapes."""
    return str(value).translate(_ESCAPES)


def size_text(size: int) -> str:
    """``size`` bytes for people, in decimal units: ``"14.2 MB"``, ``"23 kB"``."""
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(size / 1e3, 1):.0f} kB"


def echo(text: Any = "", *, err: bool = False) -> None:
    """Print one line of human output, terminal-safe (see :func:`safe`)."""
    print(safe(text), file=sys.stderr if err else sys.stdout)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str = "(none)") -> None:
    """Print ``rows`` as an aligned table with ``columns`` as headers."""
    if not rows:
        echo(empty)
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return safe(",".join(map(str, value)))
    return safe(value)
