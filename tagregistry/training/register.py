"""Register trained tags (and heads) as new versions with metrics and provenance."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from tagregistry.specs import BaseModelRecord, HeadSpec, TagKind, TagRecord
from tagregistry.store.tag_store import HeadPayload

_LIBRARIES = ("tagregistry", "torch", "transformers", "accelerate", "safetensors")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a training result (and Python's)."""
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def head_payload(head: Any, spec: HeadSpec, config: dict[str, Any]) -> HeadPayload:
    """The head's float32 tensors (CPU) with its spec and config (label scaling)."""
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in head.state_dict().items()}
    return HeadPayload(spec=spec, tensors=tensors, config=config)


def register_result(
    registry: Any,
    name: str,
    tensor: Any,
    *,
    kind: TagKind,
    base: BaseModelRecord,
    source: dict[str, Any],
    data_hash: str,
    metrics: dict[str, float],
    description: str = "",
    license: str | None = None,
    head: HeadPayload | None = None,
) -> TagRecord:
    """Store one trained tag as a new immutable version bound to ``base``."""
    return registry.store.register_tag(
        name, tensor.detach().float().cpu().contiguous(), kind=kind, base=base, head=head,
        description=description, source=source, data_hash=data_hash,
        metrics={k: float(v) for k, v in metrics.items()}, license=license,
    )
