"""What the store holds: records of base models, tags and heads (learned weights' metadata)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tagregistry.specs.contributions import HeadSpec, TagKind


class BaseModelRecord(BaseModel):
    """A base model as the store knows it; every tag is bound to one."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    revision: str = "main"
    hidden_size: int = Field(ge=1)
    fingerprint: str = Field(description="sha256 of the input embedding matrix")

    def __str__(self) -> str:
        return f"{self.model_id}@{self.revision} (fingerprint {self.fingerprint[:12]})"


class HeadRecord(BaseModel):
    """A stored head: its spec, its tensors' shapes, and config such as label scaling."""

    spec: HeadSpec
    shapes: dict[str, list[int]]
    sha256: str
    config: dict[str, Any] = Field(default_factory=dict)

    def parameter_count(self) -> int:
        """How many numbers the head's tensors hold (x 4 bytes in float32)."""
        return sum(math.prod(shape) for shape in self.shapes.values())


class TagRecord(BaseModel):
    """One immutable version of a learned tag, with its provenance."""

    name: str
    kind: TagKind
    version: int
    base: BaseModelRecord
    n_vectors: int
    dim: int
    dtype: str
    sha256: str
    description: str = ""
    created_at: datetime
    library_version: str
    source: dict[str, Any] = Field(default_factory=dict)
    data_hash: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    license: str | None = None
    head: HeadRecord | None = None

    @property
    def ref(self) -> str:
        """``Name@version``."""
        return f"{self.name}@{self.version}"

    def summary(self) -> dict[str, Any]:
        """A flat JSON-friendly dict for tables and ``--json`` output."""
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "base": self.base.model_id,
            "n_vectors": self.n_vectors,
            "dim": self.dim,
            "dtype": self.dtype,
            "head": self.head.spec.type if self.head else None,
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }
