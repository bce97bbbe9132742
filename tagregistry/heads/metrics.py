"""Evaluation metrics over predictions in original units (lower-is-better noted per metric)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from tagregistry.errors import InputError

Metric = Callable[[Sequence[float], Sequence[float]], float]


def mse(pred: Sequence[float], true: Sequence[float]) -> float:
    return sum((p - t) ** 2 for p, t in zip(pred, true, strict=True)) / len(true)


def rmse(pred: Sequence[float], true: Sequence[float]) -> float:
    return math.sqrt(mse(pred, true))


def mae(pred: Sequence[float], true: Sequence[float]) -> float:
    return sum(abs(p - t) for p, t in zip(pred, true, strict=True)) / len(true)


def pearson(pred: Sequence[float], true: Sequence[float], undefined: float = 0.0) -> float:
    """Pearson's r (the one implementation); ``undefined`` when either side is constant."""
    n = len(true)
    mp, mt = sum(pred) / n, sum(true) / n
    cov = sum((p - mp) * (t - mt) for p, t in zip(pred, true, strict=True))
    sp = math.sqrt(sum((p - mp) ** 2 for p in pred))
    st = math.sqrt(sum((t - mt) ** 2 for t in true))
    return undefined if sp == 0 or st == 0 else cov / (sp * st)


def r2(pred: Sequence[float], true: Sequence[float]) -> float:
    mean = sum(true) / len(true)
    total = sum((t - mean) ** 2 for t in true)
    resid = sum((p - t) ** 2 for p, t in zip(pred, true, strict=True))
    return 0.0 if total == 0 else 1.0 - resid / total


def accuracy(pred: Sequence[float], true: Sequence[float]) -> float:
    return sum(int(p == t) for p, t in zip(pred, true, strict=True)) / len(true)


METRICS: dict[str, Metric] = {
    "mse": mse, "rmse": rmse, "mae": mae, "pearson": pearson, "r2": r2, "accuracy": accuracy,
}
HIGHER_IS_BETTER = {"pearson", "r2", "accuracy"}


def get_metric(name: str) -> Metric:
    """A metric by name, or a clear error listing the known ones."""
    if name not in METRICS:
        raise InputError(f"unknown metric {name!r}; choose one of {', '.join(sorted(METRICS))}")
    return METRICS[name]


def roc_auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` for the ``positive`` examples: the chance that a
    random positive scores above a random negative (ties count half). NaN without both."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):  # average ranks over ties
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    n_pos = sum(1 for p in positive if p)
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = sum(r for r, p in zip(ranks, positive, strict=True) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
