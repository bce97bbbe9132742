"""Tensors <-> safetensors bytes, with checksums. Never pickle.

Torch is imported only when a tensor is actually decoded, so the store stays importable
without it (listing and resolving never touch tensor bytes).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tagregistry.errors import InputError, IntegrityError

TAG_KEY = "tag"
MAX_TENSOR_BYTES = 256 * 1024 * 1024


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _is_torch(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def encode(tensors: dict[str, Any], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise a dict of torch tensors or numpy arrays to safetensors bytes."""
    if not tensors:
        raise InputError("nothing to encode: the tensor dict is empty")
    from safetensors import SafetensorError

    try:
        if all(_is_torch(t) for t in tensors.values()):
            from safetensors.torch import save

            return save(
                {k: t.detach().contiguous().cpu() for k, t in tensors.items()}, metadata=metadata
            )
        import numpy as np
        from safetensors.numpy import save

        arrays = {
            k: (t.detach().cpu().numpy() if _is_torch(t) else np.ascontiguousarray(t))
            for k, t in tensors.items()
        }
        return save(arrays, metadata=metadata)
    except (SafetensorError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise InputError(
            f"cannot store tensors {sorted(tensors)} as safetensors ({exc}); "
            "pass torch tensors or numpy arrays of a numeric dtype"
        ) from exc


def check_payload_size(data: bytes, what: str) -> bytes:
    """``data``, or an InputError when it is over :data:`MAX_TENSOR_BYTES`: the one limit,
    enforced when a payload is written so that nothing stored is refused on reading."""
    if len(data) > MAX_TENSOR_BYTES:
        raise InputError(
            f"{what} takes {len(data):,} bytes as safetensors; at most {MAX_TENSOR_BYTES:,} "
            "(256 MiB) are stored, loaded and exported: use fewer vectors or a smaller dtype"
        )
    return data


def decode(data: bytes, what: str) -> dict[str, Any]:
    """Parse safetensors bytes into torch tensors; ``what`` names the record in errors."""
    if len(data) > MAX_TENSOR_BYTES:
        raise IntegrityError(f"{what}: {len(data)} bytes exceeds the {MAX_TENSOR_BYTES}-byte limit")
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        return load(data)
    except (SafetensorError, ValueError) as exc:
        raise IntegrityError(f"{what}: not a valid safetensors payload ({exc})") from exc


def read_header(data: bytes, what: str) -> dict[str, Any]:
    """The JSON header of a safetensors payload, without decoding tensors."""
    import struct

    from tagregistry.safe_json import parse_json

    if len(data) < 8:
        raise IntegrityError(f"{what}: truncated safetensors payload ({len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(len(data) - 8, 100_000_000):
        raise IntegrityError(f"{what}: safetensors header length {size} exceeds the payload")
    try:
        header = parse_json(data[8 : 8 + size])
    except ValueError as exc:
        raise IntegrityError(f"{what}: unreadable safetensors header ({exc})") from exc
    if not isinstance(header, dict):
        raise IntegrityError(f"{what}: safetensors header is not a JSON object")
    return header


def tensor_info(data: bytes, what: str) -> dict[str, tuple[str, list[int]]]:
    """``{key: (dtype, shape)}`` for every tensor in a payload (header only)."""
    header = read_header(data, what)
    return {k: (v["dtype"], list(v["shape"])) for k, v in header.items() if k != "__metadata__"}


def verify(data: bytes, expected_sha256: str, what: str) -> None:
    """Raise IntegrityError naming ``what`` if ``data`` does not hash to ``expected_sha256``."""
    actual = sha256_hex(data)
    if actual != expected_sha256:
        raise IntegrityError(
            f"checksum mismatch for {what}: stored sha256 {expected_sha256[:16]}..., "
            f"data hashes to {actual[:16]}...; the record was modified outside tagregistry — "
            "delete it and register or pull it again"
        )


def dtype_name(value: Any) -> str:
    """A short dtype name (``float32``, ``bfloat16``) for a torch tensor or numpy array."""
    return str(value.dtype).removeprefix("torch.")


def shape_of(value: Any) -> list[int]:
    """The shape as a list of ints."""
    return [int(s) for s in value.shape]
