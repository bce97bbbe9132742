"""Every protein function trains on the tiny base from the shipped data, composes and predicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tagregistry import Registry
from tagregistry.errors import InputError
from tagregistry_protein.showcase import binding_affinity_examples

DRUGCOMB = Path(__file__).with_name("data") / "drugcomb_sample.csv"
TINY = {"n_vectors": 2, "max_steps": 2, "batch_size": 4}


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "home"))
    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield reg
    reg.close()


def _train(reg: Registry, tmp_path: Path, stage: int, tag: str, data: dict[str, Any],
           hyper: dict[str, Any] | None = None, **extra: Any) -> Any:
    recipe = {"base": "protein-tiny", "stage": stage, "tag": tag, "data": data,
              "hyper": {**TINY, **(hyper or {})}, "eval": {"max_examples": 8}, **extra}
    return reg.train(recipe, output_dir=tmp_path / tag, device="cpu", progress=False)


def test_binding_affinity_stage3_on_frozen_protein_and_smiles(registry: Registry, tmp_path: Path) -> None:
    _train(registry, tmp_path, 1, "Protein",
           {"dataset": "protein-peptides-kiba", "limit": 16, "options": {"max_residues": 60}})
    _train(registry, tmp_path, 1, "SMILES", {"dataset": "smiles-nci-5k", "limit": 16})
    result = _train(registry, tmp_path, 3, "BindingAffinity",
                    {"dataset": "bindingaffinity-kiba", "limit": 16, "options": {"max_residues": 60}},
                    freeze=["Protein", "SMILES"])
    record = result.records[0]
    assert record.ref == "BindingAffinity@1"
    assert record.source["frozen"] == ["Protein@1", "SMILES@1"]
    assert record.source["domains"] == ["Protein", "SMILES"]
    assert {"test_pearson", "test_mse"} <= set(record.metrics)
    assert record.license == "MIT"

    model = registry.compose("Protein", "SMILES", "BindingAffinity", base="protein-tiny", device="cpu")
    pair = binding_affinity_examples(1, max_residues=60)[0]
    value = model.predict(protein=pair["protein"], smiles=pair["smiles"])
    assert isinstance(value, float)
    with pytest.raises(InputError, match=r"slot 'protein' \(Protein\) rejected .*invalid residue '1'"):
        model.predict(protein="MKT1", smiles="CCO")


def test_binding_affinity_stage2_is_refused(registry: Registry, tmp_path: Path) -> None:
    from tagregistry.training.stages import TrainingError

    with pytest.raises(TrainingError, match="use stage 3"):
        _train(registry, tmp_path, 2, "BindingAffinity",
               {"dataset": "bindingaffinity-kiba", "limit": 8, "options": {"max_residues": 20}})


def test_antimicrobial_classifier(registry: Registry, tmp_path: Path) -> None:
    _train(registry, tmp_path, 1, "Protein", {"dataset": "protein-peptides-kiba", "limit": 8,
                                               "options": {"max_residues": 40}})
    result = _train(registry, tmp_path, 2, "Antimicrobial",
                    {"dataset": "antimicrobial-modlamp", "limit": 16}, freeze=["Protein"])
    assert "test_accuracy" in result.records[0].metrics
    model = registry.compose("Protein", "Antimicrobial", base="protein-tiny", device="cpu")
    assert model.predict(protein="GLFDIVKKVVGALGSL") in ("AMP", "non-AMP")
    probabilities = model.predict(protein="GLFDIVKKVVGALGSL", output="probabilities")
    assert set(probabilities) == {"AMP", "non-AMP"}
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_drug_combination_from_a_tdc_layout_file(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "drugcomb.csv"
    rows = DRUGCOMB.read_text().splitlines()
    path.write_text("\n".join([rows[0]] + [r for r in rows[1:] for _ in range(6)]) + "\n")
    _train(registry, tmp_path, 1, "SMILES", {"dataset": "smiles-nci-5k", "limit": 8})
    _train(registry, tmp_path, 1, "CellLine", {"dataset": "cellline-drugcomb",
                                                "options": {"path": str(path)}},
           hyper={"batch_size": 2}, split={"use_source_splits": False, "validation": 0.0, "test": 0.0})
    result = _train(registry, tmp_path, 3, "DrugCombination",
                    {"dataset": "drugcomb-csv", "options": {"path": str(path)}},
                    freeze=["SMILES", "CellLine"],
                    split={"use_source_splits": False, "validation": 0.2, "test": 0.2})
    assert result.records[0].source["domains"] == ["SMILES", "CellLine"]
    model = registry.compose("SMILES", "CellLine", "DrugCombination", base="protein-tiny", device="cpu")
    value = model.predict(drug1="CCO", drug2="Oc1ccccc1", cell_line="MCF7")
    assert isinstance(value, float)
