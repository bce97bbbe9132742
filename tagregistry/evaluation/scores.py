"""Metrics of one method on the scored records: MSE, MAE and Pearson's r for regression,
accuracy and ROC-AUC (one-vs-rest, averaged over classes, for more than two) for classes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tagregistry.heads.metrics import mae, mse, pearson, roc_auc

REGRESSION_METRICS = ("mse", "mae", "pearson")
CLASSIFICATION_METRICS = ("accuracy", "roc_auc")


def regression_scores(predicted: Sequence[float], truth: Sequence[float]) -> dict[str, float]:
    """``{"mse", "mae", "pearson"}`` in the labels' own units."""
    return {"mse": mse(predicted, truth), "mae": mae(predicted, truth),
            "pearson": pearson(predicted, truth)}


def classification_scores(class_scores: Sequence[Sequence[float]], truth: Sequence[int]) -> dict[str, float]:
    """``{"accuracy", "roc_auc"}`` of per-class scores (probabilities or any monotone score)."""
    chosen = [max(range(len(row)), key=row.__getitem__) for row in class_scores]
    accuracy = sum(int(c == t) for c, t in zip(chosen, truth, strict=True)) / len(truth)
    n_classes = len(class_scores[0])
    if n_classes == 2:
        auc = roc_auc([row[1] - row[0] for row in class_scores], [t == 1 for t in truth])
    else:
        per_class = [roc_auc([row[c] for row in class_scores], [t == c for t in truth])
                     for c in range(n_classes)]
        present = [a for a in per_class if not math.isnan(a)]
        auc = sum(present) / len(present) if present else float("nan")
    return {"accuracy": accuracy, "roc_auc": auc}
