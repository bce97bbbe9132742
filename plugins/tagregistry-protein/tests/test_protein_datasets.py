"""Data sets read from the files modlamp and pydebiaseddta ship: sizes, splits, labels, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagregistry.errors import InputError
from tagregistry_protein import datasets, kiba, sources
from tagregistry_protein.blosum import mean_blosum1
from tagregistry_protein.drugcomb import load_cell_lines, load_drugcomb, pair_split
from tagregistry_protein.fasta import load_fasta, load_fasta_descriptor
from tagregistry_protein.peptides import amp_peptides
from tagregistry_protein.showcase import binding_affinity_examples
from tagregistry_protein.splits import SPLITS

ALL = {s: None for s in SPLITS}


def test_peptides_are_distinct_and_unambiguous() -> None:
    peptides = amp_peptides()
    assert len(peptides) == 4620  # 4,642 distinct sequences less 22 listed with both labels
    assert len({s for s, _ in peptides}) == len(peptides)
    assert sum(y for _, y in peptides) == 2540  # AMP; 2,080 non-AMP


def test_antimicrobial_splits_partition_the_peptides_deterministically() -> None:
    splits = {s: datasets.load_antimicrobial(s) for s in SPLITS}
    seen = [r["protein"] for records in splits.values() for r in records]
    assert len(seen) == len(set(seen)) == 4620
    assert [len(splits[s]) for s in SPLITS] == [3738, 463, 419]
    assert {r["label"] for r in splits["test"]} == {"AMP", "non-AMP"}
    again = datasets.load_antimicrobial("validation", limit=5, seed=3)
    assert again == datasets.load_antimicrobial("validation", limit=5, seed=3)
    assert again != datasets.load_antimicrobial("validation", limit=5, seed=4)
    assert {r["protein"] for r in again} <= {r["protein"] for r in splits["validation"]}


def test_kiba_sample_sizes_and_cold_split() -> None:
    pairs = {s: kiba.kiba_pairs(s) for s in SPLITS}
    assert [len(pairs[s]) for s in SPLITS] == [3000, 1000, 1000]
    assert len({p.protein_id for ps in pairs.values() for p in ps}) == 189
    assert len({p.ligand_id for ps in pairs.values() for p in ps}) == 458
    train_proteins = {p.protein_id for p in pairs["train"]}
    train_ligands = {p.ligand_id for p in pairs["train"]}
    for split in ("validation", "test"):
        assert not {p.protein_id for p in pairs[split]} & train_proteins
        assert not {p.ligand_id for p in pairs[split]} & train_ligands
    record = kiba.load_binding_affinity("test", limit=1)[0]
    assert isinstance(record["label"], float) and 7 < record["label"] < 18


def test_kiba_length_cap_truncates_proteins() -> None:
    whole = kiba.load_binding_affinity("train", seed=1)
    capped = kiba.load_binding_affinity("train", seed=1, max_residues=100)
    assert max(len(r["protein"]) for r in whole) > 4000
    assert all(c["protein"] == w["protein"][:100] for c, w in zip(capped, whole, strict=True))
    with pytest.raises(InputError, match="max_residues must be a positive integer"):
        kiba.load_binding_affinity(max_residues=0)


def test_stage1_set_keeps_binding_test_proteins_out_of_training() -> None:
    by_split = datasets.protein_splits()
    assert sum(len(v) for v in by_split.values()) == 4620 + 189
    train = set(by_split["train"])
    assert not train & set(kiba.kiba_proteins("test").values())
    assert not train & set(kiba.kiba_proteins("validation").values())
    assert set(kiba.kiba_proteins("train").values()) <= train
    records = datasets.load_descriptor("test", max_residues=50)
    assert all(len(r["protein"]) <= 50 for r in records)
    assert all(r["label"] == mean_blosum1(r["protein"]) for r in records)
    assert datasets.load_proteins("test", limit=4) == [
        {"protein": r["protein"]} for r in datasets.load_descriptor("test", limit=4)]


def test_unknown_split_and_bad_limit_are_clear_errors() -> None:
    with pytest.raises(InputError, match="unknown split 'dev'"):
        datasets.load_antimicrobial("dev")
    with pytest.raises(InputError, match="unknown split 'val'"):
        kiba.load_binding_affinity("val")
    with pytest.raises(InputError, match="limit must be a non-negative integer"):
        datasets.load_proteins(limit=-1)


def test_data_files_come_from_the_pinned_wheels_in_the_data_cache() -> None:
    from tagregistry.datafiles.cache import package_dir

    assert sources.amp_csv() == package_dir(sources.MODLAMP) / "modlamp/data/AMPvsUniProt.csv"
    assert sources.kiba_csv("val").parent == sources.kiba_csv("test").parent
    assert {s.name for s in sources.DATA_PACKAGES} == {"modlamp", "pydebiaseddta"}


def test_missing_data_files_say_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_DATA_FILES", str(tmp_path / "empty"))  # the index: a closed port
    with pytest.raises(sources.DataUnavailableError, match="cannot download .*tagregistry data fetch"):
        sources.amp_csv()


def test_binding_affinity_examples_cover_ten_test_proteins() -> None:
    examples = binding_affinity_examples()
    assert len(examples) == 10 and len({e["protein_id"] for e in examples}) == 10
    test_ids = {(p.protein_id, p.ligand_id, p.affinity) for p in kiba.kiba_pairs("test")}
    assert all((e["protein_id"], e["ligand_id"], e["measured"]) in test_ids for e in examples)
    assert all(len(e["protein"]) <= 1500 for e in examples)
    assert binding_affinity_examples(30)[:10] == examples
    whole = binding_affinity_examples(max_residues=None)
    assert [e["protein"][:1500] for e in whole] == [e["protein"] for e in examples]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="n must be a positive integer"):
            binding_affinity_examples(bad)  # type: ignore[arg-type]


# -- user files ---------------------------------------------------------------------------------
def test_fasta_loaders(tmp_path: Path) -> None:
    path = tmp_path / "p.fasta"
    path.write_text(">a\nMKTA\nYIAK\n>b\nGGGSW\n>c dup\nmktayiak\n")
    records = {s: load_fasta(s, path=str(path)) for s in SPLITS}
    assert sorted(r["protein"] for rs in records.values() for r in rs) == ["GGGSW", "MKTAYIAK"]
    labelled = [r for s in SPLITS for r in load_fasta_descriptor(s, path=str(path))]
    assert all(r["label"] == mean_blosum1(r["protein"]) for r in labelled)
    path.write_text(">a\nMKTA\n>bad one\nMK1A\n")
    with pytest.raises(InputError, match="record 'bad one': invalid residue '1' at position 3"):
        load_fasta(path=str(path))
    with pytest.raises(InputError, match="options: {path: FILE.fasta}"):
        load_fasta()


DRUGCOMB = Path(__file__).with_name("data") / "drugcomb_sample.csv"


def test_drugcomb_loader_reads_tdc_layout(tmp_path: Path) -> None:
    path = DRUGCOMB
    records = [r for s in SPLITS for r in load_drugcomb(s, path=str(path))]
    assert sorted(r["label"] for r in records) == [12.5, 20.0, 33.25]  # empty and NaN CSS skipped
    assert set(records[0]) == {"drug1", "drug2", "cell_line", "label"}
    first, second = (next(r for r in records if r["label"] == v) for v in (12.5, 20.0))
    assert pair_split(first) == pair_split(second)  # same pair in either order, same split
    zip_scores = [r["label"] for s in SPLITS for r in load_drugcomb(s, path=str(path), target="Synergy_ZIP")]
    assert sorted(zip_scores) == [0.1, 0.2, 0.5, 1.0, 1.5]
    cells = [r["cell_line"] for s in SPLITS for r in load_cell_lines(s, path=str(path))]
    assert sorted(cells) == ["A549", "HT29", "MCF7"]


def test_drugcomb_errors_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Drug1,Drug2,CSS\nCCO,CCO,1\n")
    with pytest.raises(InputError, match="lacks column.*Cell_Line_ID.*TDC's DrugComb layout"):
        load_drugcomb(path=str(path))
    path.write_text("Drug1,Drug2,Cell_Line_ID,CSS\nCCO,CCO,MCF7,high\n")
    with pytest.raises(InputError, match=r"bad.csv:2: CSS 'high' is not a number"):
        load_drugcomb(path=str(path))
    with pytest.raises(InputError, match="unknown DrugComb target 'IC50'"):
        load_drugcomb(path=str(path), target="IC50")
    with pytest.raises(InputError, match="no offline copy"):
        load_drugcomb()
    with pytest.raises(InputError, match="does not exist"):
        load_drugcomb(path=str(tmp_path / "missing.csv"))
