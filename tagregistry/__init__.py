"""tagregistry: learned domain and function tags (Tag-LLM) for frozen LLMs.

Heavy dependencies (torch, transformers) load only when a model is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tagregistry._version import __version__

if TYPE_CHECKING:
    from tagregistry.errors import TagRegistryError
    from tagregistry.registry import Registry
    from tagregistry.specs import (
        BaseModelRecord,
        DomainSpec,
        FunctionSpec,
        HeadSpec,
        SlotSpec,
        TagRecord,
    )
    from tagregistry.store.tag_store import HeadPayload

_LAZY = {
    "Registry": "tagregistry.registry",
    "HeadPayload": "tagregistry.store.tag_store",
    "TagRegistryError": "tagregistry.errors",
    "BaseModelRecord": "tagregistry.specs",
    "DomainSpec": "tagregistry.specs",
    "FunctionSpec": "tagregistry.specs",
    "HeadSpec": "tagregistry.specs",
    "SlotSpec": "tagregistry.specs",
    "TagRecord": "tagregistry.specs",
}

__all__ = [
    "BaseModelRecord",
    "DomainSpec",
    "FunctionSpec",
    "HeadPayload",
    "HeadSpec",
    "Registry",
    "SlotSpec",
    "TagRecord",
    "TagRegistryError",
    "__version__",
]
# (tests/test_imports.py checks that __all__ lists exactly __version__ and the _LAZY names)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tagregistry' has no attribute {name!r}")
