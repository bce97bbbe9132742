"""compose picks the domain-tag version a function tag was trained with, by content hash."""

from __future__ import annotations

import warnings

import pytest
import torch

from tagregistry import Registry


def _stage2(registry, catalog, base, mol_file, hyper, out):
    spec = {"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)}, "hyper": hyper()}
    return registry.train(spec, catalog=catalog, base=base, output_dir=out, progress=False).records[0]


def _newer_domain(registry, base, trained_domain):
    tensor = registry.load(trained_domain) + 0.5
    return registry.register("TestMol", tensor, base=base.record, kind="domain")


def _composed_domain(model) -> str:
    return next(ref for ref in model.metadata["tags"] if ref.startswith("TestMol@"))


def test_function_records_the_hash_and_compose_takes_that_version(
        trained_domain, registry, catalog, base, mol_file, hyper, tmp_path):
    function = _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "s2")
    assert function.source["frozen_sha256"] == {"TestMol": trained_domain.sha256}
    newer = _newer_domain(registry, base, trained_domain)
    assert registry.get("TestMol").ref == newer.ref == "TestMol@2"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    assert _composed_domain(model) == "TestMol@1"
    # a version the user names wins
    named = registry.compose("TestMol@2", "TestScore", base=base, catalog=catalog)
    assert _composed_domain(named) == "TestMol@2"
    row = {"mol": "CCO"}
    assert model.predict(**row) != named.predict(**row)


def test_pack_carries_hashes_across_renumbering(trained_domain, registry, catalog, base, mol_file,
                                                hyper, tmp_path):
    _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "s2")
    folder = registry.save_pack(["TestMol@1", "TestScore@1"], tmp_path / "pack")
    other = Registry(f"sqlite:///{tmp_path / 'other.db'}")
    zeros = torch.zeros_like(registry.load(trained_domain))
    other.register("TestMol", zeros, base=base.record, kind="domain")  # the receiver's own @1
    other.load_pack(folder)
    assert other.get("TestMol").sha256 == trained_domain.sha256  # the pack's, renumbered to @2
    other.register("TestMol", zeros + 1, base=base.record, kind="domain")  # @3, newest
    model = other.compose("TestMol", "TestScore", base=base, catalog=catalog)
    assert _composed_domain(model) == "TestMol@2"
    other.close()


def test_pack_adds_hashes_to_records_trained_before_them(trained_domain, registry, base, tmp_path):
    legacy = registry.register("TestScore", registry.load(trained_domain), base=base.record,
                               kind="function", source={"frozen": ["TestMol@1"]})
    folder = registry.save_pack(["TestMol@1", legacy.ref], tmp_path / "pack")
    other = Registry(f"sqlite:///{tmp_path / 'other.db'}")
    other.load_pack(folder)
    assert other.get("TestScore").source["frozen_sha256"] == {"TestMol": trained_domain.sha256}
    assert "frozen_sha256" not in registry.get("TestScore").source  # the store is not rewritten
    other.close()


def test_missing_trained_version_warns_and_uses_newest(trained_domain, registry, catalog, base,
                                                        mol_file, hyper, tmp_path):
    _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "s2")
    _newer_domain(registry, base, trained_domain)
    registry.delete("TestMol@1")
    with pytest.warns(UserWarning, match="not in this registry"):
        model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    assert _composed_domain(model) == "TestMol@2"
