"""Record checksums: a sha256 over every metadata field of a tag version, verified on load.

Tensor checksums cover the bytes; this one covers what describes them (name, version,
kind, shapes, description, provenance, metrics, head spec and config, the base model), so
that a damaged page or index that drops a head or changes a description is noticed.

The digest is taken over the fields in their stored text form (JSON as serialised by the
driver, timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff``), so verifying a SQLite row needs no
JSON decoding: the listing hot path pays about 2 us per record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from tagregistry.errors import InputError, IntegrityError
from tagregistry.specs import BaseModelRecord

_SEP = "\x1f"
_NONE = "\x00"


def json_text(value: Any) -> str:
    """A JSON column's stored text (SQLite returns it; other drivers return the value)."""
    if value is None:
        return _NONE
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"cannot store {str(value)[:80]!r}: source, metrics and head config must be JSON "
            f"values (str, int, float, bool, None, lists and dicts with str keys) ({exc})"
        ) from exc


def time_text(value: datetime | str) -> str:
    """A naive UTC timestamp in SQLAlchemy's SQLite storage form."""
    return value if isinstance(value, str) else f"{value:%Y-%m-%d %H:%M:%S.%f}"


def record_digest(
    base: BaseModelRecord,
    name: str, kind: str, version: int, n_vectors: int, dim: int, dtype: str, sha256: str,
    description: str, created_at: datetime | str, library_version: str, source: Any,
    data_hash: str | None, metrics: Any, license: str | None,
    head_spec: Any, head_shapes: Any, head_sha256: str | None, head_config: Any,
) -> str:
    """Hex sha256 over one record's metadata fields (JSON fields as text or values)."""
    text = _SEP.join((
        base.model_id, base.revision, str(base.hidden_size), base.fingerprint,
        name, kind, str(version), str(n_vectors), str(dim), dtype, sha256, description,
        time_text(created_at), library_version, json_text(source), data_hash or _NONE,
        json_text(metrics), license or _NONE, json_text(head_spec), json_text(head_shapes),
        head_sha256 or _NONE, json_text(head_config),
    ))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def row_digest(row: Any, base: BaseModelRecord) -> str:
    """The digest of a row of :func:`queries.records_query` (its stored checksum excluded)."""
    return record_digest(
        base, row.name, row.kind, row.version, row.n_vectors, row.dim, row.dtype, row.sha256,
        row.description, row.created_at, row.library_version, row.source, row.data_hash,
        row.metrics, row.license, row.head_spec, row.head_shapes, row.head_sha256, row.head_config,
    )


def damaged(name: str, version: int) -> IntegrityError:
    """The error for a record whose metadata no longer matches its checksum."""
    return IntegrityError(
        f"the record of {name}@{version} fails its metadata checksum: the registry database "
        "was damaged or edited outside tagregistry (a dropped head, a changed field); run "
        "`tagregistry db check`, then delete the version and register, import or pull it again"
    )
