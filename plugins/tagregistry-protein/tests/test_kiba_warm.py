"""The warm KIBA split and the pair baselines that set its bar."""

from __future__ import annotations

import random

import pytest

from tagregistry.errors import InputError
from tagregistry_protein import kiba
from tagregistry_protein.pair_baselines import additive, group_mean, pair_baseline_rows
from tagregistry_protein.splits import SPLITS


def _key(pair: kiba.KibaPair) -> tuple[str, str, float]:
    return (pair.protein_id, pair.ligand_id, pair.affinity)


def test_warm_split_repartitions_all_pairs_70_10_20() -> None:
    warm = {s: kiba.warm_pairs(s) for s in SPLITS}
    assert [len(warm[s]) for s in SPLITS] == [3500, 500, 1000]
    pooled = sorted(_key(p) for s in SPLITS for p in kiba.kiba_pairs(s))
    assert sorted(_key(p) for s in SPLITS for p in warm[s]) == pooled
    proteins = {p.protein_id for p in warm["train"]}
    seen = sum(p.protein_id in proteins for p in warm["test"])
    assert seen > 900  # warm: test proteins were seen in training (the files' split: none)
    assert kiba.warm_pairs("test", split_seed=1) != warm["test"]
    assert kiba.warm_pairs("test") == warm["test"]  # seeded: the same split every time


def test_warm_loader_records_and_errors() -> None:
    records = kiba.load_binding_affinity_warm("validation", limit=3, max_residues=50)
    assert len(records) == 3 and all(len(r["protein"]) <= 50 for r in records)
    assert set(records[0]) == {"protein", "smiles", "label", "protein_id", "ligand_id"}
    with pytest.raises(InputError, match="unknown split"):
        kiba.load_binding_affinity_warm("val")
    with pytest.raises(InputError, match="split_seed must be an integer"):
        kiba.load_binding_affinity_warm("train", split_seed="0")


def _pairs(n: int, seed: int) -> list[dict[str, object]]:
    """Affinity = protein effect + ligand effect + noise."""
    effects = random.Random(0)  # the same effects in every sample
    protein_effect = {f"P{i}": effects.gauss(0, 1) for i in range(8)}
    ligand_effect = {f"L{i}": effects.gauss(0, 1) for i in range(12)}
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        p, lig = rng.choice(list(protein_effect)), rng.choice(list(ligand_effect))
        out.append({"protein_id": p, "ligand_id": lig,
                    "label": protein_effect[p] + ligand_effect[lig] + rng.gauss(0, 0.1)})
    return out


def test_group_mean_falls_back_to_the_training_mean_for_unseen_ids() -> None:
    train = [{"protein_id": "A", "label": 1.0}, {"protein_id": "A", "label": 3.0},
             {"protein_id": "B", "label": 5.0}]
    scored = [{"protein_id": "A"}, {"protein_id": "C"}]
    assert group_mean(train, scored, "protein_id") == [2.0, 3.0]


def test_additive_model_beats_the_one_sided_means_on_additive_data() -> None:
    train, validation, scored = _pairs(400, 1), _pairs(100, 2), _pairs(200, 3)
    rows = {r["method"]: r for r in pair_baseline_rows(train, validation, scored)}
    assert rows["additive"]["mse"] < 0.1 < min(rows["protein-mean"]["mse"], rows["ligand-mean"]["mse"])
    assert len(additive(train, validation, scored[:5])) == 5


def test_pair_features_read_each_value_once_and_concatenate() -> None:
    import torch

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.models.loading import load_base
    from tagregistry.plugins.manager import Catalog
    from tagregistry_protein.pair_features import pair_features

    catalog = Catalog()
    base = load_base("protein-tiny", catalog=catalog, device="cpu")
    encoder = PromptEncoder(base.tokenizer, catalog)
    seen: list[tuple[str, str]] = []

    def encode(domain: str, value: str) -> list[int]:
        seen.append((domain, value))
        return list(encoder.prefix_ids) + encoder.token_ids(encoder.render(domain, domain.lower(), value))

    records = [{"protein": "MKTAY", "smiles": "CCO"}, {"protein": "MKTAY", "smiles": "c1ccccc1"},
               {"protein": "GAVLI", "smiles": "CCO"}]
    cache: dict = {}
    features = pair_features(base, encode, records, cache=cache)
    assert len(seen) == 4  # two proteins, two ligands, each read once
    again = pair_features(base, encode, records[:2], cache=cache)
    assert len(seen) == 4 and torch.equal(again, features[:2])  # all from the cache
    half = features.shape[1] // 2
    assert features.shape[0] == 3 and features.dtype == torch.float64
    assert torch.equal(features[0, :half], features[1, :half])  # same protein
    assert torch.equal(features[0, half:], features[2, half:])  # same ligand
    assert not torch.equal(features[0, half:], features[1, half:])
