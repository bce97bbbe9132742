"""The tag store: immutable, versioned tag and head records in any SQLAlchemy database.

:class:`TagStore` is the facade; the work lives in small modules: ``queries`` (SELECTs),
``records`` (rows -> records), ``bases``, ``reads`` (resolution), ``writes`` (units of write
work) and ``transactions`` (read connections, write transactions with retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tagregistry import tensors
from tagregistry.errors import InvalidNameError
from tagregistry.names import TagRef, parse_ref, validate_name
from tagregistry.specs import BaseModelRecord, TagKind, TagRecord
from tagregistry.store.bases import (
    BaseArg,
    base_usage,
    bases_by_id,
    delete_base_work,
    ensure_base,
    find_base,
)
from tagregistry.store.engine import make_engine, sqlite_path
from tagregistry.store.faults import translated
from tagregistry.store.health import CheckReport, check_database
from tagregistry.store.migrations import migrate
from tagregistry.store.queries import BASE_COLUMNS, HEAD_DATA, TAG_DATA, list_query
from tagregistry.store.reads import history_rows, not_found, resolve_row
from tagregistry.store.records import base_record, gc_paused, tag_record
from tagregistry.store.schema import BaseModelRow
from tagregistry.store.transactions import Database
from tagregistry.store.writes import HeadPayload, NewTag, RegisteredTags, TagWrite, delete_work

__all__ = ["BaseArg", "HeadPayload", "NewTag", "RegisteredTags", "TagStore"]


class TagStore:
    """Versioned storage of tags bound to base models. Thread- and process-safe writes."""

    def __init__(self, url: str, engine: Engine | None = None, *, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        path = sqlite_path(url)
        self.engine = engine or make_engine(url, read_only=read_only)
        where = str(path or self.engine.url.render_as_string(hide_password=True))
        # the file is guarded by its absolute path: a later chdir must not look like a deletion
        self.db = Database(self.engine, where, path.absolute() if path else None, read_only)
        try:
            with translated(where, path, read_only):
                migrate(self.engine, where, read_only=read_only)
        except BaseException:
            self.engine.dispose()
            raise
        self.db.pin_file()

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    # -- base models ----------------------------------------------------------------------
    def register_base(self, record: BaseModelRecord) -> BaseModelRecord:
        """Record a base model (idempotent); a changed fingerprint for the same id is refused."""
        return self.db.write(lambda session: base_record(ensure_base(session, record)))

    def list_bases(self) -> list[BaseModelRecord]:
        """All registered base models."""
        with self.db.read() as connection:
            query = select(*BASE_COLUMNS).order_by(BaseModelRow.id)
            return [base_record(r) for r in connection.execute(query)]

    def base_usage(self) -> list[tuple[BaseModelRecord, int]]:
        """Every base model with the number of tag versions bound to it."""
        with self.db.read() as connection:
            return base_usage(connection)

    def delete_base(self, base: str | BaseModelRecord) -> BaseModelRecord:
        """Delete a base model that no tag version is bound to; returns its record."""
        return self.db.write(delete_base_work(base))

    # -- tags -----------------------------------------------------------------------------
    def register(self, tag: NewTag) -> TagRecord:
        """Store a new immutable version of ``tag.name`` in one transaction and return its record."""
        return self.db.write(TagWrite(tag))

    def register_many(
        self, tags: Sequence[NewTag], *, bases: Sequence[BaseModelRecord] = ()
    ) -> list[TagRecord]:
        """Register ``bases`` then several tags in ONE transaction: all of them or none."""
        return list(self.register_new(tags, bases=bases, skip_identical=False))

    def register_new(
        self,
        tags: Sequence[NewTag],
        *,
        bases: Sequence[BaseModelRecord] = (),
        skip_identical: bool = True,
    ) -> RegisteredTags:
        """:meth:`register_many`, except that a tag whose exact bytes (tag and head) the
        registry already holds under the same name and base is not registered again.

        The check runs inside the write transaction, so concurrent installs of the same
        tags register them once. Existing records stand in for those tags, in order.
        """
        writes = [TagWrite(tag) for tag in tags]

        def work(session: Session) -> RegisteredTags:
            for base in bases:
                ensure_base(session, base)
            records: list[TagRecord] = []
            existing: list[TagRecord] = []
            for tag in writes:
                found = tag.existing(session) if skip_identical else None
                if found is not None:
                    existing.append(found)
                records.append(found if found is not None else tag(session))
            return RegisteredTags(records, existing)

        return self.db.write(work)

    def resolve(self, ref: str | TagRef, base: BaseArg = None) -> TagRecord:
        """The record for ``"Name"`` (newest version) or ``"Name@v"``."""
        with self.db.read() as connection:
            row = resolve_row(connection, ref, base)
            return tag_record(row, bases_by_id(connection))

    def versions(self, name: str, base: BaseArg = None) -> list[TagRecord]:
        """All versions of ``name``, oldest first."""
        validate_name(name)
        with self.db.read() as connection:
            with gc_paused():
                rows = history_rows(connection, name, base)
                bases = bases_by_id(connection)
                records = [tag_record(r, bases) for r in rows]
            if not records:
                raise not_found(connection, TagRef(name), base)
            return records

    def list_tags(
        self, kind: TagKind | None = None, base: BaseArg = None, all_versions: bool = False
    ) -> list[TagRecord]:
        """Tags ordered by name then version; newest version of each unless ``all_versions``."""
        with self.db.read() as connection:
            base_row = find_base(connection, base)
            query = list_query(kind is not None, base_row is not None, all_versions)
            params = {"kind": kind, "base_id": base_row.id if base_row is not None else None}
            bases = bases_by_id(connection)
            with gc_paused():
                return [tag_record(r, bases) for r in connection.execute(query, params).all()]

    def _payloads(
        self, record: TagRecord, *, tag: bool, head: bool
    ) -> tuple[bytes | None, bytes | None]:
        """Checksum-verified tag and/or head bytes of one stored version (``None`` if absent)."""
        with self.db.read() as connection:
            row = resolve_row(connection, TagRef(record.name, record.version), record.base)
            tag_data = connection.scalar(TAG_DATA, {"id": row.id}) if tag else None
            head_data = None
            if head and row.head_sha256 is not None:
                head_data = connection.scalar(HEAD_DATA, {"id": row.id})
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

    def check(self) -> CheckReport:
        """Verify the whole database: engine integrity check, every record, tensor and head."""
        with self.db.read() as connection:
            return check_database(connection, self.db.where)

    def delete(self, ref: str, base: BaseArg = None) -> TagRecord:
        """Delete one pinned version (``"Name@v"``); returns the deleted record."""
        parsed = parse_ref(ref)
        if parsed.version is None:
            raise InvalidNameError(
                f"delete needs a pinned version, e.g. {parsed.name}@1: versions are never removed implicitly"
            )
        return self.db.write(delete_work(parsed, base))
