"""Export one tag (and its head) to a ``.safetensors`` file, metadata in the header; import it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagregistry import tensors
from tagregistry.errors import IntegrityError
from tagregistry.names import validate_name
from tagregistry.output_files import output_target, partial_path
from tagregistry.safe_json import parse_json
from tagregistry.specs import TagRecord

FORMAT = "tagregistry.tag/1"
HEAD_PREFIX = "head."
#: a tag and a head of the largest stored size, with room for the record in the header
MAX_FILE_BYTES = 2 * tensors.MAX_TENSOR_BYTES + 16 * 1024 * 1024


def export_tag(record: TagRecord, tag: Any, head: dict[str, Any], path: str | Path) -> Path:
    """Write ``tag`` (key ``tag``) and head tensors (keys ``head.*``) with the record as metadata."""
    meta = {
        "format": FORMAT,
        "record": record.model_dump_json(),
    }
    payload = {tensors.TAG_KEY: tag, **{HEAD_PREFIX + k: v for k, v in head.items()}}
    target = output_target(path)
    tmp = partial_path(target)
    try:
        tmp.write_bytes(tensors.encode(payload, metadata=meta))
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Path(path)


def read_export(path: str | Path) -> tuple[TagRecord, Any, dict[str, Any]]:
    """Read and verify an exported file: ``(record, tag tensor, head tensors)``."""
    source = Path(path)
    if not source.is_file():
        raise IntegrityError(f"{source}: no such file")
    if source.stat().st_size > MAX_FILE_BYTES:
        raise IntegrityError(f"{source}: larger than {MAX_FILE_BYTES} bytes; refusing to read it")
    data = source.read_bytes()
    header = tensors.read_header(data, str(source))
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise IntegrityError(
            f"{source}: not a tagregistry tag export (format "
            f"{meta.get('format') if isinstance(meta, dict) else meta!r:.80}, expected {FORMAT!r})"
        )
    try:
        text = meta["record"]
        if not isinstance(text, str):
            raise ValueError(f"the record is a JSON {type(text).__name__}, not a string")
        record = TagRecord.model_validate(parse_json(text))
    except (KeyError, ValueError) as exc:
        raise IntegrityError(f"{source}: unreadable tag record in the header ({exc})") from exc
    validate_name(record.name)
    loaded = tensors.decode(data, str(source))
    tag = loaded.pop(tensors.TAG_KEY, None)
    if tag is None:
        raise IntegrityError(f"{source}: no 'tag' tensor in the file")
    head = {k.removeprefix(HEAD_PREFIX): v for k, v in loaded.items() if k.startswith(HEAD_PREFIX)}
    _check(record, tag, head, str(source))
    return record, tag, head


def _check(record: TagRecord, tag: Any, head: dict[str, Any], what: str) -> None:
    shape = tensors.shape_of(tag)
    if shape != [record.n_vectors, record.dim]:
        raise IntegrityError(f"{what}: tag shape {shape} != recorded {[record.n_vectors, record.dim]}")
    if tensors.dtype_name(tag) != record.dtype:
        raise IntegrityError(f"{what}: tag dtype {tensors.dtype_name(tag)} != recorded {record.dtype}")
    if tensors.sha256_hex(tensors.encode({tensors.TAG_KEY: tag})) != record.sha256:
        raise IntegrityError(f"{what}: tag tensor does not match the recorded sha256")
    if record.head is not None:
        shapes = {k: tensors.shape_of(v) for k, v in head.items()}
        if shapes != record.head.shapes:
            raise IntegrityError(f"{what}: head shapes {shapes} != recorded {record.head.shapes}")
        if tensors.sha256_hex(tensors.encode(head)) != record.head.sha256:
            raise IntegrityError(f"{what}: head tensors do not match the recorded sha256")
    elif head:
        raise IntegrityError(f"{what}: head tensors present but the record has no head")


__all__ = ["export_tag", "read_export"]
