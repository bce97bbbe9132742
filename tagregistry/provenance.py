"""Where a record came from: each import or pack install adds its origin, earlier ones are kept."""

from __future__ import annotations

from typing import Any

#: keys of ``TagRecord.source`` that record how a copy of a tag arrived
ORIGIN_KEYS = ("pack", "imported_from")


def with_origin(source: dict[str, Any], key: str, origin: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``source`` with ``origin`` under ``key`` (``"pack"`` or ``"imported_from"``).

    The publisher's own origins (its ``pack`` / ``imported_from`` entries) are not replaced:
    they move to ``source["upstream"]``, newest first, beside the new one.
    """
    result = dict(source)
    earlier = [{name: result.pop(name)} for name in ORIGIN_KEYS if name in result]
    if earlier:
        result["upstream"] = earlier + list(result.get("upstream") or [])
    result[key] = origin
    return result


#: the key of ``TagRecord.source`` holding ``{domain name: sha256}`` of the tags frozen while
#: the tag was trained (content hashes: installing a pack renumbers versions, not contents)
FROZEN_SHA256 = "frozen_sha256"


def trained_with(source: dict[str, Any], domain: str) -> str | None:
    """The sha256 of the ``domain`` tag a tag with this ``source`` was trained with, if recorded."""
    pins = source.get(FROZEN_SHA256)
    return pins.get(domain) if isinstance(pins, dict) else None
