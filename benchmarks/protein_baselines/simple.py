"""Cheap baselines: training means, nearest neighbour by Tanimoto, k-mer logistic regression.

Each returns test-split predictions (floats; classification: the probability of class 1)
plus notes such as how many test pairs a per-entity rule could actually use.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any

from benchmarks.tasks import TaskData

Result = tuple[list[float], dict[str, Any]]


def training_mean(data: TaskData) -> Result:
    """Every test record gets the training labels' mean."""
    mean = fmean(data.labels("train"))
    return [mean] * len(data.splits["test"]), {}


def per_entity_mean(data: TaskData, key: str) -> Result:
    """The mean training label of the test record's ``key`` (protein or ligand), else the global mean."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for record, y in zip(data.splits["train"], data.labels("train"), strict=True):
        by_key[record[key]].append(y)
    mean = fmean(data.labels("train"))
    test = data.splits["test"]
    known = sum(r[key] in by_key for r in test)
    preds = [fmean(by_key[r[key]]) if r[key] in by_key else mean for r in test]
    return preds, {"covered": f"{known}/{len(test)} test pairs have their {key} in training"}


def _fingerprints(smiles: list[str]) -> dict[str, Any]:
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    out = {}
    with rdBase.BlockLogs():
        for s in dict.fromkeys(smiles):
            out[s] = generator.GetFingerprint(Chem.MolFromSmiles(s))
    return out


def nearest_ligand(data: TaskData) -> Result:
    """Same protein, most similar training ligand (Tanimoto, Morgan radius 2, 2,048 bits).

    A protein never seen in training falls back to the most similar training ligand over all
    proteins (the mean label of that ligand's training pairs). Ties average.
    """
    from rdkit import DataStructs

    train, ys = data.splits["train"], data.labels("train")
    fps = _fingerprints([r["smiles"] for r in train + data.splits["test"]])
    by_protein: dict[str, list[int]] = defaultdict(list)
    by_ligand: dict[str, list[float]] = defaultdict(list)
    for i, record in enumerate(train):
        by_protein[record["protein_id"]].append(i)
        by_ligand[record["smiles"]].append(ys[i])
    ligands = list(by_ligand)
    ligand_fps = [fps[s] for s in ligands]
    preds, same = [], 0
    for record in data.splits["test"]:
        query = fps[record["smiles"]]
        rows = by_protein.get(record["protein_id"])
        if rows:
            same += 1
            sims = DataStructs.BulkTanimotoSimilarity(query, [fps[train[i]["smiles"]] for i in rows])
            best = max(sims)
            preds.append(fmean(ys[i] for i, s in zip(rows, sims, strict=True) if s == best))
        else:
            sims = DataStructs.BulkTanimotoSimilarity(query, ligand_fps)
            best = max(sims)
            preds.append(fmean(y for s, lig in zip(sims, ligands, strict=True) if s == best
                               for y in by_ligand[lig]))
    test = data.splits["test"]
    return preds, {"covered": f"{same}/{len(test)} test pairs have their protein in training; "
                              "the rest use the most similar ligand over all proteins"}


def kmer_logistic(data: TaskData, k: int = 3) -> Result:
    """Logistic regression on 1..k-mer counts (TF-IDF weighted); C chosen on validation AUC."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, k), lowercase=False)
    x_train = vectorizer.fit_transform([r["protein"] for r in data.splits["train"]])
    x_val = vectorizer.transform([r["protein"] for r in data.splits["validation"]])
    x_test = vectorizer.transform([r["protein"] for r in data.splits["test"]])
    best = None
    for c in (0.1, 0.3, 1.0, 3.0, 10.0, 30.0):
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, data.labels("train"))
        auc = roc_auc_score(data.labels("validation"), model.predict_proba(x_val)[:, 1])
        if best is None or auc > best[0]:
            best = (auc, c, model)
    auc, c, model = best
    notes = {"chosen": f"k=1..{k}, C={c} (validation ROC-AUC {auc:.4f})",
             "features": x_train.shape[1]}
    return model.predict_proba(x_test)[:, 1].tolist(), notes


def composition_linear(data: TaskData) -> Result:
    """Least squares on amino-acid composition (20 fractions).

    The mean BLOSUM1 index is exactly linear in composition, so this recovers the label up
    to rounding: it shows what the Descriptor task measures, not a learning challenge.
    """
    import numpy as np

    alphabet = "ACDEFGHIKLMNPQRSTVWY"

    def features(records: list[dict[str, Any]]) -> Any:
        return np.array([[r["protein"].count(a) / len(r["protein"]) for a in alphabet]
                         for r in records])

    coef, *_ = np.linalg.lstsq(features(data.splits["train"]), np.array(data.labels("train")),
                               rcond=None)
    return (features(data.splits["test"]) @ coef).tolist(), {}
