"""Tag names and references: ``"QED"`` (newest version) and ``"QED@3"`` (pinned)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tagregistry.errors import InvalidNameError

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}\Z")  # \Z: no trailing newline
MAX_VERSION = 2**31 - 1  # the largest value of the 32-bit integer version columns
_NAME_RULE = "a letter followed by up to 63 letters, digits, '_' or '-'"


@dataclass(frozen=True)
class TagRef:
    """A parsed reference: a name and, optionally, a pinned version."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def validate_name(name: str) -> str:
    """Return ``name`` unchanged if it is a valid tag name, else raise InvalidNameError."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidNameError(f"invalid tag name {name!r}: use {_NAME_RULE}")
    return name


def parse_ref(ref: str) -> TagRef:
    """Parse ``"Name"`` or ``"Name@v"`` (``<Name>`` brackets are accepted and dropped)."""
    if not isinstance(ref, str):
        raise InvalidNameError(f"tag reference must be a string, got {type(ref).__name__}")
    text = ref.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    name, sep, version_text = text.partition("@")
    validate_name(name)
    if not sep:
        return TagRef(name)
    digits = version_text.isascii() and version_text.isdigit() and len(version_text) <= 10
    if not digits or not 1 <= int(version_text) <= MAX_VERSION:
        raise InvalidNameError(
            f"invalid version in {ref!r}: write Name@N with N a positive integer (at most "
            f"{MAX_VERSION}), e.g. {name}@1"
        )
    return TagRef(name, int(version_text))


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Names among ``candidates`` that look like ``name`` (case-insensitive), best first."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``" (did you mean ...?)"`` suffix, or an empty string when nothing is close."""
    hits = close_matches(name, candidates)
    return f" (did you mean {', '.join(hits)}?)" if hits else ""
