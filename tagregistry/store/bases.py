"""Base model rows: register one (idempotent, fingerprint-checked) and find one by reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select
from sqlalchemy.orm import Session

from tagregistry.errors import (
    AmbiguousReferenceError,
    BaseModelMismatchError,
    InvalidNameError,
    NotFoundError,
)
from tagregistry.names import did_you_mean
from tagregistry.specs import BaseModelRecord
from tagregistry.store.queries import ALL_BASES, BASE_COLUMNS, base_query
from tagregistry.store.record_checks import check_base_record
from tagregistry.store.records import base_record, now
from tagregistry.store.schema import BaseModelRow, TagRow, VersionCounterRow

BaseArg = BaseModelRecord | str | None


def ensure_base(session: Session, record: BaseModelRecord) -> Row[Any]:
    """The row of ``record``, added unless present; a changed fingerprint for the same id is refused."""
    check_base_record(record)
    connection = session.connection()
    params = {"model_id": record.model_id, "revision": record.revision}
    row = connection.execute(base_query(True, True), params).first()
    if row is None:
        connection.execute(BaseModelRow.__table__.insert().values(**record.model_dump(), created_at=now()))
        row = connection.execute(base_query(True, True), params).first()
        assert row is not None
        return row
    existing = base_record(row)
    if existing != record:
        raise BaseModelMismatchError(
            f"base model {record.model_id}@{record.revision} is registered with "
            f"fingerprint {existing.fingerprint[:12]} (hidden {existing.hidden_size}) but "
            f"this one has {record.fingerprint[:12]} (hidden {record.hidden_size}); "
            "register the changed weights under another revision"
        )
    return row


def bases_by_id(session: Session | Connection) -> dict[int, BaseModelRecord]:
    """Every base model record by id (few rows; read once per operation)."""
    return {row.id: base_record(row) for row in session.execute(ALL_BASES)}


def find_base(session: Session | Connection, base: BaseArg) -> Row[Any] | None:
    """The row of ``base`` (a record, ``"id"`` or ``"id@revision"``); ``None`` for ``None``."""
    if base is None:
        return None
    if isinstance(base, BaseModelRecord):
        query = base_query(True, True)
        params = {"model_id": base.model_id, "revision": base.revision}
    else:
        model_id, _, revision = base.partition("@")
        query = base_query(False, bool(revision))
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


def base_usage(session: Session | Connection) -> list[tuple[BaseModelRecord, int]]:
    """Every base model with the number of tag versions bound to it, in registration order."""
    counts = (
        select(TagRow.base_model_id, func.count().label("n"))
        .group_by(TagRow.base_model_id)
        .subquery()
    )
    query = (
        select(*BASE_COLUMNS, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.base_model_id == BaseModelRow.id)
        .order_by(BaseModelRow.id)
    )
    return [(base_record(row), int(row.n)) for row in session.execute(query)]


def delete_base_work(base: str | BaseModelRecord) -> Callable[[Session], BaseModelRecord]:
    """The work that deletes one base model that no tag version is bound to."""

    def work(session: Session) -> BaseModelRecord:
        row = find_base(session, base)
        assert row is not None
        used = session.scalar(select(func.count()).where(TagRow.base_model_id == row.id)) or 0
        record = base_record(row)
        if used:
            raise InvalidNameError(
                f"base model {record.model_id}@{record.revision} is used by {used} tag "
                "version(s); delete those first (tagregistry list --all-versions --base "
                f"{record.model_id}); {record.model_id}@{record.revision} was not deleted"
            )
        session.execute(delete(VersionCounterRow).where(VersionCounterRow.base_model_id == row.id))
        session.execute(delete(BaseModelRow).where(BaseModelRow.id == row.id))
        return record

    return work
