"""Units of write work, each run inside one transaction by :class:`TagStore`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tagregistry import tensors
from tagregistry._version import __version__
from tagregistry.errors import BaseModelMismatchError, InvalidNameError
from tagregistry.names import TagRef, validate_name
from tagregistry.specs import BaseModelRecord, HeadRecord, HeadSpec, TagKind, TagRecord
from tagregistry.store import record_checks
from tagregistry.store.bases import BaseArg, bases_by_id, ensure_base, find_base
from tagregistry.store.checksums import record_digest
from tagregistry.store.queries import base_query, history_query
from tagregistry.store.reads import resolve_row
from tagregistry.store.records import base_record, now, tag_record, utc
from tagregistry.store.schema import HeadRow, TagRow, VersionCounterRow
from tagregistry.store.validation import check_head, check_tag

Work = Callable[[Session], Any]


@dataclass
class HeadPayload:
    """A head to store with a function tag: its spec, tensors and config (e.g. label scaling)."""

    spec: HeadSpec
    tensors: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class NewTag:
    """One tag version to store, as every writer gives it: the API, imports, packs, training.

    ``tensor`` is ``(n_vectors, hidden)``; ``base`` a registered model id or a record
    (registered in the same transaction); ``head`` only for function tags. ``kind`` is
    settled from the plugin catalog before storing (``None``: not yet).
    """

    name: str
    tensor: Any
    kind: TagKind | None
    base: BaseModelRecord | str
    description: str = ""
    source: dict[str, Any] | None = None
    data_hash: str | None = None
    metrics: dict[str, float] | None = None
    license: str | None = None
    head: HeadPayload | None = None


class TagWrite:
    """One new tag version: the input is validated on construction, stored by calling it.

    Calling it inside a write transaction stores the tag (and registers a base model given
    as a record, in the same transaction) and returns the new record.
    """

    def __init__(self, tag: NewTag) -> None:
        name, tensor, kind, base, head = tag.name, tag.tensor, tag.kind, tag.base, tag.head
        description, source, data_hash, license = (tag.description, tag.source, tag.data_hash,
                                                   tag.license)
        metrics = tag.metrics
        validate_name(name)
        if kind not in ("domain", "function"):
            raise InvalidNameError(f"kind must be 'domain' or 'function', got {kind!r}")
        shape = check_tag(name, tensor)
        if head is not None and kind != "function":
            raise InvalidNameError(f"only function tags own heads; {name!r} is a {kind} tag")
        self.name, self.kind, self.base, self.head = name, kind, base, head
        self.shape = shape
        self.dtype = tensors.dtype_name(tensor)
        self.payload = tensors.check_payload_size(tensors.encode({tensors.TAG_KEY: tensor}),
                                                  f"tag {name!r}")
        self.sha256 = tensors.sha256_hex(self.payload)
        record_checks.check_text("description", description, limit=record_checks.MAX_DESCRIPTION)
        for column, value in (("data_hash", data_hash), ("license", license)):
            record_checks.check_text(column, value, optional=True,
                                     limit=record_checks.column_length(TagRow, column))
        if isinstance(base, BaseModelRecord):
            record_checks.check_base_record(base)
        self.meta = {
            "description": description, "source": record_checks.check_json("source", source),
            "data_hash": data_hash, "metrics": record_checks.check_metrics(metrics),
            "license": license,
        }
        self._head_bytes: bytes | None = None

    def head_bytes(self) -> bytes | None:
        """The head's safetensors bytes (encoded once, on first use)."""
        if self.head is not None and self._head_bytes is None:
            shapes = check_head(self.name, self.head.tensors)
            record_checks.check_head_spec(self.name, self.head.spec, shapes)
            self.head.config = record_checks.check_json("head config", self.head.config)
            self._head_bytes = tensors.check_payload_size(tensors.encode(self.head.tensors),
                                                          f"the head of {self.name!r}")
        return self._head_bytes

    def existing(self, session: Session) -> TagRecord | None:
        """The newest stored version of this name on this base with the same tag and head bytes.

        The name's version counter is locked first, so that on PostgreSQL a concurrent writer
        of the same name waits here and then sees what the other committed.
        """
        if isinstance(self.base, BaseModelRecord):
            params = {"model_id": self.base.model_id, "revision": self.base.revision}
            base_row = session.execute(base_query(True, True), params).first()
            if base_row is None:
                return None
        else:
            base_row = find_base(session, self.base)
            assert base_row is not None
        session.get(VersionCounterRow, (self.name, base_row.id), with_for_update=True)
        head_bytes = self.head_bytes()
        head_sha = tensors.sha256_hex(head_bytes) if head_bytes is not None else None
        rows = session.execute(history_query(True), {"name": self.name, "base_id": base_row.id})
        for row in reversed(rows.all()):
            if row.sha256 == self.sha256 and row.head_sha256 == head_sha:
                return tag_record(row, bases_by_id(session))
        return None

    def __call__(self, session: Session) -> TagRecord:
        if isinstance(self.base, BaseModelRecord):  # registered in the same transaction as the tag
            base_row = ensure_base(session, self.base)
        else:
            base_row = find_base(session.connection(), self.base)
            assert base_row is not None
        if self.shape[1] != base_row.hidden_size:
            raise BaseModelMismatchError(
                f"tag {self.name!r} has dimension {self.shape[1]} but base model "
                f"{base_row.model_id} has hidden size {base_row.hidden_size}"
            )
        version = next_version(session, self.name, base_row.id)
        base = base_record(base_row)
        created_at = now()
        head_values: dict[str, Any] = {"spec": None, "shapes": None, "sha256": None, "config": None}
        head_bytes = self.head_bytes()
        if self.head is not None and head_bytes is not None:
            head_values = {
                "spec": self.head.spec.model_dump(),
                "shapes": {k: tensors.shape_of(v) for k, v in self.head.tensors.items()},
                "sha256": tensors.sha256_hex(head_bytes), "config": dict(self.head.config),
            }
        meta = self.meta
        digest = record_digest(
            base, self.name, self.kind, version, self.shape[0], self.shape[1], self.dtype,
            self.sha256, meta["description"], created_at, __version__, meta["source"],
            meta["data_hash"], meta["metrics"], meta["license"], head_values["spec"],
            head_values["shapes"], head_values["sha256"], head_values["config"],
        )
        row = TagRow(
            name=self.name, kind=self.kind, version=version, base_model_id=base_row.id,
            n_vectors=self.shape[0], dim=self.shape[1], dtype=self.dtype, sha256=self.sha256,
            data=self.payload, created_at=created_at, library_version=__version__,
            record_sha256=digest, **meta,
        )
        head_record = None
        if self.head is not None and head_bytes is not None:
            row.head = HeadRow(data=head_bytes, **head_values)  # inserted with the tag row
            head_record = HeadRecord(
                spec=self.head.spec, shapes=head_values["shapes"], sha256=head_values["sha256"],
                config=head_values["config"],
            )
        session.add(row)
        session.flush()
        return TagRecord(
            name=self.name, kind=self.kind, version=version, base=base,
            n_vectors=row.n_vectors, dim=row.dim, dtype=row.dtype, sha256=row.sha256,
            description=row.description, created_at=utc(row.created_at),
            library_version=__version__, source=row.source, data_hash=row.data_hash,
            metrics=row.metrics, license=row.license, head=head_record,
        )


class RegisteredTags(list[TagRecord]):
    """Records in the order asked for; :attr:`already_registered` holds those that existed."""

    def __init__(self, records: list[TagRecord], already_registered: list[TagRecord]) -> None:
        super().__init__(records)
        self.already_registered = already_registered

    def is_new(self, record: TagRecord) -> bool:
        """Whether ``record`` was registered now (not found already registered)."""
        return not any(r is record for r in self.already_registered)


def next_version(session: Session, name: str, base_model_id: int) -> int:
    """Hand out the next version number; numbers of deleted versions are never reused."""
    counter = session.get(VersionCounterRow, (name, base_model_id), with_for_update=True)
    if counter is None:
        counter = VersionCounterRow(name=name, base_model_id=base_model_id, last_version=0)
        session.add(counter)
    stored = session.scalar(select(func.max(TagRow.version)).where(
        TagRow.name == name, TagRow.base_model_id == base_model_id)) or 0
    counter.last_version = max(counter.last_version, stored) + 1  # a lowered counter never repeats
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
