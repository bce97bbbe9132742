"""The tag store: immutable, versioned tag and head records in any SQLAlchemy database."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tagregistry import tensors
from tagregistry._version import __version__
from tagregistry.errors import (
    AmbiguousReferenceError,
    BaseModelMismatchError,
    InvalidNameError,
    NotFoundError,
    TagRegistryError,
)
from tagregistry.names import TagRef, did_you_mean, parse_ref, validate_name
from tagregistry.specs import BaseModelRecord, HeadRecord, HeadSpec, TagKind, TagRecord
from tagregistry.store.engine import make_engine, sqlite_path
from tagregistry.store.migrations import migrate
from tagregistry.store.schema import BaseModelRow, HeadRow, TagRow

T = TypeVar("T")
BaseArg = BaseModelRecord | str | None
_WRITE_ATTEMPTS = 40


@dataclass
class HeadPayload:
    """A head to store with a function tag: its spec, tensors and config (e.g. label scaling)."""

    spec: HeadSpec
    tensors: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


def _base_record(row: BaseModelRow) -> BaseModelRecord:
    return BaseModelRecord(
        model_id=row.model_id, revision=row.revision, hidden_size=row.hidden_size,
        fingerprint=row.fingerprint,
    )


def _tag_record(row: TagRow) -> TagRecord:
    head = None
    if row.head is not None:
        head = HeadRecord(
            spec=HeadSpec.model_validate(row.head.spec), shapes=row.head.shapes,
            sha256=row.head.sha256, config=row.head.config or {},
        )
    return TagRecord(
        name=row.name, kind=row.kind, version=row.version, base=_base_record(row.base_model),
        n_vectors=row.n_vectors, dim=row.dim, dtype=row.dtype, sha256=row.sha256,
        description=row.description, created_at=row.created_at.replace(tzinfo=UTC)
        if row.created_at.tzinfo is None else row.created_at,
        library_version=row.library_version, source=row.source or {}, data_hash=row.data_hash,
        metrics=row.metrics or {}, license=row.license, head=head,
    )


class TagStore:
    """Versioned storage of tags bound to base models. Thread- and process-safe writes."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        where = str(sqlite_path(url) or self.engine.url.render_as_string(hide_password=True))
        migrate(self.engine, where)

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, retrying lock timeouts and version races."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.engine.connect().execution_options(write=True) as connection:
                    with Session(bind=connection, expire_on_commit=False) as session:
                        with connection.begin():
                            result = work(session)
                            session.flush()
                        return result
            except (OperationalError, SAIntegrityError) as exc:
                retriable = isinstance(exc, SAIntegrityError) or "locked" in str(exc).lower()
                if not retriable or attempt == _WRITE_ATTEMPTS - 1:
                    if isinstance(exc, SAIntegrityError):
                        raise TagRegistryError(f"could not write to the registry: {exc.orig}") from exc
                    raise TagRegistryError(
                        f"the registry database is busy or unavailable ({exc.orig}); try again"
                    ) from exc
                time.sleep(random.uniform(0.005, 0.05) * (1 + attempt))
        raise AssertionError("unreachable")

    # -- base models ----------------------------------------------------------------------
    def register_base(self, record: BaseModelRecord) -> BaseModelRecord:
        """Record a base model (idempotent); a changed fingerprint for the same id is refused."""

        def work(session: Session) -> BaseModelRecord:
            row = session.scalar(
                select(BaseModelRow).filter_by(model_id=record.model_id, revision=record.revision)
            )
            if row is None:
                session.add(BaseModelRow(**record.model_dump(), created_at=datetime.now(UTC)))
                return record
            existing = _base_record(row)
            if existing != record:
                raise BaseModelMismatchError(
                    f"base model {record.model_id}@{record.revision} is registered with "
                    f"fingerprint {existing.fingerprint[:12]} (hidden {existing.hidden_size}) but "
                    f"this one has {record.fingerprint[:12]} (hidden {record.hidden_size}); "
                    "register the changed weights under another revision"
                )
            return existing

        return self._write(work)

    def list_bases(self) -> list[BaseModelRecord]:
        """All registered base models."""
        with self._read() as session:
            return [_base_record(r) for r in session.scalars(select(BaseModelRow).order_by(BaseModelRow.id))]

    def _base_row(self, session: Session, base: BaseArg) -> BaseModelRow | None:
        if base is None:
            return None
        if isinstance(base, BaseModelRecord):
            query = select(BaseModelRow).filter_by(model_id=base.model_id, revision=base.revision)
        else:
            model_id, _, revision = base.partition("@")
            query = select(BaseModelRow).filter_by(model_id=model_id)
            if revision:
                query = query.filter_by(revision=revision)
        rows = list(session.scalars(query))
        if not rows:
            known = [r.model_id for r in session.scalars(select(BaseModelRow))]
            raise NotFoundError(
                f"base model {base if isinstance(base, str) else base.model_id!r} is not registered"
                f"{did_you_mean(str(base), known)}; known: {', '.join(sorted(set(known))) or 'none'}"
            )
        if len(rows) > 1:
            raise AmbiguousReferenceError(
                f"base model {base!r} has revisions {[r.revision for r in rows]}; write id@revision"
            )
        row = rows[0]
        if isinstance(base, BaseModelRecord) and row.fingerprint != base.fingerprint:
            raise BaseModelMismatchError(
                f"base model {base.model_id}@{base.revision} has fingerprint {base.fingerprint[:12]} "
                f"but the registry knows it as {row.fingerprint[:12]}: the weights differ"
            )
        return row

    # -- tags -----------------------------------------------------------------------------
    def register_tag(
        self,
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
    ) -> TagRecord:
        """Store a new immutable version of ``name`` in one transaction and return its record."""
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
            base_row = self._base_row(session, base)
            assert base_row is not None
            if shape[1] != base_row.hidden_size:
                raise BaseModelMismatchError(
                    f"tag {name!r} has dimension {shape[1]} but base model {base_row.model_id} "
                    f"has hidden size {base_row.hidden_size}"
                )
            latest = session.scalar(
                select(func.max(TagRow.version)).filter_by(name=name, base_model_id=base_row.id)
            )
            row = TagRow(
                name=name, kind=kind, version=(latest or 0) + 1, base_model_id=base_row.id,
                n_vectors=shape[0], dim=shape[1], dtype=tensors.dtype_name(tensor),
                sha256=tensors.sha256_hex(payload), data=payload, description=description,
                created_at=datetime.now(UTC), library_version=__version__, source=source or {},
                data_hash=data_hash, metrics={k: float(v) for k, v in (metrics or {}).items()},
                license=license,
            )
            session.add(row)
            session.flush()
            if head is not None:
                head_bytes = tensors.encode(head.tensors)
                session.add(HeadRow(
                    tag_id=row.id, spec=head.spec.model_dump(),
                    shapes={k: tensors.shape_of(v) for k, v in head.tensors.items()},
                    config=head.config, sha256=tensors.sha256_hex(head_bytes), data=head_bytes,
                ))
                session.flush()
            session.refresh(row)
            return _tag_record(row)

        return self._write(work)

    def _candidates(self, session: Session, name: str, base: BaseArg) -> list[TagRow]:
        query = select(TagRow).filter_by(name=name)
        base_row = self._base_row(session, base)
        if base_row is not None:
            query = query.filter_by(base_model_id=base_row.id)
        return list(session.scalars(query.order_by(TagRow.version.desc())).unique())

    def _not_found(self, session: Session, ref: TagRef, base: BaseArg) -> NotFoundError:
        names = session.scalars(select(TagRow.name).distinct())
        where = f" on base {base if isinstance(base, str) else base.model_id}" if base else ""
        return NotFoundError(f"no tag named {ref.name!r}{where}{did_you_mean(ref.name, names)}")

    def _resolve_row(self, session: Session, ref: str | TagRef, base: BaseArg) -> TagRow:
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        base_row = self._base_row(session, base)
        query = select(TagRow).where(TagRow.name == parsed.name)
        if base_row is not None:
            query = query.where(TagRow.base_model_id == base_row.id)
        if parsed.version is not None:
            query = query.where(TagRow.version == parsed.version)
        else:
            newest = select(TagRow.base_model_id, func.max(TagRow.version).label("v")).where(
                TagRow.name == parsed.name
            )
            if base_row is not None:
                newest = newest.where(TagRow.base_model_id == base_row.id)
            newest = newest.group_by(TagRow.base_model_id).subquery()
            query = query.join(
                newest, (TagRow.base_model_id == newest.c.base_model_id) & (TagRow.version == newest.c.v)
            )
        rows = list(session.scalars(query).unique())
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            bases = sorted(r.base_model.model_id for r in rows)
            raise AmbiguousReferenceError(
                f"tag {str(parsed)!r} exists on several base models ({', '.join(bases)}); "
                "pass base=... (CLI: --base) to choose one"
            )
        if parsed.version is not None:
            versions = sorted(r.version for r in self._candidates(session, parsed.name, base))
            if versions:
                raise NotFoundError(
                    f"tag {parsed.name!r} has no version {parsed.version}; "
                    f"versions: {_compact(versions)}"
                )
        raise self._not_found(session, parsed, base)

    def resolve(self, ref: str | TagRef, base: BaseArg = None) -> TagRecord:
        """The record for ``"Name"`` (newest version) or ``"Name@v"``."""
        with self._read() as session:
            return _tag_record(self._resolve_row(session, ref, base))

    def versions(self, name: str, base: BaseArg = None) -> list[TagRecord]:
        """All versions of ``name``, oldest first."""
        validate_name(name)
        with self._read() as session:
            rows = self._candidates(session, name, base)
            if not rows:
                raise self._not_found(session, TagRef(name), base)
            return [_tag_record(r) for r in reversed(rows)]

    def list_tags(
        self, kind: TagKind | None = None, base: BaseArg = None, all_versions: bool = False
    ) -> list[TagRecord]:
        """Tags ordered by name then version; newest version of each unless ``all_versions``."""
        with self._read() as session:
            query = select(TagRow)
            if kind is not None:
                query = query.where(TagRow.kind == kind)
            base_row = self._base_row(session, base)
            if base_row is not None:
                query = query.where(TagRow.base_model_id == base_row.id)
            if not all_versions:
                newest = (
                    select(TagRow.name, TagRow.base_model_id, func.max(TagRow.version).label("v"))
                    .group_by(TagRow.name, TagRow.base_model_id)
                    .subquery()
                )
                query = query.join(
                    newest,
                    (TagRow.name == newest.c.name)
                    & (TagRow.base_model_id == newest.c.base_model_id)
                    & (TagRow.version == newest.c.v),
                )
            query = query.order_by(TagRow.name, TagRow.base_model_id, TagRow.version)
            return [_tag_record(r) for r in session.scalars(query).unique()]

    def load_tensor(self, record: TagRecord) -> Any:
        """The tag's ``(n_vectors, dim)`` torch tensor, checksum-verified."""
        with self._read() as session:
            row = self._resolve_row(session, TagRef(record.name, record.version), record.base)
            data = row.data
            tensors.verify(data, row.sha256, f"tag {row.name}@{row.version}")
            return tensors.decode(data, f"tag {row.name}@{row.version}")[tensors.TAG_KEY]

    def load_head(self, record: TagRecord) -> dict[str, Any]:
        """The head's tensors, checksum-verified (``{}`` for tags without a head)."""
        with self._read() as session:
            row = self._resolve_row(session, TagRef(record.name, record.version), record.base)
            if row.head is None:
                return {}
            what = f"head of {row.name}@{row.version}"
            tensors.verify(row.head.data, row.head.sha256, what)
            return tensors.decode(row.head.data, what)

    def raw_payloads(self, record: TagRecord) -> tuple[bytes, bytes | None]:
        """The stored safetensors bytes of the tag and its head, checksum-verified."""
        with self._read() as session:
            row = self._resolve_row(session, TagRef(record.name, record.version), record.base)
            tensors.verify(row.data, row.sha256, f"tag {row.name}@{row.version}")
            head = None
            if row.head is not None:
                tensors.verify(row.head.data, row.head.sha256, f"head of {row.name}@{row.version}")
                head = row.head.data
            return row.data, head

    def delete(self, ref: str, base: BaseArg = None) -> TagRecord:
        """Delete one pinned version (``"Name@v"``); returns the deleted record."""
        parsed = parse_ref(ref)
        if parsed.version is None:
            raise InvalidNameError(
                f"delete needs a pinned version, e.g. {parsed.name}@1: versions are never removed implicitly"
            )

        def work(session: Session) -> TagRecord:
            row = self._resolve_row(session, parsed, base)
            record = _tag_record(row)
            session.execute(delete(HeadRow).filter_by(tag_id=row.id))
            session.execute(delete(TagRow).filter_by(id=row.id))
            return record

        return self._write(work)


def _compact(versions: list[int]) -> str:
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
