"""One validation of tag and head tensors for every way in: register, import, packs.

Tags and heads are finite floating-point tensors; a tag is ``(n_vectors, hidden)`` with
``1 <= n_vectors <= MAX_VECTORS``. Integer, bool and complex tensors, NaN and inf (which
make ``predict`` return nan) and absurd vector counts are refused with an ``InputError``.
"""

from __future__ import annotations

import math
from typing import Any

from tagregistry import tensors
from tagregistry.errors import InputError, InvalidNameError

#: most vectors one tag may have (Tag-LLM uses about 10; prompt-tuning work stays in the hundreds)
MAX_VECTORS = 4096
#: safetensors dtype codes of the floating-point types a tag or head may use
FLOAT_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
_ALLOWED = frozenset(FLOAT_DTYPES.values())


def check_tensor(value: Any, what: str) -> list[int]:
    """Refuse a value that is not a finite floating-point tensor; return its shape."""
    if not (hasattr(value, "dtype") and hasattr(value, "shape")) or isinstance(value, type):
        raise InputError(
            f"{what} is a {type(value).__name__}, not a torch tensor or numpy array; pass e.g. "
            "torch.tensor(values, dtype=torch.float32)"
        )
    layout = str(getattr(value, "layout", "torch.strided"))
    if layout != "torch.strided" or getattr(value, "is_sparse", False):
        raise InputError(f"{what} is a {layout.removeprefix('torch.')} tensor; store a dense one "
                         "(.to_dense())")
    device = str(getattr(value, "device", "cpu"))
    if device == "meta":
        raise InputError(f"{what} is on the meta device and holds no values; materialise it first")
    dtype = tensors.dtype_name(value)
    if dtype not in _ALLOWED:
        raise InputError(
            f"{what} has dtype {dtype}; tags and heads are floating point "
            f"({', '.join(sorted(_ALLOWED))}): convert it, e.g. with .float()"
        )
    shape = tensors.shape_of(value)
    itemsize = value.element_size() if hasattr(value, "element_size") else value.itemsize
    if math.prod(shape) * itemsize > tensors.MAX_TENSOR_BYTES:
        raise InputError(
            f"{what} has shape {shape} ({dtype}): {math.prod(shape) * itemsize:,} bytes, over the "
            f"{tensors.MAX_TENSOR_BYTES:,}-byte limit every stored tensor keeps (load and export "
            "refuse larger ones); use fewer vectors or a smaller dtype"
        )
    if not _all_finite(value):
        raise InputError(f"{what} holds NaN or infinite values; a tag with them predicts nan — "
                         "check the training run that produced it")
    return shape


def check_tag(name: str, value: Any) -> list[int]:
    """Validate a tag tensor; return its ``[n_vectors, hidden]`` shape."""
    shape = check_tensor(value, f"tag {name!r}")
    if len(shape) != 2 or shape[0] < 1:
        raise InvalidNameError(
            f"tag {name!r} must be a 2-D tensor (n_vectors, hidden_size), got shape {shape}"
        )
    if shape[0] > MAX_VECTORS:
        raise InputError(f"tag {name!r} has {shape[0]} vectors; at most {MAX_VECTORS} are allowed")
    return shape


def check_head(name: str, values: Any) -> dict[str, list[int]]:
    """Validate a head's tensors; return their shapes by key."""
    if not isinstance(values, dict) or not values:
        raise InputError(f"cannot store tensors of the head of {name!r}: pass a non-empty dict of "
                         "tensors, e.g. {'linear.weight': ..., 'linear.bias': ...}")
    return {
        key: check_tensor(value, f"cannot store tensors {sorted(values)} of the head of {name!r}: {key!r}")
        for key, value in values.items()
    }


def _all_finite(value: Any) -> bool:
    if type(value).__module__.startswith("torch"):
        import torch

        return bool(torch.isfinite(value.detach()).all())
    import numpy as np

    return bool(np.isfinite(np.asarray(value)).all())
