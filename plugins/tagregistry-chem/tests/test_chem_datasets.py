"""NCI data sets: splits are disjoint and stable, records canonical, labels equal RDKit's."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdkit import Chem, RDConfig, rdBase
from rdkit.Chem import QED, Crippen, rdMolDescriptors

from tagregistry.errors import InputError
from tagregistry_chem.datasets import (
    SPLITS,
    load_logp,
    load_qed,
    load_smiles,
    load_tpsa,
    nci_molecules,
    split_of,
)


def _independent_canonical_set() -> set[str]:
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    found = set()
    with rdBase.BlockLogs():
        for line in path.read_text().splitlines():
            mol = Chem.MolFromSmiles(line.split("\t")[0]) if line.strip() else None
            if mol is not None and mol.GetNumAtoms():
                found.add(Chem.MolToSmiles(mol))
    return found


def test_splits_are_disjoint_and_cover_every_parseable_molecule() -> None:
    splits = {name: [r["smiles"] for r in load_smiles(name)] for name in SPLITS}
    sets = {name: set(items) for name, items in splits.items()}
    for name, items in splits.items():
        assert len(items) == len(sets[name]), f"duplicates in {name}"
    assert not sets["train"] & sets["validation"]
    assert not sets["train"] & sets["test"]
    assert not sets["validation"] & sets["test"]
    union = sets["train"] | sets["validation"] | sets["test"]
    assert union == _independent_canonical_set()
    total = len(union)
    assert 0.75 < len(sets["train"]) / total < 0.85
    assert 0.07 < len(sets["validation"]) / total < 0.13
    assert 0.07 < len(sets["test"]) / total < 0.13


def test_split_depends_only_on_the_molecule() -> None:
    for smiles in nci_molecules()[:50]:
        assert split_of(smiles) == split_of(smiles) in SPLITS
    test_set = {r["smiles"] for r in load_smiles("test")}
    assert all(split_of(s) == "test" for s in test_set)


def test_seed_shuffles_and_limit_takes_a_prefix() -> None:
    first = load_smiles("validation", seed=0)
    assert load_smiles("validation", seed=0) == first
    other = load_smiles("validation", seed=1)
    assert other != first
    assert sorted(r["smiles"] for r in other) == sorted(r["smiles"] for r in first)
    assert load_smiles("validation", limit=7, seed=1) == other[:7]
    assert load_smiles("validation", limit=0) == []


def test_records_are_canonical_smiles() -> None:
    for record in load_smiles("test", limit=100):
        assert set(record) == {"smiles"}
        assert Chem.MolToSmiles(Chem.MolFromSmiles(record["smiles"])) == record["smiles"]


@pytest.mark.parametrize(
    ("loader", "descriptor"),
    [
        (load_qed, QED.qed),
        (load_logp, Crippen.MolLogP),
        (load_tpsa, rdMolDescriptors.CalcTPSA),
    ],
)
def test_labels_match_rdkit(loader, descriptor) -> None:  # noqa: ANN001 - callables
    records = loader("test", limit=40, seed=3)
    assert len(records) == 40
    assert [r["smiles"] for r in records] == [
        r["smiles"] for r in load_smiles("test", limit=40, seed=3)
    ]
    for record in records:
        assert set(record) == {"smiles", "label"}
        assert isinstance(record["label"], float)
        assert record["label"] == pytest.approx(
            descriptor(Chem.MolFromSmiles(record["smiles"])), abs=1e-12
        )
    assert len({r["label"] for r in records}) > 10  # labels vary with the molecule


def test_bad_arguments() -> None:
    with pytest.raises(
        InputError, match="unknown split 'valid'; choose one of train, validation, test"
    ):
        load_qed("valid")
    with pytest.raises(InputError, match="limit must be a non-negative integer"):
        load_smiles("train", limit=-1)
    with pytest.raises(InputError, match="limit must be a non-negative integer"):
        load_smiles("train", limit=2.5)  # type: ignore[arg-type]
