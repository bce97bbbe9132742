"""Units of write work, each run inside one transaction by :class:`TagStore`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tagregistry import tensors
from tagregistry._version import __version__
from tagregistry.errors import BaseModelMismatchError, InvalidNameError
from tagregistry.names import TagRef, validate_name
from tagregistry.specs import BaseModelRecord, HeadRecord, HeadSpec, TagKind, TagRecord
from tagregistry.store.bases import BaseArg, bases_by_id, ensure_base, find_base
from tagregistry.store.reads import resolve_row
from tagregistry.store.records import base_record, now, tag_record, utc
from tagregistry.store.schema import HeadRow, TagRow, VersionCounterRow

Work = Callable[[Session], Any]


@dataclass
class HeadPayload:
    """A head to store with a function tag: its spec, tensors and config (e.g. label scaling)."""

    spec: HeadSpec
    tensors: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


def tag_work(
    name: str,
    tensor: Any,
    *,
    kind: TagKind,
    base: BaseModelRecord | str,
    description: str = "",
    source: dict[str, Any] | None = None,
    data_hash: str | None = None,
    metrics: dict[str, float] | None = None,
    license: str | None = None,
    head: HeadPayload | None = None,
) -> Callable[[Session], TagRecord]:
    """Validate the input now; return the work that stores it as a new version."""
    validate_name(name)
    if kind not in ("domain", "function"):
        raise InvalidNameError(f"kind must be 'domain' or 'function', got {kind!r}")
    shape = tensors.shape_of(tensor)
    if len(shape) != 2 or shape[0] < 1:
        raise InvalidNameError(
            f"tag {name!r} must be a 2-D tensor (n_vectors, hidden_size), got shape {shape}"
        )
    if head is not None and kind != "function":
        raise InvalidNameError(f"only function tags own heads; {name!r} is a {kind} tag")
    payload = tensors.encode({tensors.TAG_KEY: tensor})

    def work(session: Session) -> TagRecord:
        if isinstance(base, BaseModelRecord):  # registered in the same transaction as the tag
            ensure_base(session, base)
            session.flush()
        base_row = find_base(session, base)
        assert base_row is not None
        if shape[1] != base_row.hidden_size:
            raise BaseModelMismatchError(
                f"tag {name!r} has dimension {shape[1]} but base model {base_row.model_id} "
                f"has hidden size {base_row.hidden_size}"
            )
        version = next_version(session, name, base_row.id)
        row = TagRow(
            name=name, kind=kind, version=version, base_model_id=base_row.id,
            n_vectors=shape[0], dim=shape[1], dtype=tensors.dtype_name(tensor),
            sha256=tensors.sha256_hex(payload), data=payload, description=description,
            created_at=now(), library_version=__version__, source=source or {},
            data_hash=data_hash, metrics={k: float(v) for k, v in (metrics or {}).items()},
            license=license,
        )
        session.add(row)
        session.flush()
        head_record = None
        if head is not None:
            head_bytes = tensors.encode(head.tensors)
            head_row = HeadRow(
                tag_id=row.id, spec=head.spec.model_dump(),
                shapes={k: tensors.shape_of(v) for k, v in head.tensors.items()},
                config=dict(head.config), sha256=tensors.sha256_hex(head_bytes),
                data=head_bytes,
            )
            session.add(head_row)
            session.flush()
            head_record = HeadRecord(
                spec=head.spec, shapes=head_row.shapes, sha256=head_row.sha256,
                config=head_row.config,
            )
        return TagRecord(
            name=name, kind=kind, version=version, base=base_record(base_row),
            n_vectors=row.n_vectors, dim=row.dim, dtype=row.dtype, sha256=row.sha256,
            description=description, created_at=utc(row.created_at),
            library_version=__version__, source=row.source, data_hash=data_hash,
            metrics=row.metrics, license=license, head=head_record,
        )

    return work


def next_version(session: Session, name: str, base_model_id: int) -> int:
    """Hand out the next version number; numbers of deleted versions are never reused."""
    counter = session.get(VersionCounterRow, (name, base_model_id), with_for_update=True)
    if counter is None:
        counter = VersionCounterRow(name=name, base_model_id=base_model_id, last_version=0)
        session.add(counter)
    counter.last_version += 1
    return counter.last_version


def delete_work(ref: TagRef, base: BaseArg) -> Callable[[Session], TagRecord]:
    """The work that deletes one pinned version and returns its record."""

    def work(session: Session) -> TagRecord:
        row = resolve_row(session, ref, base)
        record = tag_record(row, bases_by_id(session))
        session.execute(delete(HeadRow).filter_by(tag_id=row.id))
        session.execute(delete(TagRow).filter_by(id=row.id))
        return record

    return work
