"""End-to-end runs on tiny models: the three stages, registration, determinism, failures."""

from __future__ import annotations

import json

import pytest
import torch

from tagregistry.errors import NotFoundError, TagRegistryError
from tagregistry.training.stages import TrainingError


def _stage2(registry, catalog, base, mol_file, hyper, out, **recipe):
    spec = {"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)}, "hyper": hyper(),
            **recipe}
    return registry.train(spec, catalog=catalog, base=base, output_dir=out, progress=False)


def test_stage1_registers_a_domain_tag(trained_domain, registry, base):
    record = registry.get("TestMol")
    assert record.ref == trained_domain.ref == "TestMol@1" and record.kind == "domain"
    assert (record.n_vectors, record.dim) == (3, base.hidden_size)
    assert record.base == base.record
    assert record.description == "test molecules"  # the DomainSpec's, as the recipe gives none
    assert {"validation_loss", "test_loss", "train_loss"} <= set(record.metrics)
    src = record.source
    assert src["stage"] == 1 and src["seed"] == 0 and src["recipe"]["tag"] == "TestMol"
    assert {"torch", "transformers", "tagregistry"} <= set(src["library_versions"])
    assert record.data_hash and len(record.data_hash) == 64


def test_stage2_trains_head_and_tag_on_frozen_domain(trained_domain, registry, catalog, base,
                                                     mol_file, hyper, tmp_path):
    before = registry.load(trained_domain)
    result = _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "s2")
    record = result.records[0]
    assert record.ref == "TestScore@1" and record.kind == "function"
    assert record.source["frozen"] == ["TestMol@1"] and record.source["domains"] == ["TestMol"]
    labels = [json.loads(line)["label"] for line in mol_file.read_text().splitlines()]
    mean = sum(labels) / len(labels)
    cfg = record.head.config
    assert abs(cfg["label_mean"][0] - mean) < 0.2 and cfg["label_std"][0] > 0
    assert {"test_mse", "validation_mse", "test_mae"} <= set(record.metrics)
    assert torch.equal(registry.load("TestMol"), before)  # frozen: no new version, same tensor
    assert len(registry.versions("TestMol")) == 1
    summary = json.loads((tmp_path / "s2" / "result.json").read_text())
    assert summary["registered"] == ["TestScore@1"]
    # the composition engine reproduces the trainer's test predictions (original units)
    model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    rows = [json.loads(line) for line in mol_file.read_text().splitlines()]
    preds = model.predict_batch([{"mol": r["mol"]} for r in rows[:6]])
    assert all(isinstance(p, float) for p in preds) and len(set(preds)) > 1


def test_missing_domain_tag_explains_what_to_train(registry, catalog, base, mol_file, hyper, tmp_path):
    with pytest.raises(TrainingError, match="stage-1 recipe"):
        _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "x")
    with pytest.raises(NotFoundError):
        registry.get("TestScore")


def test_enriched_domain_tag_gets_a_new_version(trained_domain, registry, catalog, base, mol_file,
                                                hyper, tmp_path):
    result = _stage2(registry, catalog, base, mol_file, lambda: hyper(enrich=True),
                     tmp_path / "enrich")
    refs = [r.ref for r in result.records]
    assert refs == ["TestScore@1", "TestMol@2"]
    assert result.records[1].source["enriched_with"] == "TestScore"
    assert not torch.equal(registry.load("TestMol@1"), registry.load("TestMol@2"))


def test_stage3_multi_domain_with_frozen_domains(registry, catalog, base, pair_file, hyper, tmp_path):
    recipe = {"stage": 3, "tag": "TestPair", "data": {"file": str(pair_file)}, "hyper": hyper(),
              "freeze": ["TestMol@1"]}
    result = registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "s3",
                            progress=False)
    assert result.records[0].source["frozen"] == ["TestMol@1", "TestText@1"]
    with pytest.raises(TrainingError, match="stage 3"):
        registry.train({**recipe, "stage": 2, "freeze": []}, catalog=catalog, base=base,
                       output_dir=tmp_path / "bad", progress=False)


def test_classification_and_generation_heads(trained_domain, registry, catalog, base, mol_file,
                                             hyper, tmp_path):
    cls = registry.train({"stage": 2, "tag": "TestClass", "data": {"file": str(mol_file),
                          "label_field": "cls"}, "hyper": hyper()},
                         catalog=catalog, base=base, output_dir=tmp_path / "c", progress=False)
    assert cls.records[0].head.spec.type == "classification"
    assert 0.0 <= cls.metrics["test_accuracy"] <= 1.0
    gen = registry.train({"stage": 2, "tag": "TestDescribe", "data": {"file": str(mol_file),
                          "label_field": "text"}, "hyper": hyper()},
                         catalog=catalog, base=base, output_dir=tmp_path / "g", progress=False)
    assert gen.records[0].head is None and gen.metrics["test_loss"] > 0
    vec = registry.train({"stage": 2, "tag": "TestVector", "data": {"file": str(mol_file),
                          "label_field": "vec"}, "hyper": hyper()},
                         catalog=catalog, base=base, output_dir=tmp_path / "v", progress=False)
    assert len(vec.records[0].head.config["label_mean"]) == 2


def test_same_seed_gives_identical_tensors(trained_domain, registry, catalog, base, mol_file, hyper,
                                           tmp_path):
    a = _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "a")
    b = _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "b")
    c = _stage2(registry, catalog, base, mol_file, hyper, tmp_path / "c", seed=1)
    ta, tb, tc = (registry.load(r.records[0]) for r in (a, b, c))
    assert torch.equal(ta, tb)
    assert torch.equal(registry.load_head(a.records[0])["linear.weight"],
                       registry.load_head(b.records[0])["linear.weight"])
    assert not torch.equal(ta, tc)
    assert a.records[0].data_hash == b.records[0].data_hash


def test_failed_run_registers_nothing(trained_domain, registry, catalog, base, mol_file, hyper,
                                      tmp_path):
    def explode(step: int, loss: float) -> None:
        if step == 3:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        registry.train({"stage": 2, "tag": "TestScore", "data": {"file": str(mol_file)},
                        "hyper": hyper()}, catalog=catalog, base=base,
                       output_dir=tmp_path / "f", progress=False, on_step=explode)
    with pytest.raises(NotFoundError):
        registry.get("TestScore")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"mol": "CCO"}\n' * 20)
    with pytest.raises(TagRegistryError, match="label"):
        registry.train({"stage": 2, "tag": "TestScore", "data": {"file": str(bad)},
                        "hyper": hyper()}, catalog=catalog, base=base, output_dir=tmp_path / "g",
                       progress=False)
    assert [r.name for r in registry.list()] == ["TestMol"]


def test_stage1_loss_goes_down(registry, catalog, base, mol_file, hyper, tmp_path):
    result = registry.train(
        {"stage": 1, "tag": "TestMol", "data": {"file": str(mol_file), "text_field": "mol"},
         "hyper": hyper(max_steps=30, lr=3e-2, warmup_ratio=0.0)},
        catalog=catalog, base=base, output_dir=tmp_path / "down", progress=False, register=False,
    )
    losses = [h["loss"] for h in result.history]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    assert result.records == [] and registry.list() == []
