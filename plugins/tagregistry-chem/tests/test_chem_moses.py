"""MOSES data sets: the package's own splits, a deterministic validation split, cached labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import QED

from tagregistry.errors import InputError
from tagregistry_chem import label_cache, moses
from tagregistry_chem.datasets import DataUnavailableError


@pytest.fixture(autouse=True)
def label_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "labels"
    monkeypatch.setenv(label_cache.DATA_CACHE_ENV, str(folder))
    return folder


def test_test_splits_are_the_package_files() -> None:
    assert len(moses.moses_smiles("test")) == 176074
    assert len(moses.moses_smiles("test_scaffolds")) == 176225
    assert moses.moses_smiles("test")[0] == "CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1"


def test_validation_is_carved_from_train_without_overlap() -> None:
    train = moses.moses_smiles("train")
    validation = moses.moses_smiles("validation")
    assert len(train) + len(validation) == 1584663
    assert 0.008 < len(validation) / (len(train) + len(validation)) < 0.012
    assert all(moses.in_validation(s) for s in validation)
    assert not any(moses.in_validation(s) for s in train[:5000])
    assert moses.select("validation", 5, 0) == moses.select("validation", 5, 0)
    assert moses.select("validation", 5, 0) != moses.select("validation", 5, 1)


def test_labels_are_rdkit_qed_and_cached_by_data_hash(
    label_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = moses.load_qed_moses("test", limit=12)
    assert [r["smiles"] for r in first] == moses.select("test", 12, 0)
    for record in first:
        assert record["label"] == pytest.approx(QED.qed(Chem.MolFromSmiles(record["smiles"])))
    files = list(label_dir.glob("QED-*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["count"] == 12

    def never(mol: object) -> float:
        raise AssertionError("labels were recomputed although they are cached")

    monkeypatch.setitem(moses.LABELS, "QED", (never, 1))
    assert moses.load_qed_moses("test", limit=12) == first  # read back, RDKit untouched
    with pytest.raises(AssertionError, match="recomputed"):
        moses.load_qed_moses("test", limit=13)  # another selection: another data hash
    monkeypatch.setitem(moses.LABELS, "QED", (never, 2))
    with pytest.raises(AssertionError, match="recomputed"):
        moses.load_qed_moses("test", limit=12)  # a new label-function version


def test_other_properties_and_unlabelled() -> None:
    logp = moses.load_logp_moses("test_scaffolds", limit=3)
    tpsa = moses.load_tpsa_moses("test_scaffolds", limit=3)
    assert [r["smiles"] for r in logp] == [r["smiles"] for r in tpsa]
    assert moses.load_smiles_moses("test", limit=2) == [{"smiles": s} for s in moses.select("test", 2, 0)]


def test_bad_arguments_are_clear() -> None:
    with pytest.raises(InputError, match="unknown MOSES split 'dev'.*test_scaffolds"):
        moses.load_qed_moses("dev")
    with pytest.raises(InputError, match="limit must be a non-negative integer"):
        moses.load_qed_moses("test", limit=-1)


def test_missing_moses_files_say_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_DATA_FILES", str(tmp_path / "empty"))  # the index: a closed port
    with pytest.raises(DataUnavailableError, match="cannot download the file list of molsets.*"
                       "tagregistry data fetch"):
        moses.moses_data_dir()


def test_nci_plus_moses_holds_both_and_the_harness_subsample() -> None:
    from tagregistry_chem import combined, datasets

    small = {"moses_train": 30, "moses_eval": 10}
    train = combined.load_logp_nci_moses("train", **small)
    nci = {r["smiles"] for r in datasets.load_logp("train")}
    from_moses = [r for r in train if r["smiles"] not in nci]
    assert len(train) == len(nci) + 30 and len(from_moses) == 30
    # every record names its source (hyper.refit_balance: source balances the refit by it)
    assert {r["source"] for r in from_moses} == {"moses"}
    assert {r["source"] for r in train if r["smiles"] in nci} == {"nci"}
    # the MOSES part is the harness's subsample (same loader, limit and seed), labels included
    assert sorted(r["smiles"] for r in from_moses) == sorted(moses.select("train", 30, 0))
    assert {r["smiles"]: r["label"] for r in from_moses} == {
        r["smiles"]: r["label"] for r in moses.load_logp_moses("train", limit=30)}
    assert [r["smiles"] for r in train[:50]] != [r["smiles"] for r in
                                                  datasets.load_logp("train")[:50]]  # mixed
    test = combined.load_logp_nci_moses("test", **small)
    assert not {r["smiles"] for r in test} & {r["smiles"] for r in train}
    assert combined.load_logp_nci_moses("train", limit=5, **small) == train[:5]


def test_nci_plus_moses_refuses_bad_options() -> None:
    from tagregistry_chem import combined

    with pytest.raises(InputError, match="moses_train must be a non-negative integer"):
        combined.load_qed_nci_moses("train", moses_train=-1)
    with pytest.raises(InputError, match="unknown split 'test_scaffolds'"):
        combined.load_qed_nci_moses("test_scaffolds")
