"""Resolving references to record rows: newest, pinned, per base; clear not-found errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from tagregistry.errors import AmbiguousReferenceError, NotFoundError
from tagregistry.names import TagRef, did_you_mean, parse_ref
from tagregistry.store.bases import BaseArg, bases_by_id, find_base
from tagregistry.store.queries import history_query, newest_query, resolve_query
from tagregistry.store.records import compact
from tagregistry.store.schema import TagRow


def history_rows(session: Session | Connection, name: str, base: BaseArg) -> list[Row[Any]]:
    """Record rows of every version of ``name``, oldest first."""
    base_row = find_base(session, base)
    params = {"name": name, "base_id": base_row.id if base_row is not None else None}
    return session.execute(history_query(base_row is not None), params).all()


def not_found(session: Session | Connection, ref: TagRef, base: BaseArg) -> NotFoundError:
    """A not-found error for ``ref`` naming close matches."""
    where = f" on base {base if isinstance(base, str) else base.model_id}" if base else ""
    elsewhere = session.scalars(select(TagRow.base_model_id).where(TagRow.name == ref.name).distinct())
    bases = bases_by_id(session)
    others = sorted({bases[i].model_id for i in elsewhere if i in bases})
    if others:
        return NotFoundError(f"no tag named {ref.name!r}{where}; it exists on base model(s) "
                             f"{', '.join(others)}: choose one with base=... (CLI: --base)")
    names = [n for n in session.scalars(select(TagRow.name).distinct()) if n != ref.name]
    return NotFoundError(f"no tag named {ref.name!r}{where}{did_you_mean(ref.name, names)}")


def ambiguous(ref: TagRef, model_ids: list[str]) -> AmbiguousReferenceError:
    """The error for a reference that matches tags on several base models."""
    return AmbiguousReferenceError(
        f"tag {str(ref)!r} exists on several base models ({', '.join(sorted(model_ids))}); "
        "pass base=... (CLI: --base) to choose one"
    )


def resolve_row(session: Session | Connection, ref: str | TagRef, base: BaseArg) -> Row[Any]:
    """The record row for a reference (a row of :func:`queries.records_query`)."""
    parsed = parse_ref(ref) if isinstance(ref, str) else ref
    base_row = find_base(session, base)
    params = {
        "name": parsed.name, "version": parsed.version,
        "base_id": base_row.id if base_row is not None else None,
    }
    if parsed.version is None:
        newest = [h for h in session.execute(newest_query(base_row is not None), params) if h.v]
        if len(newest) > 1:
            raise ambiguous(parsed, [h.model_id for h in newest])
        if newest:
            params.update(version=newest[0].v, base_id=newest[0].id)
    rows = [] if params["version"] is None else session.execute(
        resolve_query(params["base_id"] is not None), params
    ).all()
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        bases = bases_by_id(session)
        raise ambiguous(parsed, [bases[r.base_model_id].model_id for r in rows])
    if parsed.version is not None:
        query = select(TagRow.version).where(TagRow.name == parsed.name)
        if base_row is not None:
            query = query.where(TagRow.base_model_id == base_row.id)
        versions = sorted(set(session.scalars(query)))
        if versions:
            raise NotFoundError(
                f"tag {parsed.name!r} has no version {parsed.version}; versions: {compact(versions)}"
            )
    raise not_found(session, parsed, base)
