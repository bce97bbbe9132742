"""The ``protein-tiny`` named base: a random 2-layer Llama for offline tests."""

from __future__ import annotations

from typing import Any


def load_tiny(dtype: Any = None) -> tuple[Any, Any]:
    """``(model, tokenizer)``: tagregistry's seeded tiny Llama and its local BPE tokenizer."""
    from tagregistry.testing import load_tiny as load

    return load("llama", seed=0, dtype=dtype)
