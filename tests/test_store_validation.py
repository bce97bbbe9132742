"""One tensor validation for register, import and packs: finite floats, sane vector counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tagregistry import tensors
from tagregistry.errors import InputError, TagRegistryError
from tagregistry.exchange import FORMAT
from tagregistry.hub.errors import PackCheckError
from tagregistry.hub.manifest import MANIFEST_FILE
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.store.validation import MAX_VECTORS

HIDDEN = 8


def _nan() -> torch.Tensor:
    bad = torch.zeros(2, HIDDEN)
    bad[1, 3] = float("nan")
    return bad


def _inf() -> np.ndarray:
    bad = np.zeros((2, HIDDEN), np.float32)
    bad[0, 0] = -np.inf
    return bad


BAD_TAGS = {
    "int64": (torch.zeros(2, HIDDEN, dtype=torch.int64), "dtype int64"),
    "int32 numpy": (np.zeros((2, HIDDEN), np.int32), "dtype int32"),
    "bool": (torch.zeros(2, HIDDEN, dtype=torch.bool), "dtype bool"),
    "complex": (torch.zeros(2, HIDDEN, dtype=torch.complex64), "dtype complex64"),
    "nan": (_nan(), "NaN or infinite"),
    "inf": (_inf(), "NaN or infinite"),
    "too many vectors": (np.zeros((100_000, HIDDEN), np.float32), f"at most {MAX_VECTORS}"),
    "a list": ([[0.0] * HIDDEN] * 2, "not a torch tensor or numpy array"),
    "None": (None, "not a torch tensor or numpy array"),
    "meta device": (torch.zeros(2, HIDDEN, device="meta"), "meta device"),
    "sparse": (torch.zeros(2, HIDDEN).to_sparse(), "sparse_coo tensor; store a dense one"),
}


@pytest.mark.parametrize("case", sorted(BAD_TAGS))
def test_register_refuses_bad_tensors(db_registry, base_record, case: str) -> None:
    tensor, message = BAD_TAGS[case]
    with pytest.raises(InputError, match=message):
        db_registry.register("QED", tensor, base=base_record, kind="function")
    assert db_registry.list() == [] and db_registry.bases() == []


@pytest.mark.parametrize("case", ["int", "nan"])
def test_register_refuses_bad_head_tensors(registry, base_record, case: str) -> None:
    bad = torch.zeros(1, HIDDEN, dtype=torch.int64) if case == "int" else _nan()[1:]
    payload = HeadPayload(spec=HeadSpec(type="regression"), tensors={"linear.weight": bad})
    with pytest.raises(InputError, match="head of 'QED'"):
        registry.register("QED", torch.zeros(2, HIDDEN), base=base_record, kind="function", head=payload)
    assert registry.list(all_versions=True) == []


def test_import_refuses_nan_tags(registry, base_record, tmp_path: Path) -> None:
    registry.register("QED", torch.zeros(2, HIDDEN), base=base_record, kind="function")
    record = registry.get("QED")
    bad = _nan()
    forged = record.model_copy(update={"sha256": tensors.sha256_hex(tensors.encode({tensors.TAG_KEY: bad}))})
    path = tmp_path / "nan.safetensors"
    path.write_bytes(tensors.encode({tensors.TAG_KEY: bad},
                                    metadata={"format": FORMAT, "record": forged.model_dump_json()}))
    with pytest.raises(InputError, match="NaN"):
        registry.import_file(path)
    assert [r.version for r in registry.versions("QED")] == [1]


def _forge_pack(folder: Path, tensor: torch.Tensor) -> None:
    """Replace the pack's only tag file with ``tensor`` and make the manifest agree."""
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    entry = manifest["tags"][0]
    data = tensors.encode({tensors.TAG_KEY: tensor})
    (folder / entry["file"]).write_bytes(data)
    entry.update(sha256=tensors.sha256_hex(data), size=len(data), shape=list(tensor.shape))
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize(("bad", "message"), [
    (_nan(), "NaN or infinite"),
    (torch.zeros(MAX_VECTORS + 1, HIDDEN), f"n_vectors <= {MAX_VECTORS}"),
    (torch.zeros(2, HIDDEN, dtype=torch.int32), "tags are floats"),
])
def test_packs_refuse_what_the_store_refuses(registry, base_record, tmp_path: Path, bad, message) -> None:
    registry.register("QED", torch.zeros(2, HIDDEN), base=base_record, kind="function")
    folder = registry.save_pack(["QED"], tmp_path / "pack")
    _forge_pack(folder, bad)
    with Registry(f"sqlite:///{tmp_path / 'other.db'}") as other:
        with pytest.raises(PackCheckError, match=message):
            other.load_pack(folder)
        assert other.list() == []


def test_valid_float_dtypes_are_accepted(registry, base_record) -> None:
    for i, dtype in enumerate((torch.float16, torch.bfloat16, torch.float32, torch.float64)):
        record = registry.register(f"T{i}", torch.ones(1, HIDDEN, dtype=dtype), base=base_record,
                                   kind="domain")
        assert record.dtype == str(dtype).removeprefix("torch.")
    assert registry.register("Big", np.zeros((MAX_VECTORS, HIDDEN), np.float32), base=base_record,
                             kind="domain").n_vectors == MAX_VECTORS
    assert issubclass(InputError, TagRegistryError)


def test_a_tag_over_the_read_limit_is_refused_on_write(registry) -> None:
    """(4096, 8192) float64 is exactly 256 MiB of numbers: with the safetensors header it is
    over the limit that load and export enforce, so register refuses it."""
    from tagregistry.specs import BaseModelRecord

    wide = BaseModelRecord(model_id="wide", hidden_size=8192, fingerprint="8" * 64)
    with pytest.raises(InputError, match="at most 268,435,456"):
        registry.register("Huge", torch.zeros(4096, 8192, dtype=torch.float64), base=wide, kind="domain")
    with pytest.raises(InputError, match="over the 268,435,456-byte limit"):
        registry.register("Huge", np.zeros((4096, 8193), np.float64), base=wide, kind="domain")
    head = HeadPayload(spec=HeadSpec(type="regression"),
                       tensors={"a": torch.zeros(4096, 4096, dtype=torch.float64),
                                "b": torch.zeros(4096, 4096, dtype=torch.float64)})
    with pytest.raises(InputError, match="the head of 'Huge' takes"):
        registry.register("Huge", torch.zeros(1, 8192), base=wide, kind="function", head=head)
    assert registry.list(all_versions=True) == []
