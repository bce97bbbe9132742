"""The tag store: immutable, versioned tag and head records in any SQLAlchemy database."""

from __future__ import annotations

import functools
import gc
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    String,
    bindparam,
    delete,
    func,
    select,
    type_coerce,
)
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
from tagregistry.store.schema import BaseModelRow, HeadRow, TagRow, VersionCounterRow

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
BaseArg = BaseModelRecord | str | None
_WRITE_ATTEMPTS = 40
#: lock waits that timed out and aborted races (SQLite, PostgreSQL): worth another attempt
_TRANSIENT = ("locked", "deadlock detected", "could not serialize")


@dataclass
class HeadPayload:
    """A head to store with a function tag: its spec, tensors and config (e.g. label scaling)."""

    spec: HeadSpec
    tensors: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)


# Records are built from trusted database rows without re-validation (the values were
# validated when registered), and timestamps / JSON are decoded by the C parsers where the
# driver returns text (SQLite): listing 10,000 versions stays well under 100 ms.
_BASE_COLUMNS = (
    BaseModelRow.id, BaseModelRow.model_id, BaseModelRow.revision, BaseModelRow.hidden_size,
    BaseModelRow.fingerprint,
)
_RECORD_COLUMNS = (
    TagRow.id, TagRow.name, TagRow.kind, TagRow.version, TagRow.n_vectors, TagRow.dim,
    TagRow.dtype, TagRow.sha256, TagRow.description,
    type_coerce(TagRow.created_at, String).label("created_at"), TagRow.library_version,
    type_coerce(TagRow.source, String).label("source"), TagRow.data_hash,
    type_coerce(TagRow.metrics, String).label("metrics"), TagRow.license, TagRow.base_model_id,
    type_coerce(HeadRow.spec, String).label("head_spec"),
    type_coerce(HeadRow.shapes, String).label("head_shapes"), HeadRow.sha256.label("head_sha256"),
    type_coerce(HeadRow.config, String).label("head_config"),
)


def _records_query() -> Select[Any]:
    """Record columns of tags and their (optional) head; no bytes. Bases come separately."""
    return select(*_RECORD_COLUMNS).outerjoin(HeadRow, HeadRow.tag_id == TagRow.id)


_ALL_BASES = select(*_BASE_COLUMNS)


# Statements are built once and reused: executing the very same statement object lets
# SQLAlchemy skip re-keying its cached result metadata (a large share of a resolve).
@functools.cache
def _base_query(by_record: bool, with_revision: bool) -> Select[Any]:
    query = select(*_BASE_COLUMNS).where(BaseModelRow.model_id == bindparam("model_id"))
    if by_record or with_revision:
        query = query.where(BaseModelRow.revision == bindparam("revision"))
    return query


@functools.cache
def _resolve_query(with_base: bool) -> Select[Any]:
    query = _records_query().where(TagRow.name == bindparam("name"))
    if with_base:
        query = query.where(TagRow.base_model_id == bindparam("base_id"))
    return query.where(TagRow.version == bindparam("version"))


@functools.cache
def _newest_query(with_base: bool) -> Select[Any]:
    """``(base id, model id, newest version or NULL)`` per base model for one name.

    One index lookup per base model, so long version histories cost nothing.
    """
    newest = (
        select(func.max(TagRow.version))
        .where(TagRow.name == bindparam("name"), TagRow.base_model_id == BaseModelRow.id)
        .scalar_subquery()
    )
    query = select(BaseModelRow.id, BaseModelRow.model_id, newest.label("v"))
    if with_base:
        query = query.where(BaseModelRow.id == bindparam("base_id"))
    return query


@functools.cache
def _history_query(with_base: bool) -> Select[Any]:
    query = _records_query().where(TagRow.name == bindparam("name"))
    if with_base:
        query = query.where(TagRow.base_model_id == bindparam("base_id"))
    return query.order_by(TagRow.version)


@functools.cache
def _list_query(with_kind: bool, with_base: bool, all_versions: bool) -> Select[Any]:
    query = _records_query()
    if with_kind:
        query = query.where(TagRow.kind == bindparam("kind"))
    if with_base:
        query = query.where(TagRow.base_model_id == bindparam("base_id"))
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
    return query.order_by(TagRow.name, TagRow.base_model_id, TagRow.version)


