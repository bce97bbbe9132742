"""JSON that crosses a trust boundary: bounded nesting, plain values, no ``RecursionError``.

Manifests, export headers and record metadata come from files and servers we do not
control; a 100,000-level nested array must be refused with a clear error, not crash the
parser's recursion. Values handed to the Python API (a tag's ``source``) must be plain JSON
so that every database stores them the same way and packs carry them unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Deepest nesting accepted (records and manifests need fewer than 10 levels).
MAX_DEPTH = 64


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def parse_json(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ``ValueError`` for nesting deeper than ``max_depth``."""
    try:
        value = json.loads(data)
    except RecursionError:
        value = None
        deep = True
    else:
        deep = too_deep(value, max_depth)
    if deep:
        raise ValueError(f"JSON nested deeper than {max_depth} levels; refusing to read it")
    return value


def plain_json(value: Any, what: str) -> Any:
    """``value`` as plain JSON (tuples become lists), or ``ValueError`` saying what is wrong.

    Refused: objects JSON cannot represent, NaN and infinities, non-string dict keys, and
    nesting deeper than :data:`MAX_DEPTH`.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except RecursionError:
        raise ValueError(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must hold plain JSON values (str, number, bool, None, list, "
                         f"dict with str keys): {_reason(exc)}") from None
    plain = json.loads(text)
    if too_deep(plain):
        raise ValueError(f"{what} is nested deeper than {MAX_DEPTH} levels")
    if not _same_keys(value, plain):
        raise ValueError(f"{what} has a dict key that is not a string; use string keys")
    return plain


def finite_number(value: Any) -> float | None:
    """``float(value)`` for a finite real number (not a bool or a string), else ``None``."""
    if isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Out of range float" in text:
        return "NaN and infinity are not JSON numbers"
    return text


def _same_keys(original: Any, plain: Any) -> bool:
    """Whether dict keys survived the round trip unchanged (json turns 1 into "1")."""
    stack = [(original, plain)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict):
            if not all(isinstance(k, str) for k in a):
                return False
            stack.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list | tuple):
            stack.extend(zip(a, b, strict=True))
    return True
