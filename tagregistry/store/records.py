"""Database rows -> pydantic records, fast: values were validated when they were written."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row

from tagregistry.specs import BaseModelRecord, HeadRecord, HeadSpec, TagRecord
from tagregistry.store.checksums import damaged, record_digest

M = TypeVar("M", bound=BaseModel)

_fromiso = datetime.fromisoformat
_set = object.__setattr__
_TAG_FIELDS = frozenset(TagRecord.model_fields)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many short-lived, acyclic objects (halves listing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def now() -> datetime:
    """The current time as naive UTC (portable across database timestamp types)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc(value: datetime | str) -> datetime:
    """A stored timestamp (naive UTC; text on SQLite) as an aware UTC datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def stored_json(value: Any) -> Any:
    """A stored JSON value (text on SQLite, already decoded on PostgreSQL)."""
    if value is None or value == "{}":
        return {}
    return json.loads(value) if isinstance(value, str) else value


def trusted(cls: type[M], values: dict[str, Any], fields: frozenset[str] | None = None) -> M:
    """Build a pydantic model from already-validated values holding *every* field."""
    obj = object.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(fields if fields is not None else values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def base_record(row: Any) -> BaseModelRecord:
    """A base model record from a row holding the base columns."""
    return trusted(BaseModelRecord, {
        "model_id": row.model_id, "revision": row.revision, "hidden_size": row.hidden_size,
        "fingerprint": row.fingerprint,
    })


def tag_record(row: Row[Any], bases: dict[int, BaseModelRecord]) -> TagRecord:
    """A record from a row of :func:`queries.records_query`; ``bases`` maps base ids to records.

    The metadata checksum is verified first (IntegrityError when it fails). Hot path of
    listing (10,000 rows under 100 ms): the common cases (text timestamps, empty JSON
    objects) are decoded inline.
    """
    (
        _, name, kind, version, n_vectors, dim, dtype, sha256, description, created_at,
        library_version, source, data_hash, metrics, license_, base_id, head_spec, head_shapes,
        head_sha256, head_config, record_sha256,
    ) = row
    base = bases[base_id]
    if record_sha256 != record_digest(
        base, name, kind, version, n_vectors, dim, dtype, sha256, description, created_at,
        library_version, source, data_hash, metrics, license_, head_spec, head_shapes,
        head_sha256, head_config,
    ):
        raise damaged(name, version)
    head = None
    if head_sha256 is not None:
        head = HeadRecord.model_construct(
            spec=HeadSpec.model_construct(**stored_json(head_spec)), shapes=stored_json(head_shapes),
            sha256=head_sha256, config=stored_json(head_config),
        )
    return trusted(TagRecord, {
        "name": name, "kind": kind, "version": version, "base": base,
        "n_vectors": n_vectors, "dim": dim, "dtype": dtype, "sha256": sha256,
        "description": description,
        "created_at": _fromiso(created_at + "+00:00") if created_at.__class__ is str
        else utc(created_at),
        "library_version": library_version,
        "source": {} if source == "{}" else stored_json(source), "data_hash": data_hash,
        "metrics": {} if metrics == "{}" else stored_json(metrics), "license": license_, "head": head,
    }, _TAG_FIELDS)


def compact(versions: list[int]) -> str:
    """``1-3, 5`` style summary of sorted version numbers."""
    spans: list[str] = []
    start = prev = versions[0]
    for v in versions[1:] + [None]:  # type: ignore[list-item]
        if v is not None and v == prev + 1:
            prev = v
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(spans)