_TAG_DATA = select(TagRow.data).where(TagRow.id == bindparam("id"))
_HEAD_DATA = select(HeadRow.data).where(HeadRow.tag_id == bindparam("id"))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many short-lived, acyclic objects (halves listing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_fromiso = datetime.fromisoformat


def _utc(value: datetime | str) -> datetime:
    """A stored timestamp (naive UTC; text on SQLite) as an aware UTC datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _json(value: Any) -> Any:
    """A stored JSON value (text on SQLite, already decoded on PostgreSQL)."""
    if value is None or value == "{}":
        return {}
    return json.loads(value) if isinstance(value, str) else value


_set = object.__setattr__
_TAG_FIELDS = frozenset(TagRecord.model_fields)


def _trusted(cls: type[M], values: dict[str, Any], fields: frozenset[str] | None = None) -> M:
    """Build a pydantic model from already-validated values holding *every* field."""
    obj = object.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(fields if fields is not None else values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _base_record(row: Any) -> BaseModelRecord:
    return _trusted(BaseModelRecord, {
        "model_id": row.model_id, "revision": row.revision, "hidden_size": row.hidden_size,
        "fingerprint": row.fingerprint,
    })


def _tag_record(row: Row[Any], bases: dict[int, BaseModelRecord]) -> TagRecord:
    """A record from a row of :func:`_records_query`; ``bases`` maps base ids to records.

    Hot path of listing (10,000 rows in well under 100 ms): the common cases (text
    timestamps, empty JSON objects) are decoded inline.
    """
    (
        _, name, kind, version, n_vectors, dim, dtype, sha256, description, created_at,
        library_version, source, data_hash, metrics, license_, base_id, head_spec, head_shapes,
        head_sha256, head_config,
    ) = row
    head = None
    if head_sha256 is not None:
        head = HeadRecord.model_construct(
            spec=HeadSpec.model_construct(**_json(head_spec)), shapes=_json(head_shapes),
            sha256=head_sha256, config=_json(head_config),
        )
    return _trusted(TagRecord, {
        "name": name, "kind": kind, "version": version, "base": bases[base_id],
        "n_vectors": n_vectors, "dim": dim, "dtype": dtype, "sha256": sha256,
        "description": description,
        "created_at": _fromiso(created_at + "+00:00") if created_at.__class__ is str
        else _utc(created_at),
        "library_version": library_version,
        "source": {} if source == "{}" else _json(source), "data_hash": data_hash,
        "metrics": {} if metrics == "{}" else _json(metrics), "license": license_, "head": head,
    }, _TAG_FIELDS)


class TagStore:
    """Versioned storage of tags bound to base models. Thread- and process-safe writes."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        where = str(sqlite_path(url) or self.engine.url.render_as_string(hide_password=True))
        try:
            migrate(self.engine, where)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

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
                retriable = isinstance(exc, SAIntegrityError) or any(
                    sign in str(exc).lower() for sign in _TRANSIENT
                )
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
        return self._write(self._base_work(record))

    def _base_work(self, record: BaseModelRecord) -> Callable[[Session], BaseModelRecord]:
        def work(session: Session) -> BaseModelRecord:
            row = session.scalar(
                select(BaseModelRow).filter_by(model_id=record.model_id, revision=record.revision)
            )
            if row is None:
                session.add(BaseModelRow(**record.model_dump(), created_at=_now()))
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

        return work

    def list_bases(self) -> list[BaseModelRecord]:
        """All registered base models."""
        with self._read() as session:
            query = select(*_BASE_COLUMNS).order_by(BaseModelRow.id)
            return [_base_record(r) for r in session.execute(query)]

    def _base_row(self, session: Session | Connection, base: BaseArg) -> Row[Any] | None:
        if base is None:
            return None
        if isinstance(base, BaseModelRecord):
            query = _base_query(True, True)
            params = {"model_id": base.model_id, "revision": base.revision}
        else:
            model_id, _, revision = base.partition("@")
            query = _base_query(False, bool(revision))
            params = {"model_id": model_id, "revision": revision}
        rows = list(session.execute(query, params))
        if not rows:
            known = list(session.scalars(select(BaseModelRow.model_id)))
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
        return self._write(self._tag_work(
            name, tensor, kind=kind, base=base, description=description, source=source,
            data_hash=data_hash, metrics=metrics, license=license, head=head,
        ))

    def register_many(
        self, tags: Sequence[dict[str, Any]], *, bases: Sequence[BaseModelRecord] = ()
    ) -> list[TagRecord]:
        """Register ``bases`` then several tags in ONE transaction: all of them or none.

        Each item of ``tags`` holds the keyword arguments of :meth:`register_tag`.
        """
        base_works = [self._base_work(b) for b in bases]
        tag_works = [self._tag_work(**item) for item in tags]

        def work(session: Session) -> list[TagRecord]:
            for base_work in base_works:
                base_work(session)
            session.flush()
            return [tag_work(session) for tag_work in tag_works]

        return self._write(work)

    def _tag_work(
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
    ) -> Callable[[Session], TagRecord]:
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
            version = self._next_version(session, name, base_row.id)
            row = TagRow(
                name=name, kind=kind, version=version, base_model_id=base_row.id,
                n_vectors=shape[0], dim=shape[1], dtype=tensors.dtype_name(tensor),
                sha256=tensors.sha256_hex(payload), data=payload, description=description,
                created_at=_now(), library_version=__version__, source=source or {},
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
                name=name, kind=kind, version=version, base=_base_record(base_row),
                n_vectors=row.n_vectors, dim=row.dim, dtype=row.dtype, sha256=row.sha256,
                description=description, created_at=_utc(row.created_at),
                library_version=__version__, source=row.source, data_hash=data_hash,
                metrics=row.metrics, license=license, head=head_record,
            )

        return work

    @staticmethod
    def _next_version(session: Session, name: str, base_model_id: int) -> int:
        """Hand out the next version number; numbers of deleted versions are never reused."""
        counter = session.get(VersionCounterRow, (name, base_model_id), with_for_update=True)
        if counter is None:
            counter = VersionCounterRow(name=name, base_model_id=base_model_id, last_version=0)
            session.add(counter)
        counter.last_version += 1
        return counter.last_version

    @staticmethod
    def _bases(session: Session | Connection) -> dict[int, BaseModelRecord]:
        """Every base model record by id (few rows; read once per operation)."""
        return {row.id: _base_record(row) for row in session.execute(_ALL_BASES)}

    def _candidates(self, session: Session | Connection, name: str, base: BaseArg) -> list[Row[Any]]:
        """Record rows of every version of ``name``, oldest first."""
        base_row = self._base_row(session, base)
        params = {"name": name, "base_id": base_row.id if base_row is not None else None}
        return session.execute(_history_query(base_row is not None), params).all()

    def _not_found(self, session: Session | Connection, ref: TagRef, base: BaseArg) -> NotFoundError:
        names = session.scalars(select(TagRow.name).distinct())
        where = f" on base {base if isinstance(base, str) else base.model_id}" if base else ""
        return NotFoundError(f"no tag named {ref.name!r}{where}{did_you_mean(ref.name, names)}")

    def _resolve_row(self, session: Session | Connection, ref: str | TagRef, base: BaseArg) -> Row[Any]:
        """The record row for a reference (a row of :func:`_records_query`)."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        base_row = self._base_row(session, base)
        params = {
            "name": parsed.name, "version": parsed.version,
            "base_id": base_row.id if base_row is not None else None,
        }
        if parsed.version is None:
            newest = [h for h in session.execute(_newest_query(base_row is not None), params) if h.v]
            if len(newest) > 1:
                raise _ambiguous(parsed, [h.model_id for h in newest])
            if newest:
                params.update(version=newest[0].v, base_id=newest[0].id)
        rows = [] if params["version"] is None else session.execute(
            _resolve_query(params["base_id"] is not None), params
        ).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            bases = self._bases(session)
            raise _ambiguous(parsed, [bases[r.base_model_id].model_id for r in rows])
        if parsed.version is not None:
            query = select(TagRow.version).where(TagRow.name == parsed.name)
            if base_row is not None:
                query = query.where(TagRow.base_model_id == base_row.id)
            versions = sorted(set(session.scalars(query)))
            if versions:
                raise NotFoundError(
                    f"tag {parsed.name!r} has no version {parsed.version}; "
                    f"versions: {_compact(versions)}"
                )
        raise self._not_found(session, parsed, base)

    def resolve(self, ref: str | TagRef, base: BaseArg = None) -> TagRecord:
        """The record for ``"Name"`` (newest version) or ``"Name@v"``."""
        with self._read() as session:
            row = self._resolve_row(session, ref, base)
            return _tag_record(row, self._bases(session))

    def versions(self, name: str, base: BaseArg = None) -> list[TagRecord]:
        """All versions of ``name``, oldest first."""
        validate_name(name)
        with self._read() as session:
            with _gc_paused():
                rows = self._candidates(session, name, base)
                bases = self._bases(session)
                records = [_tag_record(r, bases) for r in rows]
            if not records:
                raise self._not_found(session, TagRef(name), base)
            return records

    def list_tags(
        self, kind: TagKind | None = None, base: BaseArg = None, all_versions: bool = False
    ) -> list[TagRecord]:
        """Tags ordered by name then version; newest version of each unless ``all_versions``."""
        with self._read() as session:
            base_row = self._base_row(session, base)
            query = _list_query(kind is not None, base_row is not None, all_versions)
            params = {"kind": kind, "base_id": base_row.id if base_row is not None else None}
            bases = self._bases(session)
            with _gc_paused():
                return [_tag_record(r, bases) for r in session.execute(query, params).all()]

    def _payloads(
        self, record: TagRecord, *, tag: bool, head: bool
    ) -> tuple[bytes | None, bytes | None]:
        """Checksum-verified tag and/or head bytes of one stored version (``None`` if absent)."""
        with self._read() as session:
            row = self._resolve_row(session, TagRef(record.name, record.version), record.base)
            tag_data = session.scalar(_TAG_DATA, {"id": row.id}) if tag else None
            head_data = None
            if head and row.head_sha256 is not None:
                head_data = session.scalar(_HEAD_DATA, {"id": row.id})
        if tag_data is not None:
            tensors.verify(tag_data, row.sha256, f"tag {row.name}@{row.version}")
        if head_data is not None:
            tensors.verify(head_data, row.head_sha256, f"head of {row.name}@{row.version}")
        return tag_data, head_data

    def load_tensor(self, record: TagRecord) -> Any:
        """The tag's ``(n_vectors, dim)`` torch tensor, checksum-verified."""
        data, _ = self._payloads(record, tag=True, head=False)
        assert data is not None
        return tensors.decode(data, f"tag {record.ref}")[tensors.TAG_KEY]

    def load_head(self, record: TagRecord) -> dict[str, Any]:
        """The head's tensors, checksum-verified (``{}`` for tags without a head)."""
        _, data = self._payloads(record, tag=False, head=True)
        return {} if data is None else tensors.decode(data, f"head of {record.ref}")

    def raw_payloads(self, record: TagRecord) -> tuple[bytes, bytes | None]:
        """The stored safetensors bytes of the tag and its head, checksum-verified."""
        data, head = self._payloads(record, tag=True, head=True)
        assert data is not None
        return data, head

    def delete(self, ref: str, base: BaseArg = None) -> TagRecord:
        """Delete one pinned version (``"Name@v"``); returns the deleted record."""
        parsed = parse_ref(ref)
        if parsed.version is None:
            raise InvalidNameError(
                f"delete needs a pinned version, e.g. {parsed.name}@1: versions are never removed implicitly"
            )

        def work(session: Session) -> TagRecord:
            row = self._resolve_row(session, parsed, base)
            record = _tag_record(row, self._bases(session))
            session.execute(delete(HeadRow).filter_by(tag_id=row.id))
            session.execute(delete(TagRow).filter_by(id=row.id))
            return record

        return self._write(work)


def _ambiguous(ref: TagRef, model_ids: list[str]) -> AmbiguousReferenceError:
    return AmbiguousReferenceError(
        f"tag {str(ref)!r} exists on several base models ({', '.join(sorted(model_ids))}); "
        "pass base=... (CLI: --base) to choose one"
    )


def _now() -> datetime:
    """The current time as naive UTC (portable across database timestamp types)."""
    return datetime.now(UTC).replace(tzinfo=None)


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
