"""Fingerprints of base models: sha256 of the input-embedding matrix.

The matrix is rounded to bfloat16 before hashing, so float32 and bfloat16 loads of the same
weights share a fingerprint. Results are cached on disk under a key describing the weight
files (path, size, modification time), so a base is hashed once, not on every load.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tagregistry.cache_folders import cache_lock, read_json, write_json_atomic
from tagregistry.models.cache import model_cache_dir

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_memo: dict[str, str] = {}


def embedding_fingerprint(model: Any) -> str:
    """Hex sha256 of ``model.get_input_embeddings().weight`` (shape, then bf16 bytes)."""
    import torch

    weight = model.get_input_embeddings().weight.detach()
    digest = hashlib.sha256()
    digest.update(("x".join(str(s) for s in weight.shape)).encode())
    rows = 8192  # hash in blocks to bound the temporary bf16 copy
    for start in range(0, weight.shape[0], rows):
        block = weight[start : start + rows].to(device="cpu", dtype=torch.bfloat16).contiguous()
        digest.update(block.view(torch.int16).numpy().tobytes())
    return digest.hexdigest()


def weights_key(path: str | Path) -> str | None:
    """A cache key for the weight files under ``path`` (``None`` if there are none)."""
    root = Path(path)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    else:
        files = []
    if not files:
        return None
    parts = [str(root.resolve())]
    for file in files:
        stat = file.stat()
        parts.append(f"{file.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return "|".join(parts)


def _cache_file() -> Path:
    return model_cache_dir() / "fingerprints.json"


def cached_fingerprint(model: Any, key: str | None) -> str:
    """The fingerprint of ``model``, read from / written to the cache under ``key``."""
    if key is None:
        return embedding_fingerprint(model)
    if key in _memo:
        return _memo[key]
    cache = read_json(_cache_file())
    value = cache.get(key)
    if not isinstance(value, str):
        value = embedding_fingerprint(model)
        try:
            with cache_lock(_cache_file(), timeout=60):  # read-modify-write: keep others' keys
                cache = read_json(_cache_file())
                cache[key] = value
                write_json_atomic(_cache_file(), cache)
        except OSError:
            pass  # a read-only or busy cache only costs a re-hash next time
    _memo[key] = value
    return value
