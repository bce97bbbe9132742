"""The SELECT statements of the store, built once and reused.

Executing the very same statement object lets SQLAlchemy skip re-keying its cached result
metadata (a large share of a resolve). Record queries read metadata columns only, never bytes.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, type_coerce

from tagregistry.store.schema import BaseModelRow, HeadRow, TagRow

BASE_COLUMNS = (
    BaseModelRow.id, BaseModelRow.model_id, BaseModelRow.revision, BaseModelRow.hidden_size,
    BaseModelRow.fingerprint,
)
# timestamps and JSON are read as text where the driver returns text (SQLite) and decoded
# by the C parsers in ``records``: listing 10,000 versions stays well under 100 ms.
RECORD_COLUMNS = (
    TagRow.id, TagRow.name, TagRow.kind, TagRow.version, TagRow.n_vectors, TagRow.dim,
    TagRow.dtype, TagRow.sha256, TagRow.description,
    type_coerce(TagRow.created_at, String).label("created_at"), TagRow.library_version,
    type_coerce(TagRow.source, String).label("source"), TagRow.data_hash,
    type_coerce(TagRow.metrics, String).label("metrics"), TagRow.license, TagRow.base_model_id,
    type_coerce(HeadRow.spec, String).label("head_spec"),
    type_coerce(HeadRow.shapes, String).label("head_shapes"), HeadRow.sha256.label("head_sha256"),
    type_coerce(HeadRow.config, String).label("head_config"), TagRow.record_sha256,
)

ALL_BASES = select(*BASE_COLUMNS)
TAG_DATA = select(TagRow.data).where(TagRow.id == bindparam("id"))
HEAD_DATA = select(HeadRow.data).where(HeadRow.tag_id == bindparam("id"))


def records_query() -> Select[Any]:
    """Record columns of tags and their (optional) head; no bytes. Bases come separately."""
    return select(*RECORD_COLUMNS).outerjoin(HeadRow, HeadRow.tag_id == TagRow.id)


@functools.cache
def base_query(by_record: bool, with_revision: bool) -> Select[Any]:
    """Base rows by model id (and revision)."""
    query = select(*BASE_COLUMNS).where(BaseModelRow.model_id == bindparam("model_id"))
    if by_record or with_revision:
        query = query.where(BaseModelRow.revision == bindparam("revision"))
    return query


@functools.cache
def resolve_query(with_base: bool) -> Select[Any]:
    """The record row of one (name, version[, base])."""
    query = records_query().where(TagRow.name == bindparam("name"))
    if with_base:
        query = query.where(TagRow.base_model_id == bindparam("base_id"))
    return query.where(TagRow.version == bindparam("version"))


@functools.cache
def newest_query(with_base: bool) -> Select[Any]:
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
def history_query(with_base: bool) -> Select[Any]:
    """Every version of one name, oldest first."""
    query = records_query().where(TagRow.name == bindparam("name"))
    if with_base:
        query = query.where(TagRow.base_model_id == bindparam("base_id"))
    return query.order_by(TagRow.version)


@functools.cache
def list_query(with_kind: bool, with_base: bool, all_versions: bool) -> Select[Any]:
    """Tags ordered by name, base and version; newest of each unless ``all_versions``."""
    query = records_query()
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
