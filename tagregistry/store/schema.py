"""SQLAlchemy ORM tables. Change them only together with a new migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of the registry schema."""


class MigrationRow(Base):
    __tablename__ = "schema_migrations"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    applied_at: Mapped[datetime]


class BaseModelRow(Base):
    __tablename__ = "base_models"
    __table_args__ = (UniqueConstraint("model_id", "revision", name="uq_base_model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(String(256))
    revision: Mapped[str] = mapped_column(String(128))
    hidden_size: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("name", "base_model_id", "version", name="uq_tag_version"),
        Index("ix_tags_name", "name"),
        Index("ix_tags_name_version", "name", "version"),  # added by 0002_version_counters
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    base_model_id: Mapped[int] = mapped_column(ForeignKey("base_models.id"))
    n_vectors: Mapped[int]
    dim: Mapped[int]
    dtype: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime]
    library_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_hash: Mapped[str | None] = mapped_column(String(128))
    metrics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    license: Mapped[str | None] = mapped_column(String(128))
    #: sha256 over the metadata (store/checksums.py); added by 0003_record_checksums
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    # last, so that reading the metadata columns never walks a large blob's overflow pages
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    base_model: Mapped[BaseModelRow] = relationship(lazy="joined")
    head: Mapped[HeadRow | None] = relationship(
        back_populates="tag", cascade="all, delete-orphan", lazy="joined", uselist=False
    )


class HeadRow(Base):
    __tablename__ = "heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    shapes: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    tag: Mapped[TagRow] = relationship(back_populates="head")


class VersionCounterRow(Base):
    """The last version number handed out per (name, base model): deleted numbers are not reused."""

    __tablename__ = "tag_counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    base_model_id: Mapped[int] = mapped_column(ForeignKey("base_models.id"), primary_key=True)
    last_version: Mapped[int]
