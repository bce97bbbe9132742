"""Baselines that know only *which* protein and ligand a pair holds, not what they are.

On a warm split (proteins and ligands recur across splits) these set the bar a binding-affinity
tag has to clear: ``protein-mean`` and ``ligand-mean`` predict the training mean of the pair's
protein or ligand (the overall training mean for one never seen), ``additive`` fits
affinity ~ protein effect + ligand effect by the product's ridge probe on one-hot identities
(strength chosen on validation). On a cold split they all fall back to the training mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from tagregistry.evaluation.baselines import ProbeData, ridge_probe
from tagregistry.evaluation.scores import regression_scores

Record = Mapping[str, Any]
PAIR_BASELINES = ("protein-mean", "ligand-mean", "additive")


def group_mean(train: Sequence[Record], scored: Sequence[Record], key: str) -> list[float]:
    """Per scored record: the mean training label of records sharing its ``key``."""
    sums: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for record in train:
        entry = sums[record[key]]
        entry[0] += float(record["label"])
        entry[1] += 1.0
    overall = sum(float(r["label"]) for r in train) / len(train)
    return [sums[r[key]][0] / sums[r[key]][1] if r[key] in sums else overall for r in scored]


def _one_hot(records: Sequence[Record], index: Mapping[tuple[str, Any], int]) -> torch.Tensor:
    out = torch.zeros(len(records), len(index), dtype=torch.float64)
    for row, record in enumerate(records):
        for key in ("protein_id", "ligand_id"):
            column = index.get((key, record[key]))
            if column is not None:  # unseen in training: no effect
                out[row, column] = 1.0
    return out


def additive(train: Sequence[Record], validation: Sequence[Record],
             scored: Sequence[Record]) -> list[float]:
    """Ridge regression on one-hot protein and ligand identities (the product's ridge probe)."""
    keys = sorted({(k, r[k]) for r in train for k in ("protein_id", "ligand_id")}, key=str)
    index = {key: column for column, key in enumerate(keys)}

    def labels(records: Sequence[Record]) -> torch.Tensor:
        return torch.tensor([float(r["label"]) for r in records], dtype=torch.float64)

    # one-hot columns are left unstandardised: a rare protein's effect is shrunk more
    data = ProbeData(_one_hot(train, index), labels(train), _one_hot(validation, index),
                     labels(validation), _one_hot(scored, index))
    return ridge_probe(data).tolist()


PREDICTORS: dict[str, Callable[[Sequence[Record], Sequence[Record], Sequence[Record]], list[float]]] = {
    "protein-mean": lambda train, validation, scored: group_mean(train, scored, "protein_id"),
    "ligand-mean": lambda train, validation, scored: group_mean(train, scored, "ligand_id"),
    "additive": additive,
}


def pair_baseline_rows(train: Sequence[Record], validation: Sequence[Record],
                       scored: Sequence[Record]) -> list[dict[str, Any]]:
    """One row per pair baseline: ``{"method", "mse", "pearson", ...}`` on ``scored``."""
    truth = [float(r["label"]) for r in scored]
    return [{"method": name, **regression_scores(PREDICTORS[name](train, validation, scored), truth)}
            for name in PAIR_BASELINES]
