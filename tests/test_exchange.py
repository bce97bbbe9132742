"""Export / import of single tags, and ``db backup``."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from tagregistry.errors import IntegrityError, InvalidNameError, TagRegistryError
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord, HeadSpec
from tagregistry.store.tag_store import HeadPayload

HIDDEN = 8


@pytest.fixture
def populated(registry: Registry, base_record) -> Registry:
    """QED@1..3 (v3 with a classification head and full provenance), SMILES@1 in bfloat16."""
    for i in range(2):
        registry.register("QED", torch.full((2, HIDDEN), float(i)), base=base_record,
                          kind="function")
    head = HeadPayload(
        spec=HeadSpec(type="classification", output_dim=2, labels=["inactive", "active"]),
        tensors={"linear.weight": torch.randn(2, HIDDEN), "linear.bias": torch.randn(2)},
        config={"threshold": 0.5},
    )
    registry.register(
        "QED", torch.randn(3, HIDDEN), base=base_record, kind="function", head=head,
        description="drug-likeness", source={"dataset": "nci"}, data_hash="d" * 64,
        metrics={"accuracy": 0.9}, license="CC-BY-4.0",
    )
    registry.register("SMILES", torch.randn(4, HIDDEN, dtype=torch.bfloat16), base=base_record,
                      kind="domain")
    return registry


def _same_record_content(a, b) -> None:
    keep = ("name", "kind", "n_vectors", "dim", "dtype", "sha256", "description", "data_hash",
            "metrics", "license", "head", "base")
    assert {k: getattr(a, k) for k in keep} == {k: getattr(b, k) for k in keep}


def test_export_import_round_trip(populated: Registry, tmp_path: Path) -> None:
    path = populated.export("QED@3", tmp_path / "out" / "qed.safetensors")
    assert path.is_file() and not list(path.parent.glob("*.partial"))
    original = populated.get("QED@3")

    # into the same registry: identical bytes are already registered (as load_pack does)
    again = populated.import_files([path])
    assert again == [original] and again.already_registered == [original]
    assert [r.version for r in populated.versions("QED")] == [1, 2, 3]

    # into a fresh registry: version 1 with provenance, base model registered on the way
    with Registry(f"sqlite:///{tmp_path / 'other.db'}") as other:
        fresh = other.import_file(path)
        assert fresh.version == 1
        _same_record_content(fresh, original)
        assert fresh.source == {"dataset": "nci",
                                "imported_from": {"file": "qed.safetensors", "version": 3}}
        assert other.bases() == [original.base]
        assert torch.equal(other.load("QED"), populated.load("QED@3"))
        heads = other.load_head("QED"), populated.load_head("QED@3")
        assert heads[0].keys() == heads[1].keys() == {"linear.weight", "linear.bias"}
        assert all(torch.equal(heads[0][k], heads[1][k]) for k in heads[0])
        relayed = other.export("QED", tmp_path / "relayed.safetensors")

    # a third registry keeps the relaying registry's origin beside its own
    with Registry(f"sqlite:///{tmp_path / 'third.db'}") as third:
        record = third.import_file(relayed)
        assert record.source == {
            "dataset": "nci",
            "upstream": [{"imported_from": {"file": "qed.safetensors", "version": 3}}],
            "imported_from": {"file": "relayed.safetensors", "version": 1},
        }


def test_bfloat16_tags_round_trip(populated: Registry, tmp_path: Path) -> None:
    path = populated.export("SMILES", tmp_path / "smiles.safetensors")
    with Registry(f"sqlite:///{tmp_path / 'other.db'}") as other:
        record = other.import_file(path)
        assert (record.version, record.dtype) == (1, "bfloat16")
        assert other.load("SMILES@1").dtype == torch.bfloat16
        assert torch.equal(other.load("SMILES@1"), populated.load("SMILES@1"))


def _count(reg: Registry) -> int:
    return len(reg.list(all_versions=True))


def test_tampered_tensor_bytes_are_refused(populated: Registry, tmp_path: Path) -> None:
    path = populated.export("QED@3", tmp_path / "qed.safetensors")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one bit of the last tensor
    path.write_bytes(bytes(data))
    before = _count(populated)
    with pytest.raises(IntegrityError, match="sha256"):
        populated.import_file(path)
    assert _count(populated) == before


def test_tampered_record_is_refused(populated: Registry, tmp_path: Path) -> None:
    path = populated.export("QED@1", tmp_path / "qed.safetensors")
    data = path.read_bytes()
    assert data.count(b'\\"dtype\\":\\"float32\\"') == 1  # the record, JSON inside JSON
    path.write_bytes(data.replace(b'\\"dtype\\":\\"float32\\"', b'\\"dtype\\":\\"float16\\"'))
    with pytest.raises(IntegrityError, match="dtype"):
        populated.import_file(path)


def test_head_tensors_without_a_head_record_are_refused(populated: Registry, tmp_path: Path) -> None:
    path = populated.export("QED@3", tmp_path / "qed.safetensors")
    size = struct.unpack("<Q", path.read_bytes()[:8])[0]
    header = json.loads(path.read_bytes()[8:8 + size])
    record = json.loads(header["__metadata__"]["record"])
    record["head"] = None
    from safetensors.torch import load_file
    from safetensors.torch import save_file as save_torch

    tensors = load_file(path)
    save_torch(tensors, tmp_path / "nohead.safetensors",
               metadata={"format": "tagregistry.tag/1", "record": json.dumps(record)})
    with pytest.raises(IntegrityError, match="head tensors present"):
        populated.import_file(tmp_path / "nohead.safetensors")


def test_files_that_are_not_exports_are_refused(registry: Registry, tmp_path: Path) -> None:
    plain = tmp_path / "plain.safetensors"
    save_file({"tag": np.zeros((2, HIDDEN), np.float32)}, plain)
    other_format = tmp_path / "other.safetensors"
    save_file({"tag": np.zeros((2, HIDDEN), np.float32)}, other_format,
              metadata={"format": "pt"})
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"PK\x03\x04 this is a zip file, not safetensors" * 10)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    cases = {
        plain: "not a tagregistry tag export",
        other_format: "not a tagregistry tag export",
        garbage: "header length",
        empty: "truncated",
        tmp_path / "missing.safetensors": "no such file",
    }
    for path, message in cases.items():
        with pytest.raises(IntegrityError, match=message):
            registry.import_file(path)
    assert registry.list() == []


def test_export_of_unknown_tag_fails_cleanly(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(TagRegistryError):
        registry.export("Nothing", tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


# -- db backup -------------------------------------------------------------------------------
def test_backup_is_a_usable_copy(populated: Registry, tmp_path: Path) -> None:
    target = populated.backup(tmp_path / "backups" / "copy.db")
    assert target.is_file() and not list(target.parent.glob("*.partial"))
    populated.register("QED", torch.zeros(1, HIDDEN), base="tiny-test", kind="function")
    with Registry(f"sqlite:///{target}") as copy:
        assert [(r.name, r.version) for r in copy.list(all_versions=True)] == [
            ("QED", 1), ("QED", 2), ("QED", 3), ("SMILES", 1)]
        for ref in ("QED@1", "QED@3", "SMILES"):
            assert torch.equal(copy.load(ref), populated.load(ref))
        assert copy.get("QED@3") == populated.get("QED@3")
        # the copy is a registry in its own right
        assert copy.register("QED", torch.zeros(1, HIDDEN), base="tiny-test",
                             kind="function").version == 4


def test_backup_refuses_to_overwrite(populated: Registry, tmp_path: Path) -> None:
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(InvalidNameError, match="exists"):
        populated.backup(existing)
    assert existing.read_bytes() == b"keep me"


@pytest.mark.postgres
def test_backup_of_a_server_database_points_to_its_tools(pg_url: str, tmp_path: Path) -> None:
    with Registry(pg_url) as reg:
        assert reg.db_path is None
        with pytest.raises(TagRegistryError, match="pg_dump"):
            reg.backup(tmp_path / "copy.db")


def test_export_through_a_symlink_writes_its_target_and_refuses_a_folder(tmp_path: Path) -> None:
    from tagregistry.errors import InputError

    with Registry(f"sqlite:///{tmp_path / 'r.db'}") as reg:
        reg.register("QED", np.ones((2, 8), np.float32), kind="function",
                     base=BaseModelRecord(model_id="m", hidden_size=8, fingerprint="5" * 64))
        real = tmp_path / "real.safetensors"
        real.write_bytes(b"old")
        link = tmp_path / "link.safetensors"
        link.symlink_to(real)
        reg.export("QED", link)
        assert link.is_symlink() and reg.import_file(real).name == "QED"
        (tmp_path / "dir.safetensors").mkdir()
        with pytest.raises(InputError, match="is not a regular file"):
            reg.export("QED", tmp_path / "dir.safetensors")
