"""save_pack / load_pack on disk, and every verification check, without the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from tagregistry.errors import BaseModelMismatchError, NotFoundError
from tagregistry.hub.errors import PackCheckError, PackError, PackFormatError
from tagregistry.hub.manifest import FORMAT_VERSION, MANIFEST_FILE
from tagregistry.specs import BaseModelRecord
from tagregistry.store.writes import NewTag


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_FILE).read_text())


def _write_manifest(folder: Path, data: dict) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps(data))


@pytest.fixture
def pack(tagged, tmp_path: Path) -> Path:
    return tagged.save_pack(["SMILES", "QED"], tmp_path / "pack")


def test_save_pack_layout_manifest_and_card(pack: Path, tagged, base) -> None:
    assert sorted(p.name for p in pack.iterdir()) == [
        "LICENSE.md", "QED.v1.head.safetensors", "QED.v1.safetensors", "README.md",
        "SMILES.v1.safetensors", MANIFEST_FILE,
    ]
    manifest = _manifest(pack)
    assert manifest["format"] == "tagregistry.pack"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["library"]["name"] == "tagregistry"
    assert manifest["base_model"] == base.model_dump()
    by_name = {t["name"]: t for t in manifest["tags"]}
    qed = tagged.get("QED")
    assert by_name["QED"]["sha256"] == qed.sha256
    assert by_name["QED"]["shape"] == [2, 16] and by_name["QED"]["dtype"] == "float32"
    assert by_name["QED"]["head"]["shapes"] == {"linear.bias": [1], "linear.weight": [1, 16]}
    assert by_name["QED"]["head"]["dtypes"] == {"linear.bias": "float32", "linear.weight": "float32"}
    assert by_name["QED"]["head"]["config"] == {"mean": 0.6, "std": 0.2}
    assert by_name["SMILES"]["metrics"] == {"ppl": 4.5}
    assert by_name["SMILES"]["license"] == "mit"
    card = (pack / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    assert front["library_name"] == "tagregistry"
    assert front["base_model"] == base.model_id
    assert {"QED", "SMILES", "tagregistry"} <= set(front["tags"])
    assert front["metrics"] == ["mse", "ppl"]
    assert front["license"] == "other" and front["license_name"] == "mixed-apache-2-0-mit"
    assert front["license_link"] == "LICENSE.md"
    assert "| `SMILES@1` | mit |" in (pack / "LICENSE.md").read_text()


def test_load_pack_round_trip_and_provenance(pack: Path, tagged, other_registry) -> None:
    records = other_registry.load_pack(pack)
    assert sorted(r.ref for r in records) == ["QED@1", "SMILES@1"]
    for name in ("SMILES", "QED"):
        assert torch.equal(other_registry.load(name), tagged.load(name))
    head = other_registry.load_head("QED")
    for key, value in tagged.load_head("QED").items():
        assert torch.equal(head[key], value)
    qed = other_registry.get("QED")
    assert qed.head.config == {"mean": 0.6, "std": 0.2} and qed.metrics == {"mse": 0.0123}
    smiles = other_registry.get("SMILES")
    assert smiles.description == "molecules as SMILES" and smiles.data_hash == "d" * 64
    assert smiles.source["recipe"] == "smiles-stage1"
    chem = {"distribution": "tagregistry-chem", "version": "0.1.0"}
    assert smiles.source["pack"] == {"path": str(pack.resolve()), "name": "pack", "version": 1,
                                     "requires": [chem]}


def test_load_pack_twice_registers_nothing_new(pack: Path, other_registry) -> None:
    first = other_registry.load_pack(pack)
    again = other_registry.load_pack(pack)
    assert [r.ref for r in again] == [r.ref for r in first]
    assert len(other_registry.list(all_versions=True)) == 2


def test_save_pack_refuses_mixed_bases_and_non_empty_folders(tagged, base, tmp_path) -> None:
    other = BaseModelRecord(model_id="tiny/other", hidden_size=16, fingerprint="cd" * 32)
    tagged.register("FR", torch.zeros(1, 16), base=other, kind="domain")
    with pytest.raises(PackError, match="one base model"):
        tagged.save_pack(["SMILES", "FR"], tmp_path / "mixed")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(PackError, match="not an empty folder"):
        tagged.save_pack(["SMILES"], tmp_path / "full")
    with pytest.raises(NotFoundError):
        tagged.save_pack(["Nope"], tmp_path / "missing")


def _assert_nothing_registered(registry) -> None:
    assert registry.list(all_versions=True) == []
    assert registry.bases() == []


def test_tampered_file_is_refused(pack: Path, other_registry) -> None:
    path = pack / "QED.v1.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PackCheckError, match=r"sha256 check failed for QED\.v1\.safetensors"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


def test_truncated_file_is_refused(pack: Path, other_registry) -> None:
    path = pack / "QED.v1.head.safetensors"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(PackCheckError, match=r"size check failed for QED\.v1\.head\.safetensors: truncated"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


def test_missing_file_is_refused(pack: Path, other_registry) -> None:
    (pack / "SMILES.v1.safetensors").unlink()
    with pytest.raises(PackCheckError, match="presence check failed for SMILES.v1.safetensors"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


@pytest.mark.parametrize("suffix", [".bin", ".pt", ".pth", ".pkl", ".ckpt"])
def test_pickle_file_is_refused(pack: Path, other_registry, suffix: str) -> None:
    (pack / f"extra_weights{suffix}").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(PackCheckError, match=f"pickle check failed for extra_weights{suffix}"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


@pytest.mark.parametrize("bad", ["../evil.safetensors", "/etc/passwd.safetensors",
                                 "sub/dir.safetensors", "..safetensors", "QED.v1.bin"])
def test_path_tricks_in_file_names_are_refused(pack: Path, other_registry, bad: str) -> None:
    data = _manifest(pack)
    data["tags"][0]["file"] = bad
    _write_manifest(pack, data)
    with pytest.raises(PackCheckError, match="file name check failed"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


@pytest.mark.parametrize("bad", ["../QED", "Q ED", "1QED", "", "x" * 80])
def test_invalid_tag_names_are_refused(pack: Path, other_registry, bad: str) -> None:
    data = _manifest(pack)
    data["tags"][0]["name"] = bad
    _write_manifest(pack, data)
    with pytest.raises(PackCheckError, match=r"tag name check failed for tags\[0\]"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


@pytest.mark.parametrize("version", ["2.0", "10.3", "one", None])
def test_unknown_format_version_is_refused(pack: Path, other_registry, version) -> None:
    data = _manifest(pack)
    data["format_version"] = version
    _write_manifest(pack, data)
    with pytest.raises(PackFormatError, match="format.version"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


def test_newer_minor_format_version_with_extra_fields_loads(pack: Path, other_registry) -> None:
    data = _manifest(pack)
    data["format_version"] = "1.7"
    data["future_field"] = {"anything": True}
    _write_manifest(pack, data)
    assert len(other_registry.load_pack(pack)) == 2


def test_declared_shape_or_dtype_mismatch_is_refused(pack: Path, other_registry) -> None:
    data = _manifest(pack)
    entry = next(t for t in data["tags"] if t["name"] == "QED")
    entry["dtype"] = "float16"
    _write_manifest(pack, data)
    with pytest.raises(PackCheckError, match="dtype check failed for QED.v1.safetensors"):
        other_registry.load_pack(pack)
    entry["dtype"] = "float32"
    entry["shape"] = [3, 16]
    _write_manifest(pack, data)
    with pytest.raises(PackCheckError, match="shape check failed for QED.v1.safetensors"):
        other_registry.load_pack(pack)
    entry["shape"] = [2, 32]
    _write_manifest(pack, data)
    with pytest.raises(PackCheckError, match="hidden size 16"):
        other_registry.load_pack(pack)
    _assert_nothing_registered(other_registry)


def test_wrong_base_fingerprint_is_refused(pack: Path, other_registry, base) -> None:
    other_registry.register_base(base.model_copy(update={"fingerprint": "ef" * 32}))
    with pytest.raises(BaseModelMismatchError) as info:
        other_registry.load_pack(pack)
    message = str(info.value)
    assert "abababababab" in message and "efefefefefef" in message and base.model_id in message
    assert other_registry.list(all_versions=True) == []


def test_unknown_base_is_registered_from_the_manifest(pack: Path, other_registry, base) -> None:
    other_registry.load_pack(pack)
    assert other_registry.bases() == [base]


def test_not_a_pack(tmp_path: Path, other_registry) -> None:
    with pytest.raises(PackFormatError, match="no tagpack.json"):
        other_registry.load_pack(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(PackFormatError, match="not valid JSON"):
        other_registry.load_pack(tmp_path)


def test_register_many_is_all_or_nothing(registry, base) -> None:
    missing = "tiny/never-registered"  # a base named, not given as a record: never registered
    items = [
        NewTag(name="A", tensor=torch.zeros(1, 16), kind="domain", base=base),
        NewTag(name="B", tensor=torch.zeros(1, 16), kind="domain", base=missing),
    ]
    with pytest.raises(NotFoundError):
        registry.store.register_many(items, bases=[base])
    assert registry.list(all_versions=True) == [] and registry.bases() == []
    created = registry.store.register_many(items[:1] * 2, bases=[base])
    assert [r.ref for r in created] == ["A@1", "A@2"]
