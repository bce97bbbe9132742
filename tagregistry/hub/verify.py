"""Verify a pack folder completely, before anything is registered.

Checks, in order: no pickle-type files anywhere in the folder; the manifest's format and
version; tag names and file names; then, for every file, its presence, size (limits and
truncation), sha256, safetensors header, tensor keys, dtypes and shapes, and finally the
tensor data itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry import tensors
from tagregistry.errors import InputError, IntegrityError, InvalidNameError
from tagregistry.hub.errors import PackCheckError, PackFormatError
from tagregistry.hub.manifest import (
    MANIFEST_FILE,
    MAX_MANIFEST_BYTES,
    PICKLE_SUFFIXES,
    PackManifest,
    PackTag,
    read_manifest,
)
from tagregistry.store.validation import FLOAT_DTYPES, MAX_VECTORS, check_head, check_tag

_SKIP_DIRS = {".git", ".cache"}


@dataclass
class VerifiedTag:
    """A manifest entry whose files passed every check, with its decoded tensors."""

    entry: PackTag
    tensor: Any
    head: dict[str, Any] = field(default_factory=dict)


def verify_pack(directory: str | Path) -> tuple[PackManifest, list[VerifiedTag]]:
    """Check the folder against its manifest; raise PackCheckError / PackFormatError on failure."""
    folder = Path(directory)
    if not folder.is_dir():
        raise PackFormatError(f"{folder}: not a folder; a tag pack is a folder with {MANIFEST_FILE}")
    refuse_pickles(folder)
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file():
        raise PackFormatError(f"{folder}: no {MANIFEST_FILE}; this folder is not a tag pack")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise PackFormatError(
            f"{folder}: {MANIFEST_FILE} is over the {MAX_MANIFEST_BYTES}-byte limit"
        )
    manifest = read_manifest(folder)
    verified = [_verify_tag(folder, manifest, entry) for entry in manifest.tags]
    return manifest, verified


def refuse_pickles(folder: Path) -> None:
    """Refuse a pack that carries pickle-type weights (``.bin``, ``.pt``, ``.pkl``...)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        refuse_pickle_names(Path(root, name).relative_to(folder).as_posix() for name in files)


def refuse_pickle_names(names: Iterable[str]) -> None:
    """Refuse a pack whose files (paths relative to the pack) include pickle-type weights."""
    for name in names:
        if name.lower().endswith(PICKLE_SUFFIXES):
            raise PackCheckError(
                "pickle", name,
                "tag packs carry safetensors only; pickle-type files can run code when "
                "loaded. Ask the publisher to remove it",
            )


def _verify_tag(folder: Path, manifest: PackManifest, entry: PackTag) -> VerifiedTag:
    hidden = manifest.base_model.hidden_size
    shape = entry.shape
    if len(shape) != 2 or not 1 <= shape[0] <= MAX_VECTORS or shape[1] != hidden:
        raise PackCheckError(
            "shape", entry.file,
            f"{entry.ref} declares shape {shape}; expected (n_vectors <= {MAX_VECTORS}, "
            f"hidden size {hidden} of {manifest.base_model.model_id})",
        )
    data = read_checked(folder, entry.file, entry.sha256, entry.size)
    _check_layout(data, entry.file, {tensors.TAG_KEY: (entry.dtype, shape)})
    tag = _decode(data, entry.file)[tensors.TAG_KEY]
    _check_values(entry.file, check_tag, entry.name, tag)
    head: dict[str, Any] = {}
    if entry.head is not None:
        spec = entry.head
        if set(spec.shapes) != set(spec.dtypes) or not spec.shapes:
            raise PackCheckError("head layout", spec.file, "shapes and dtypes must name the same tensors")
        head_bytes = read_checked(folder, spec.file, spec.sha256, spec.size)
        _check_layout(head_bytes, spec.file, {k: (spec.dtypes[k], v) for k, v in spec.shapes.items()})
        head = _decode(head_bytes, spec.file)
        _check_values(spec.file, check_head, entry.name, head)
    return VerifiedTag(entry=entry, tensor=tag, head=head)


def read_checked(folder: Path, name: str, sha256: str, size: int) -> bytes:
    """The bytes of ``folder/name`` after the presence, size, limit and sha256 checks."""
    path = folder / name
    if not path.is_file():
        raise PackCheckError("presence", name, "listed in the manifest but missing from the pack")
    actual = path.stat().st_size
    if actual > tensors.MAX_TENSOR_BYTES:
        raise PackCheckError("size limit", name, f"{actual} bytes exceeds {tensors.MAX_TENSOR_BYTES}")
    if actual != size:
        what = "truncated" if actual < size else "larger than declared"
        raise PackCheckError("size", name, f"{what}: {actual} bytes, the manifest says {size}")
    data = path.read_bytes()
    digest = tensors.sha256_hex(data)
    if digest != sha256:
        raise PackCheckError(
            "sha256", name,
            f"content hashes to {digest[:16]}..., the manifest says {sha256[:16]}...: "
            "the file was modified or corrupted",
        )
    return data


def _check_layout(data: bytes, name: str, expected: dict[str, tuple[str, list[int]]]) -> None:
    try:
        info = tensors.tensor_info(data, name)
    except (IntegrityError, KeyError, TypeError) as exc:
        raise PackCheckError("safetensors header", name, str(exc)) from exc
    if set(info) != set(expected):
        raise PackCheckError(
            "tensor names", name, f"holds {sorted(info)}, the manifest says {sorted(expected)}"
        )
    for key, (dtype, shape) in expected.items():
        code, actual_shape = info[key]
        actual_dtype = FLOAT_DTYPES.get(code)
        if actual_dtype is None:
            raise PackCheckError("dtype", name, f"tensor {key!r} has dtype {code}; tags are floats")
        if actual_dtype != dtype:
            raise PackCheckError(
                "dtype", name, f"tensor {key!r} is {actual_dtype}, the manifest says {dtype}"
            )
        if list(actual_shape) != list(shape):
            raise PackCheckError(
                "shape", name, f"tensor {key!r} has shape {actual_shape}, the manifest says {shape}"
            )


def _decode(data: bytes, name: str) -> dict[str, Any]:
    try:
        return tensors.decode(data, name)
    except IntegrityError as exc:
        raise PackCheckError("tensor data", name, str(exc)) from exc


def _check_values(name: str, check: Any, *args: Any) -> None:
    """The store's own tensor validation, reported as a pack check."""
    try:
        check(*args)
    except (InputError, InvalidNameError) as exc:
        raise PackCheckError("tensor values", name, str(exc)) from exc
