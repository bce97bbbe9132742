"""Records from import and packs are checked exactly as ``register`` checks them, on both
databases: NaN metrics, empty or '@' base ids, NUL characters, lone surrogates, over-long
fields, absurd hidden sizes and head specs are refused before the database sees them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from tagregistry.errors import InputError, IntegrityError, TagRegistryError
from tagregistry.hub.manifest import MANIFEST_FILE
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord, HeadSpec
from tagregistry.store.record_checks import MAX_DESCRIPTION
from tagregistry.store.tag_store import HeadPayload

HIDDEN = 8

# field edits of a record, and what the refusal says
RECORD_EDITS = {
    "nan metric": ({"metrics": {"mse": math.nan}}, "must be a finite number"),
    "inf metric": ({"metrics": {"mse": math.inf}}, "must be a finite number"),
    "NUL in description": ({"description": "a\x00b"}, "NUL character"),
    "NUL in license": ({"license": "MIT\x00"}, "NUL character"),
    "NUL in source": ({"source": {"k\x00": "v"}}, "NUL character"),
    "lone surrogate": ({"description": "caf\udce9"}, "lone surrogate"),
    "long description": ({"description": "x" * (MAX_DESCRIPTION + 1)}, "at most 100,000"),
    "long data_hash": ({"data_hash": "d" * 129}, "at most 128"),
    "long license": ({"license": "L" * 129}, "at most 128"),
    "long model_id": ({"base": {"model_id": "m" * 257}}, "at most 256"),
    "long revision": ({"base": {"revision": "r" * 129}}, "at most 128"),
    "long fingerprint": ({"base": {"fingerprint": "f" * 65}}, "at most 64"),
    "empty model_id": ({"base": {"model_id": ""}}, "base model id is empty"),
    "@ in model_id": ({"base": {"model_id": "org/m@x"}}, "contains '@'"),
    "NUL in model_id": ({"base": {"model_id": "org/\x00m"}}, "NUL character"),
    "empty fingerprint": ({"base": {"fingerprint": ""}}, "fingerprint is empty"),
    "huge hidden_size": ({"base": {"hidden_size": 2**70}}, "hidden size"),
}


def _edited(record: dict, edit: dict) -> dict:
    out = json.loads(json.dumps(record))
    for key, value in edit.items():
        if key == "base":
            out["base"].update(value)
        else:
            out[key] = value
    return out


@pytest.fixture
def exported(base_record, tmp_path: Path) -> Path:
    with Registry(f"sqlite:///{tmp_path / 'theirs.db'}") as theirs:
        theirs.register("QED", np.ones((2, HIDDEN), np.float32), base=base_record, kind="function",
                        description="ok", metrics={"mse": 0.5})
        return theirs.export("QED", tmp_path / "qed.safetensors")


@pytest.mark.parametrize("case", sorted(RECORD_EDITS))
def test_import_checks_like_register(db_url: str, exported: Path, tmp_path: Path, case: str) -> None:
    edit, message = RECORD_EDITS[case]
    data = exported.read_bytes()
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    meta = header["__metadata__"]
    meta["record"] = json.dumps(_edited(json.loads(meta["record"]), edit))
    forged = tmp_path / "forged.safetensors"
    save_file(load_file(exported), forged, metadata=meta)
    with Registry(db_url) as registry:
        with pytest.raises(TagRegistryError, match=message):
            registry.import_file(forged)
        assert registry.list() == [] and registry.bases() == []


@pytest.mark.parametrize("case", sorted(RECORD_EDITS))
def test_register_refuses_the_same(db_url: str, case: str) -> None:
    edit, message = RECORD_EDITS[case]
    base = {"model_id": "tiny", "hidden_size": HIDDEN, "fingerprint": "0" * 64, **edit.get("base", {})}
    fields = {k: v for k, v in edit.items() if k != "base"}
    with Registry(db_url) as registry:
        with pytest.raises(InputError, match=message):
            registry.register("QED", np.ones((2, HIDDEN), np.float32), base=BaseModelRecord(**base),
                              kind="function", **fields)
        assert registry.list() == [] and registry.bases() == []


@pytest.mark.parametrize("case", ["nan metric", "NUL in description", "@ in model_id", "empty fingerprint"])
def test_packs_check_like_register(registry: Registry, base_record, tmp_path: Path, case: str) -> None:
    registry.register("QED", np.ones((2, HIDDEN), np.float32), base=base_record, kind="function")
    folder = registry.save_pack(["QED"], tmp_path / "pack")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    edit, message = RECORD_EDITS[case]
    if "base" in edit:
        manifest["base_model"].update(edit["base"])
    else:
        manifest["tags"][0].update(edit)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with Registry(f"sqlite:///{tmp_path / 'other.db'}") as other:
        with pytest.raises(TagRegistryError, match=message):
            other.load_pack(folder)
        assert other.list() == [] and other.bases() == []


def test_a_head_spec_its_tensors_cannot_implement_is_refused(registry: Registry, base_record) -> None:
    head = HeadPayload(spec=HeadSpec(type="regression", output_dim=3_000_000),
                       tensors={"linear.weight": np.zeros((1, HIDDEN), np.float32)})
    with pytest.raises(InputError, match="declares output_dim=3000000, but its tensors hold only 8"):
        registry.register("QED", np.ones((2, HIDDEN), np.float32), base=base_record,
                          kind="function", head=head)
    assert registry.list() == []


@pytest.mark.parametrize(("metadata", "message"), [
    ('["tagregistry.tag/1"]', "not a tagregistry tag export"),
    ('"text"', "not a tagregistry tag export"),
    ('{"format": "tagregistry.tag/1", "record": 5}', "the record is a JSON int"),
])
def test_malformed_export_metadata_is_one_error(registry: Registry, tmp_path: Path,
                                                metadata: str, message: str) -> None:
    from safetensors.numpy import save

    body = save({"tag": np.ones((2, HIDDEN), np.float32)})
    size = int.from_bytes(body[:8], "little")
    header = json.loads(body[8:8 + size])
    header["__metadata__"] = json.loads(metadata)
    text = json.dumps(header).encode()
    path = tmp_path / "odd.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + body[8 + size:])
    with pytest.raises(IntegrityError, match=message):
        registry.import_file(path)
